/**
 * The parts of `ProcessInfo` that `node:process` and `node:os` give both
 * runtimes; `deno/` and `bun/` add their name, version and terminal input.
 *
 * @module
 */
import process from "node:process";
import { hostname } from "node:os";
import { Buffer } from "node:buffer";
import type { ProcessInfo } from "./types.ts";

/** What differs per runtime. */
export interface ProcessSpecifics {
  readonly runtime: ProcessInfo["runtime"];
  readonly runtimeVersion: string;
  promptSecret(prompt: string): Promise<string | null>;
}

/** Reads all of stdin. */
export async function readAllStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * Edits a secret typed in raw mode: returns the line once Enter is seen,
 * `null` on Ctrl-C or Ctrl-D, `undefined` while more input is needed.
 */
export function feedSecret(
  state: { text: string },
  bytes: Uint8Array,
): string | null | undefined {
  for (const b of bytes) {
    if (b === 0x0d || b === 0x0a) return state.text;
    if (b === 0x03 || b === 0x04) return null;
    if (b === 0x7f || b === 0x08) state.text = state.text.slice(0, -1);
    else if (b >= 0x20) state.text += String.fromCharCode(b);
  }
  return undefined;
}

/** Builds `ProcessInfo` from the shared pieces and the runtime's own. */
export function createProcessInfo(specific: ProcessSpecifics): ProcessInfo {
  return {
    pid: process.pid,
    runtime: specific.runtime,
    runtimeVersion: specific.runtimeVersion,
    hostname: () => hostname(),
    env: (name) => process.env[name],
    writeStdout: (text) => void process.stdout.write(text),
    writeStderr: (text) => void process.stderr.write(text),
    readStdin: readAllStdin,
    promptSecret: (prompt) => specific.promptSecret(prompt),
    memoryRss: () => process.memoryUsage().rss,
    cpuUsageMicros() {
      const u = process.cpuUsage();
      return u.user + u.system;
    },
    exit: (code) => process.exit(code),
  };
}
