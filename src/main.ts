/**
 * Entry point: picks the runtime adapter and runs the CLI.
 *
 * @module
 */

import { runCli } from "./cli/mod.ts";
import { createRuntime as createDenoRuntime } from "./runtime/deno/mod.ts";
import { createRuntime as createBunRuntime } from "./runtime/bun/mod.ts";

const runtime = "Bun" in globalThis ? createBunRuntime() : createDenoRuntime();
const args = "Deno" in globalThis
  ? (globalThis as unknown as { Deno: { args: string[] } }).Deno.args
  : process.argv.slice(2);
const code = await runCli(runtime, args);
runtime.process.exit(code);
