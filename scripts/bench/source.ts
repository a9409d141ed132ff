/**
 * Drives Postfix's `smtp-source` (the load) and `smtp-sink` (the ceiling:
 * an SMTP server that throws mail away) as bounded subprocesses.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import * as net from "node:net";

/** Where Debian's postfix package installs the test programs. */
const SBIN = ["/usr/sbin", "/usr/local/sbin", "/usr/bin"];

/** The absolute path of a Postfix test program, or null when missing. */
export function findTool(name: string): string | null {
  for (const d of SBIN) if (existsSync(`${d}/${name}`)) return `${d}/${name}`;
  return null;
}

/** One `smtp-source` run. */
export interface LoadSpec {
  readonly port: number;
  readonly concurrency: number;
  readonly messages: number;
  readonly sizeBytes: number;
  /** Reuse connections (`-d`). */
  readonly reuse: boolean;
  /** Kill the run after this long. */
  readonly timeoutMs: number;
}

/** What a load run did. */
export interface LoadResult {
  readonly wallMs: number;
  /** DATA commands completed (the `-c` counter). */
  readonly completed: number;
  /** Replies other than the expected 2xx/3xx (one warning line each). */
  readonly errors: number;
  readonly timedOut: boolean;
  /** The first error lines, for the notes. */
  readonly errorSample: readonly string[];
}

/** Runs `smtp-source` against 127.0.0.1:port and times it. */
export function runSource(tool: string, spec: LoadSpec): Promise<LoadResult> {
  const args = [
    "-A", // keep going on rejections; each one becomes a warning line
    "-c", // count completed DATA commands on stdout
    ...(spec.reuse ? ["-d"] : []),
    "-s",
    String(spec.concurrency),
    "-m",
    String(spec.messages),
    "-l",
    String(spec.sizeBytes),
    "-f",
    "sender@remote.test",
    "-t",
    "user@bench.test",
    `127.0.0.1:${spec.port}`,
  ];
  const t0 = performance.now();
  const child = spawn(tool, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let timedOut = false;
  child.stdout.on("data", (b: Uint8Array) => {
    out = (out + new TextDecoder().decode(b)).slice(-64);
  });
  child.stderr.on("data", (b: Uint8Array) => {
    err += new TextDecoder().decode(b);
  });
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, spec.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      const counts = out.split(/[\r\n]/).filter((s) => /^\d+$/.test(s));
      const lines = err.split("\n").filter((l) => l.trim() !== "");
      const warnings = lines.filter((l) => / warning: /.test(l));
      if (code !== 0 && !timedOut) {
        warnings.push(...lines.filter((l) => !/ warning: /.test(l)));
      }
      resolve({
        wallMs,
        completed: Number(counts.at(-1) ?? 0),
        errors: warnings.length,
        timedOut,
        errorSample: [...new Set(warnings.map(stripProgram))].slice(0, 3),
      });
    });
  });
}

function stripProgram(line: string): string {
  return line.replace(/^\S*smtp-source: (warning|fatal): /, "");
}

/** A running `smtp-sink`. */
export interface Sink {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts `smtp-sink` on a free loopback port and waits until it accepts. */
export async function startSink(tool: string): Promise<Sink> {
  const port = await freePort();
  const root = process.getuid?.() === 0;
  const child = spawn(
    tool,
    [...(root ? ["-u", "root"] : []), `127.0.0.1:${port}`, "256"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let err = "";
  child.stderr.on("data", (b: Uint8Array) => {
    err += new TextDecoder().decode(b);
  });
  const exited = new Promise<void>((r) => child.on("close", () => r()));
  let stopping: Promise<void> | null = null;
  const stop = () =>
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    })();
  const deadline = Date.now() + 5_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`smtp-sink did not start: ${err.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}
