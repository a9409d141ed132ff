/**
 * The runtime layer: the contract in `types.ts` and the shared `node:*`
 * implementations. The core imports only `types.ts`; `src/main.ts` and test
 * helpers pick `deno/mod.ts` or `bun/mod.ts`, which assemble a `Runtime`.
 *
 * Platform quirks handled here, each with a test in `tests/runtime/`:
 * - server STARTTLS pauses the raw socket in the same tick (Deno hangs
 *   otherwise) and drops plain bytes pipelined after STARTTLS;
 * - Deno passes `""` to `SNICallback` when the client sent no SNI;
 * - DNS is our own client: Bun's `node:dns` splits multi-string TXT records,
 *   Deno's reports NODATA without a code;
 * - subprocesses run in their own group so a timeout kills grandchildren;
 * - `node:sqlite` rows have a null prototype and are copied to plain objects.
 *
 * @module
 */
export * from "./types.ts";
export { createNodeNet, NodeServerTls, SocketConn } from "./node_net.ts";
export {
  createNodeResolver,
  NodeResolver,
  parseServer,
  resolvConfServer,
} from "./node_dns.ts";
export { createNodeSpawner, runProcess } from "./node_spawn.ts";
export { createNodeFiles, writeAtomic } from "./node_files.ts";
export { createNodeSqlite, openSqlite } from "./node_sqlite.ts";
export { createSystemClock } from "./clock.ts";
export { createNodeSignals } from "./node_signals.ts";
export { createProcessInfo } from "./node_process.ts";
