/**
 * The Bun runtime: the shared `node:*` pieces plus Bun's terminal input.
 *
 * @module
 */
import process from "node:process";
import { Buffer } from "node:buffer";
import { createNodeNet } from "../node_net.ts";
import { createNodeResolver } from "../node_dns.ts";
import { createNodeSpawner } from "../node_spawn.ts";
import { createNodeFiles } from "../node_files.ts";
import { createNodeSqlite } from "../node_sqlite.ts";
import { createSystemClock } from "../clock.ts";
import { createNodeSignals } from "../node_signals.ts";
import { createProcessInfo, feedSecret } from "../node_process.ts";
import type { Runtime } from "../types.ts";

/**
 * The bit of the `Bun` global we use. Declared locally: the type checker is
 * `deno check`, which has no Bun types.
 */
interface BunGlobal {
  readonly version: string;
}

function bunGlobal(): BunGlobal {
  return (globalThis as unknown as { Bun: BunGlobal }).Bun;
}

/** Reads a line without echo via the TTY's raw mode. */
function promptSecret(prompt: string): Promise<string | null> {
  const stdin = process.stdin as typeof process.stdin & {
    isTTY?: boolean;
    setRawMode?(mode: boolean): void;
  };
  if (!stdin.isTTY || !stdin.setRawMode) return Promise.resolve(null);
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  const state = { text: "" };
  return new Promise((resolve) => {
    function onData(chunk: Buffer | string): void {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      const res = feedSecret(state, bytes);
      if (res === undefined) return;
      stdin.off("data", onData);
      stdin.setRawMode!(false);
      stdin.pause();
      process.stderr.write("\n");
      resolve(res);
    }
    stdin.on("data", onData);
  });
}

/** Builds the `Runtime` for Bun. */
export function createRuntime(): Runtime {
  return {
    net: createNodeNet(),
    resolver: createNodeResolver,
    spawner: createNodeSpawner(),
    files: createNodeFiles(),
    sqlite: createNodeSqlite(),
    clock: createSystemClock(),
    signals: createNodeSignals(),
    process: createProcessInfo({
      runtime: "bun",
      runtimeVersion: bunGlobal().version,
      promptSecret,
    }),
  };
}
