/**
 * Runs Bun with the given arguments: the `bun` on PATH when it is the
 * pinned version, else the pinned version through `npx` (so a fresh machine
 * with only Node and npm works).
 *
 * @module
 */

import { spawnSync } from "node:child_process";

/** The Bun version the project pins (also in .ci/run). */
export const BUN_VERSION = "1.4.4";

function bunCommand(): string[] {
  const r = spawnSync("bun", ["--version"], { encoding: "utf8" });
  if (r.status === 0 && r.stdout.trim() === BUN_VERSION) return ["bun"];
  return ["npx", "-y", `bun@${BUN_VERSION}`];
}

if (import.meta.main) {
  const [cmd, ...pre] = bunCommand();
  const r = spawnSync(cmd!, [...pre, ...Deno.args], { stdio: "inherit" });
  Deno.exit(r.status ?? 1);
}
