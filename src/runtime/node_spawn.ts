/**
 * `Spawner` on `node:child_process`, shared by Deno and Bun.
 *
 * Children run detached, in their own process group, so a timeout can kill
 * the hook and everything it started (`kill(-pid)`), as chasquid does.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { Buffer } from "node:buffer";
import process from "node:process";
import type { Spawner, SpawnOptions, SpawnResult } from "./types.ts";

const DEFAULT_MAX_OUTPUT = 1024 * 1024;

/** Collects a stream's bytes up to a limit, dropping the rest. */
class Capped {
  #chunks: Buffer[] = [];
  #size = 0;
  #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  add(chunk: Buffer): void {
    const room = this.#max - this.#size;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#chunks.push(part);
    this.#size += part.length;
  }
  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.#chunks));
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Runs one subprocess to completion. */
export function runProcess(opts: SpawnOptions): Promise<SpawnResult> {
  const out = new Capped(opts.maxOutput ?? DEFAULT_MAX_OUTPUT);
  const err = new Capped(opts.maxOutput ?? DEFAULT_MAX_OUTPUT);
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(opts.cmd, [...opts.args], {
        env: { ...opts.env },
        cwd: opts.cwd,
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
      });
    } catch (e) {
      resolve(startFailed(e as Error));
      return;
    }
    let timedOut = false;
    let started = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, opts.timeoutMs);
    child.once("spawn", () => started = true);
    child.once("error", (e) => {
      // 'error' before 'spawn' is a start failure (ENOENT, EACCES); later
      // ones (kill failures) leave the 'close' event to report the end.
      if (started) return;
      clearTimeout(timer);
      resolve(startFailed(e));
    });
    child.stdout.on("data", (c: Buffer) => out.add(c));
    child.stderr.on("data", (c: Buffer) => err.add(c));
    // The child may exit without reading its stdin: EPIPE is expected.
    child.stdin.on("error", () => {});
    if (opts.stdin && opts.stdin.byteLength > 0) child.stdin.end(opts.stdin);
    else child.stdin.end();
    // 'close' waits for stdout and stderr to close too: a background
    // grandchild holding them keeps us waiting until the timeout kills the
    // group, which is what bounds a misbehaving hook.
    child.once("close", (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      if (!started) return;
      if (timedOut) killGroup(child.pid);
      resolve({
        code,
        signal,
        stdout: out.bytes(),
        stderr: err.bytes(),
        timedOut,
      });
    });
  });
}

function startFailed(e: Error): SpawnResult {
  return {
    code: null,
    signal: null,
    stdout: new Uint8Array(),
    stderr: new Uint8Array(),
    timedOut: false,
    startError: e,
  };
}

/** Creates the `Spawner` implementation. */
export function createNodeSpawner(): Spawner {
  return { run: runProcess };
}
