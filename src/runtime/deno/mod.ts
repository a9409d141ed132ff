/**
 * The Deno runtime: the shared `node:*` pieces plus Deno's terminal input.
 *
 * @module
 */
import { createNodeNet } from "../node_net.ts";
import { createNodeResolver } from "../node_dns.ts";
import { createNodeSpawner } from "../node_spawn.ts";
import { createNodeFiles } from "../node_files.ts";
import { createNodeSqlite } from "../node_sqlite.ts";
import { createSystemClock } from "../clock.ts";
import { createNodeSignals } from "../node_signals.ts";
import { createProcessInfo, feedSecret } from "../node_process.ts";
import type { Runtime } from "../types.ts";

/** The bits of the `Deno` global we use, declared here on purpose. */
interface DenoStdin {
  isTerminal(): boolean;
  setRaw(mode: boolean): void;
  read(buf: Uint8Array): Promise<number | null>;
}
interface DenoGlobal {
  readonly version: { readonly deno: string };
  readonly stdin: DenoStdin;
  readonly stderr: { writeSync(data: Uint8Array): number };
}

function denoGlobal(): DenoGlobal {
  return (globalThis as unknown as { Deno: DenoGlobal }).Deno;
}

/** Reads a line without echo; `null` when stdin is not a terminal. */
async function promptSecret(prompt: string): Promise<string | null> {
  const deno = denoGlobal();
  if (!deno.stdin.isTerminal()) return null;
  deno.stderr.writeSync(new TextEncoder().encode(prompt));
  deno.stdin.setRaw(true);
  const state = { text: "" };
  const buf = new Uint8Array(256);
  try {
    for (;;) {
      const n = await deno.stdin.read(buf);
      if (n === null) return null;
      const res = feedSecret(state, buf.subarray(0, n));
      if (res !== undefined) return res;
    }
  } finally {
    deno.stdin.setRaw(false);
    deno.stderr.writeSync(new TextEncoder().encode("\n"));
  }
}

/** Builds the `Runtime` for Deno. */
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
      runtime: "deno",
      runtimeVersion: denoGlobal().version.deno,
      promptSecret,
    }),
  };
}
