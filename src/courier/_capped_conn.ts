/**
 * A `Conn` that refuses to read more than a fixed number of octets, so a
 * peer cannot make us buffer replies without end (CO-04: 2 MiB of replies
 * per outbound connection).
 *
 * @module
 */

import type {
  ClientTlsOptions,
  Conn,
  NetAddr,
  ServerTls,
  TlsInfo,
} from "../runtime/types.ts";

/** Wraps a connection and counts what is read from it. */
export class CappedConn implements Conn {
  readonly #conn: Conn;
  readonly #max: number;
  #total = 0;

  constructor(conn: Conn, maxBytes: number) {
    this.#conn = conn;
    this.#max = maxBytes;
  }

  get remote(): NetAddr {
    return this.#conn.remote;
  }
  get local(): NetAddr {
    return this.#conn.local;
  }
  get tls(): TlsInfo | null {
    return this.#conn.tls;
  }
  get closed(): Promise<void> {
    return this.#conn.closed;
  }

  /** The next chunk; rejects once the peer has sent more than the cap. */
  async read(): Promise<Uint8Array | null> {
    const chunk = await this.#conn.read();
    if (chunk === null) return null;
    this.#total += chunk.length;
    if (this.#total > this.#max) {
      this.#conn.close();
      throw new Error(`Peer sent more than ${this.#max} octets of replies`);
    }
    return chunk;
  }
  pendingBytes(): number {
    return this.#conn.pendingBytes();
  }
  write(data: Uint8Array | string): Promise<void> {
    return this.#conn.write(data);
  }
  startTls(reply: string, tls: ServerTls, timeoutMs: number): Promise<TlsInfo> {
    return this.#conn.startTls(reply, tls, timeoutMs);
  }
  startTlsClient(opts: ClientTlsOptions): Promise<TlsInfo> {
    return this.#conn.startTlsClient(opts);
  }
  close(): void {
    this.#conn.close();
  }
}
