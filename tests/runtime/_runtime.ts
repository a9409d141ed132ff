/**
 * Test helper: the runtime under test, picked by which global exists, so the
 * same contract suite runs under `deno test` and `bun test`.
 *
 * @module
 */
import { createRuntime as createDenoRuntime } from "../../src/runtime/deno/mod.ts";
import { createRuntime as createBunRuntime } from "../../src/runtime/bun/mod.ts";
import type { Runtime } from "../../src/runtime/types.ts";

/** Which runtime is running these tests. */
export const RUNTIME_NAME: "deno" | "bun" = "Deno" in globalThis
  ? "deno"
  : "bun";

/** A fresh `Runtime` for the current runtime. */
export function testRuntime(): Runtime {
  return RUNTIME_NAME === "deno" ? createDenoRuntime() : createBunRuntime();
}

/** Polls `cond` until it holds, failing after `timeoutMs`. */
export async function waitFor(
  what: string,
  cond: () => boolean,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
