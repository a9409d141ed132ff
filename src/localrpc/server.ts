/**
 * The local RPC server: one request per connection on a unix socket.
 *
 * @module
 */

import type { Clock, Conn, Listener, Net } from "../runtime/types.ts";
import type { Logger } from "../log/mod.ts";
import {
  decodeValues,
  encodeValues,
  parseRequestLine,
  readLine,
} from "./wire.ts";

/**
 * Handles one method. The result is encoded as Go's `url.Values`; a string
 * is sent as it is, already encoded. A thrown error becomes `500 <message>`.
 */
export type RpcHandler = (
  query: URLSearchParams,
) => Promise<URLSearchParams | string>;

/** chasquid's per-connection deadline (RPC-01). */
export const RPC_DEADLINE_MS = 5_000;

/** Longest request line accepted; requests are a method and an address. */
const MAX_REQUEST = 64 * 1024;

/** Props for `RpcServer`. */
export interface RpcServerProps {
  readonly net: Net;
  /** The socket path, e.g. `<data_dir>/localrpc-v1`. */
  readonly path: string;
  /** Methods by name; any other name gets `500 unknown method`. */
  readonly handlers: Readonly<Record<string, RpcHandler>>;
  readonly log: Logger;
  /** Timers for the deadline. */
  readonly clock: Clock;
  /**
   * Time for a whole exchange (request, handler, reply); the connection is
   * closed when it runs out. @default 5000
   */
  readonly deadlineMs?: number;
}

/**
 * Serves `Method query` requests on a unix socket (mode 0600; a stale file
 * is replaced), one per connection.
 * @example
 * const rpc = new RpcServer({ net, path, handlers: { Ping: async () => "" }, log, clock });
 * await rpc.start();
 * await rpc.close();
 */
export class RpcServer {
  readonly #p: RpcServerProps;
  #listener: Listener | null = null;
  readonly #open = new Set<Conn>();

  constructor(props: RpcServerProps) {
    this.#p = props;
  }

  /** Listens on the path. Calling it twice is a `TypeError`. */
  async start(): Promise<void> {
    if (this.#listener) throw new TypeError("RpcServer already started");
    this.#listener = await this.#p.net.listen(
      { host: "", port: 0, path: this.#p.path },
      (conn) => void this.#handle(conn),
    );
    this.#p.log.info(`local RPC listening on ${this.#p.path}`);
  }

  /** Stops accepting and closes open connections. Idempotent. */
  async close(): Promise<void> {
    const lis = this.#listener;
    this.#listener = null;
    for (const c of this.#open) c.close();
    if (lis) await lis.close();
  }

  async #handle(conn: Conn): Promise<void> {
    this.#open.add(conn);
    // Like chasquid: a generous deadline so a stuck client cannot hold a
    // connection forever.
    const timer = this.#p.clock.setTimer(
      this.#p.deadlineMs ?? RPC_DEADLINE_MS,
      () => {
        this.#p.log.debug("local RPC deadline exceeded");
        conn.close();
      },
    );
    try {
      const line = await readLine(() => conn.read(), MAX_REQUEST);
      if (line === null) return;
      const reply = await this.#answer(line);
      await conn.write(`${reply}\r\n`);
    } catch (err) {
      // A read error or a closed socket: nobody is left to tell.
      this.#p.log.debug("local RPC connection failed", { error: err });
    } finally {
      timer.cancel();
      conn.close();
      this.#open.delete(conn);
    }
  }

  async #answer(line: string): Promise<string> {
    const { method, query } = parseRequestLine(line);
    const log = this.#p.log;
    log.debug("local RPC request", () => ({ method, query }));
    const handler = Object.hasOwn(this.#p.handlers, method)
      ? this.#p.handlers[method]
      : undefined;
    if (!handler) return failure(log, method, new Error("unknown method"));
    try {
      const result = await handler(decodeValues(query));
      const text = typeof result === "string" ? result : encodeValues(result);
      if (/[\r\n]/.test(text)) {
        throw new Error("result contains a line break");
      }
      return `200 ${text}`;
    } catch (err) {
      return failure(log, method, err);
    }
  }
}

function failure(log: Logger, method: string, err: unknown): string {
  const msg = (err instanceof Error ? err.message : String(err))
    .split(/[\r\n]/)[0]!;
  log.debug("local RPC error", { method, error: msg });
  return `500 ${msg}`;
}
