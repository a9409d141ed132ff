/**
 * The local RPC client: one call, one connection.
 *
 * @module
 */

import type { Conn, Net } from "../runtime/types.ts";
import {
  decodeValues,
  encodeValues,
  parseReplyLine,
  readLine,
  RpcProtocolError,
} from "./wire.ts";

/** Nobody answers at the socket path: the server is not running. */
export class RpcConnectError extends Error {
  readonly path: string;
  constructor(path: string, options?: ErrorOptions) {
    super(`cannot connect to "${path}"`, options);
    this.name = "RpcConnectError";
    this.path = path;
  }
}

/** The server answered `500 <error>`; the message is its text. */
export class RpcRemoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RpcRemoteError";
  }
}

/** Options for `rpcCall`. */
export interface RpcCallOptions {
  readonly net: Net;
  /** The socket path, e.g. `<data_dir>/localrpc-v1`. */
  readonly path: string;
  readonly method: string;
  /** The arguments. @default none */
  readonly query?: URLSearchParams;
  /** Bound on the whole call, connecting included. @default 5000 */
  readonly timeoutMs?: number;
}

/** Longest reply line accepted. */
const MAX_REPLY = 1024 * 1024;

/**
 * Calls `method` on the server at `path` and returns its decoded result.
 * @throws {RpcConnectError} when nothing listens on the path.
 * @throws {RpcRemoteError} on a `500` reply.
 * @throws {RpcProtocolError} on a malformed reply or when the time is up.
 * @example
 * const r = await rpcCall({ net, path, method: "AliasResolve",
 *   query: new URLSearchParams({ Address: "a@b" }) });
 */
export async function rpcCall(opts: RpcCallOptions): Promise<URLSearchParams> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  let conn: Conn;
  try {
    conn = await opts.net.dial({
      host: "",
      port: 0,
      path: opts.path,
      timeoutMs,
    });
  } catch (err) {
    throw new RpcConnectError(opts.path, { cause: err });
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      conn.close();
      reject(new RpcProtocolError(`no reply within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([exchange(conn, opts), deadline]);
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}

async function exchange(
  conn: Conn,
  opts: RpcCallOptions,
): Promise<URLSearchParams> {
  const query = encodeValues(opts.query ?? new URLSearchParams());
  // Go's textproto ends lines with CRLF; chasquid's server accepts LF too.
  await conn.write(`${opts.method} ${query}\r\n`);
  const line = await readLine(() => conn.read(), MAX_REPLY);
  if (line === null) {
    throw new RpcProtocolError("connection closed without a reply");
  }
  const { code, text } = parseReplyLine(line);
  if (code !== 200) throw new RpcRemoteError(text);
  return decodeValues(text);
}
