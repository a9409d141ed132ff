/**
 * Startup figures: time from exec to the first `220` greeting, median of
 * N runs (default 20), for the compiled binary, `deno run` and `bun` from
 * source, plus the binary's size. Each run gets a fresh temp config dir
 * (one SMTP listener on 127.0.0.1:0, a new data dir, so the database is
 * created and migrated every time); the client connects as soon as the
 * server prints its listening line. No pass/fail: it prints a table.
 *
 * ```sh
 * deno task build && deno run -A scripts/startup.ts [--runs 20] [--bin dist/chaski]
 * ```
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MAIN = join(ROOT, "src/main.ts");

/** Writes a minimal config dir; returns it. */
function freshConfig(): { dir: string; configDir: string } {
  const dir = mkdtempSync(join(tmpdir(), "chaski-startup-"));
  const configDir = join(dir, "config");
  mkdirSync(join(configDir, "domains", "a.test"), { recursive: true });
  cpSync(
    join(ROOT, "testdata/certs/mx.a.test"),
    join(configDir, "certs/mx.a.test"),
    { recursive: true },
  );
  writeFileSync(
    join(configDir, "chaski.yaml"),
    [
      "hostname: mx.a.test",
      'smtp_address: ["127.0.0.1:0"]',
      "submission_address: []",
      "submission_over_tls_address: []",
      "data_dir: ../data",
      "mail_log_path: ../mail.log",
      "dns_server: 127.0.0.1:1",
    ].join("\n") + "\n",
  );
  return { dir, configDir };
}

/** Reads from the socket until a line starting with 220 arrives. */
function greeting(port: number): Promise<void> {
  return new Promise((res, rej) => {
    const s = connect({ host: "127.0.0.1", port });
    let buf = "";
    s.on("data", (b: Uint8Array) => {
      buf += new TextDecoder().decode(b);
      if (/^220[ -]/m.test(buf) && buf.includes("\n")) {
        s.destroy();
        res();
      }
    });
    s.on("error", rej);
    s.on("close", () => rej(new Error(`closed before 220: ${buf}`)));
  });
}

/** One run: exec → listening line → connect → 220. Milliseconds. */
async function once(cmd: readonly string[]): Promise<number> {
  const { dir, configDir } = freshConfig();
  const t0 = performance.now();
  const child: ChildProcess = spawn(cmd[0]!, [
    ...cmd.slice(1),
    "serve",
    "--config-dir",
    configDir,
  ], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env } });
  const exited = new Promise((r) => child.on("exit", r));
  try {
    const port = await new Promise<number>((res, rej) => {
      let err = "";
      child.stderr!.on("data", (b: Uint8Array) => {
        err += new TextDecoder().decode(b);
        const m = /listening \(SMTP\) on \S*:(\d+)/.exec(err);
        if (m) res(Number(m[1]));
      });
      child.on("exit", (code) => rej(new Error(`exited ${code}: ${err}`)));
    });
    await greeting(port);
    return performance.now() - t0;
  } finally {
    child.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      runs: { type: "string", default: "20" },
      bin: { type: "string", default: join(ROOT, "dist/chaski") },
    },
  });
  const runs = Number(values.runs);
  const bin = resolve(values.bin!);
  const targets: [string, string[]][] = [
    ["binary (bun build --compile)", [bin]],
    ["deno run -A src/main.ts", ["deno", "run", "-A", MAIN]],
    ["bun src/main.ts", ["bun", MAIN]],
  ];
  if (existsSync(bin)) {
    const mib = statSync(bin).size / 2 ** 20;
    console.log(`binary ${bin}: ${mib.toFixed(1)} MiB`);
  } else {
    console.log(`binary ${bin} missing (deno task build); skipped`);
    targets.shift();
  }
  console.log(`exec → first 220, ${runs} runs each (fresh config per run)`);
  console.log("target                          median    min     max");
  for (const [name, cmd] of targets) {
    const times: number[] = [];
    await once(cmd); // warm the page cache; not counted
    for (let i = 0; i < runs; i++) times.push(await once(cmd));
    const f = (n: number) => `${n.toFixed(0)} ms`.padStart(7);
    console.log(
      `${name.padEnd(30)} ${f(median(times))} ${f(Math.min(...times))} ${
        f(Math.max(...times))
      }`,
    );
  }
}

if (import.meta.main) await main();
