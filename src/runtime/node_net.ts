/**
 * `Net` on `node:net` and `node:tls`, shared by Deno and Bun.
 *
 * Deno's native socket API has neither server-side STARTTLS nor SNI, so both
 * runtimes go through their `node:*` compatibility layers (DESIGN.md §4).
 * Implicit TLS does not use `tls.createServer`: each accepted plain socket is
 * wrapped, so a PROXY header can be read before the handshake.
 *
 * @module
 */
import * as net from "node:net";
import { chmod, rm } from "node:fs/promises";
import { NodeServerTls } from "./_server_tls.ts";
import { SocketConn } from "./_socket_conn.ts";
import type {
  CertPair,
  Conn,
  DialOptions,
  Listener,
  ListenOptions,
  Net,
  ServerTls,
} from "./types.ts";

export { SocketConn } from "./_socket_conn.ts";
export { NodeServerTls } from "./_server_tls.ts";

/** Implicit-TLS handshake deadline when the caller gives none. */
const DEFAULT_TLS_TIMEOUT_MS = 30_000;

/** Creates the `Net` implementation. */
export function createNodeNet(): Net {
  return {
    serverTls(pairs: readonly CertPair[]): ServerTls {
      return new NodeServerTls(pairs);
    },
    listen,
    dial,
  };
}

function withDeadline(p: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("beforeTls timed out")), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Fails fast unless the client's first byte starts a TLS handshake record.
 * Bun's server `TLSSocket` sits silent on plain text instead of failing, so
 * a client speaking SMTP to port 465 would hold a socket until the deadline.
 */
async function expectTlsRecord(conn: SocketConn): Promise<void> {
  const first = await conn.read();
  if (first === null || first[0] !== 0x16) {
    throw new Error("Not a TLS handshake");
  }
  conn.unread(first);
}

async function acceptTls(
  conn: SocketConn,
  opts: ListenOptions,
  getTls: () => ServerTls,
  onConn: (conn: Conn) => void,
): Promise<void> {
  const timeoutMs = opts.tlsTimeoutMs ?? DEFAULT_TLS_TIMEOUT_MS;
  try {
    // The hook reads from an unauthenticated client: bound it too.
    if (opts.beforeTls) await withDeadline(opts.beforeTls(conn), timeoutMs);
    await withDeadline(expectTlsRecord(conn), timeoutMs);
    await conn.acceptTls(getTls(), timeoutMs);
  } catch {
    // A failed handshake or PROXY header is the client's problem; there is
    // nobody to report it to but the socket, which we close.
    conn.close();
    return;
  }
  onConn(conn);
}

async function listen(
  opts: ListenOptions,
  onConn: (conn: Conn) => void,
): Promise<Listener> {
  // A server that died uncleanly leaves its socket file behind, and listening
  // on an existing path fails with EADDRINUSE.
  if (opts.path !== undefined) await rm(opts.path, { force: true });
  const server = net.createServer({ pauseOnConnect: true });
  server.on("connection", (sock: net.Socket) => {
    // Swallow errors until the Conn attaches its own handler.
    sock.on("error", () => {});
    if (opts.path === undefined) sock.setNoDelay(true);
    const conn = new SocketConn(sock);
    if (opts.tls) void acceptTls(conn, opts, opts.tls, onConn);
    else onConn(conn);
  });
  const where = opts.path !== undefined
    ? { path: opts.path }
    : { host: opts.host, port: opts.port };
  const listener = await new Promise<Listener>((resolve, reject) => {
    server.once("error", reject);
    server.listen(
      { ...where, backlog: opts.backlog ?? 511 },
      () => {
        server.off("error", reject);
        // Accept errors (EMFILE, ECONNABORTED) must not crash the process;
        // the listener keeps going and the client retries.
        server.on("error", () => {});
        const a = server.address();
        resolve({
          addr: typeof a === "object" && a !== null
            ? { host: a.address, port: a.port }
            : { host: opts.path ?? String(a), port: 0 },
          // server.close()'s callback waits for every open connection; the
          // contract is only "stop accepting", which happens right away.
          close: () => {
            server.close();
            return Promise.resolve();
          },
        });
      },
    );
  });
  if (opts.path !== undefined) await chmod(opts.path, 0o600);
  return listener;
}

function dial(opts: DialOptions): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const sock = opts.path !== undefined
      ? net.connect({ path: opts.path })
      : net.connect({
        host: opts.host,
        port: opts.port,
        ...(opts.localHost === undefined
          ? {}
          : { localAddress: opts.localHost }),
      });
    const where = opts.path ?? `${opts.host}:${opts.port}`;
    const timer = setTimeout(() => {
      fail(new Error(`Connect to ${where} timed out`));
    }, opts.timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      sock.off("connect", ok);
      sock.destroy();
      reject(err);
    }
    function ok(): void {
      clearTimeout(timer);
      sock.off("error", fail);
      sock.setNoDelay(true);
      resolve(new SocketConn(sock));
    }
    sock.once("connect", ok);
    sock.once("error", fail);
  });
}
