/**
 * `Conn` over a `node:net` socket, upgradable in place to `node:tls`.
 *
 * Reads are pull-based: 'data' chunks are queued and handed out by `read()`.
 * The socket is paused when too much is queued, so a fast client cannot make
 * us buffer without bound.
 *
 * @module
 */
import type * as net from "node:net";
import * as tls from "node:tls";
import { Buffer } from "node:buffer";
import { NodeServerTls } from "./_server_tls.ts";
import type {
  ClientTlsOptions,
  Conn,
  NetAddr,
  ServerTls,
  TlsInfo,
} from "./types.ts";

/** Pause the socket once this many bytes wait unread. */
const HIGH_WATER = 256 * 1024;
/** How long `close()` waits for the peer before destroying the socket. */
const CLOSE_GRACE_MS = 2000;

type Sock = net.Socket | tls.TLSSocket;

interface Waiter {
  resolve(chunk: Uint8Array | null): void;
  reject(err: Error): void;
}

function addrOf(host: string | undefined, port: number | undefined): NetAddr {
  let h = host ?? "";
  // Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d.
  if (h.startsWith("::ffff:") && h.includes(".")) h = h.slice(7);
  return { host: h, port: port ?? 0 };
}

/** A connection on a node socket. */
export class SocketConn implements Conn {
  readonly remote: NetAddr;
  readonly local: NetAddr;
  readonly closed: Promise<void>;
  #sock: Sock;
  #tls: TlsInfo | null = null;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #eof = false;
  #error: Error | null = null;
  #waiter: Waiter | null = null;
  #reading = false;
  #closing = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #resolveClosed!: () => void;
  #onData = (chunk: Uint8Array) => this.#push(chunk);
  #onEnd = () => this.#finish(null);
  #onError = (err: Error) => this.#finish(err);

  constructor(sock: net.Socket) {
    this.#sock = sock;
    this.remote = addrOf(sock.remoteAddress, sock.remotePort);
    this.local = addrOf(sock.localAddress, sock.localPort);
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    this.#watch(sock);
  }

  get tls(): TlsInfo | null {
    return this.#tls;
  }

  /** The current socket, for the listener's implicit-TLS path. */
  get socket(): Sock {
    return this.#sock;
  }

  #watch(sock: Sock): void {
    sock.on("end", this.#onEnd);
    sock.on("error", this.#onError);
    sock.once("close", () => {
      if (sock !== this.#sock) return;
      clearTimeout(this.#closeTimer);
      this.#finish(null);
      this.#resolveClosed();
    });
  }

  #unwatch(sock: Sock): void {
    sock.off("data", this.#onData);
    sock.off("end", this.#onEnd);
    sock.off("error", this.#onError);
    this.#reading = false;
  }

  #push(chunk: Uint8Array): void {
    if (this.#closing) return;
    const w = this.#waiter;
    if (w && this.#queue.length === 0) {
      this.#waiter = null;
      w.resolve(chunk);
      return;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.byteLength;
    if (this.#queued > HIGH_WATER) this.#sock.pause();
  }

  #finish(err: Error | null): void {
    if (this.#eof) return;
    this.#eof = true;
    this.#error = err;
    const w = this.#waiter;
    this.#waiter = null;
    if (!w) return;
    if (err && !this.#closing) w.reject(err);
    else w.resolve(null);
  }

  read(): Promise<Uint8Array | null> {
    if (this.#waiter) {
      return Promise.reject(new Error("Conn.read(): a read is outstanding"));
    }
    const chunk = this.#queue.shift();
    if (chunk) {
      this.#queued -= chunk.byteLength;
      if (this.#queued <= HIGH_WATER && this.#sock.isPaused()) {
        this.#sock.resume();
      }
      return Promise.resolve(chunk);
    }
    if (this.#eof || this.#closing) {
      return this.#error && !this.#closing
        ? Promise.reject(this.#error)
        : Promise.resolve(null);
    }
    if (!this.#reading) {
      // Attach lazily so an implicit-TLS socket never reads the ClientHello
      // as plain bytes, and so a paused socket is resumed on demand.
      this.#reading = true;
      this.#sock.on("data", this.#onData);
    }
    if (this.#sock.isPaused()) this.#sock.resume();
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  pendingBytes(): number {
    return this.#queued;
  }

  /**
   * Puts bytes back at the front of the read queue (a PROXY header reader
   * that read past the header on an implicit-TLS listener).
   */
  unread(data: Uint8Array): void {
    if (data.byteLength === 0) return;
    this.#queue.unshift(data);
    this.#queued += data.byteLength;
  }

  write(data: Uint8Array | string): Promise<void> {
    if (this.#closing || this.#sock.destroyed) {
      return Promise.reject(new Error("Conn.write(): connection is closed"));
    }
    return new Promise((resolve, reject) => {
      this.#sock.write(data, (err) => err ? reject(err) : resolve());
    });
  }

  startTls(
    reply: string,
    tlsConf: ServerTls,
    timeoutMs: number,
  ): Promise<TlsInfo> {
    // Must stay synchronous up to the pause: Deno hangs most handshakes when
    // the raw socket keeps reading after STARTTLS was parsed (DESIGN.md §4).
    const raw = this.#sock;
    raw.pause();
    this.#unwatch(raw);
    // Plain bytes still queued were sent before TLS: drop them, never let
    // them be read as if they came over TLS (STARTTLS injection). Callers
    // that want to refuse them check pendingBytes() first.
    this.#queue = [];
    this.#queued = 0;
    return this.#serverHandshake(raw, reply, tlsConf, timeoutMs);
  }

  /** Implicit TLS: handshake on the fresh socket, keeping unread bytes. */
  acceptTls(tlsConf: ServerTls, timeoutMs: number): Promise<TlsInfo> {
    const raw = this.#sock;
    raw.pause();
    this.#unwatch(raw);
    if (this.#queued > 0) raw.unshift(Buffer.concat(this.#queue));
    this.#queue = [];
    this.#queued = 0;
    return this.#serverHandshake(raw, "", tlsConf, timeoutMs);
  }

  async #serverHandshake(
    raw: Sock,
    reply: string,
    tlsConf: ServerTls,
    timeoutMs: number,
  ): Promise<TlsInfo> {
    if (!(tlsConf instanceof NodeServerTls)) {
      throw new TypeError("startTls() needs ServerTls from Net.serverTls()");
    }
    if (reply !== "") await this.#writeOn(raw, reply);
    const sock = new tls.TLSSocket(raw, tlsConf.socketOptions());
    await this.#handshake(raw, sock, "secure", timeoutMs);
    const cipher = sock.getCipher() as
      | { name?: string; standardName?: string }
      | undefined;
    const servername = (sock as { servername?: unknown }).servername;
    this.#tls = {
      version: sock.getProtocol() ?? "",
      cipher: cipher?.standardName ?? cipher?.name ?? "",
      servername: typeof servername === "string" ? servername : "",
      authorized: false,
      authorizationError: "",
    };
    return this.#tls;
  }

  async startTlsClient(opts: ClientTlsOptions): Promise<TlsInfo> {
    const raw = this.#sock;
    raw.pause();
    this.#unwatch(raw);
    this.#queue = [];
    this.#queued = 0;
    const sock = tls.connect({
      socket: raw as net.Socket,
      servername: opts.servername,
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
    });
    await this.#handshake(raw, sock, "secureConnect", opts.timeoutMs);
    const cipher = sock.getCipher() as
      | { name?: string; standardName?: string }
      | undefined;
    let authorized = sock.authorized === true;
    let authorizationError = authorized
      ? ""
      : String(sock.authorizationError ?? "unverified");
    if (authorized) {
      // Not every runtime checks the name when rejectUnauthorized is false,
      // so check it here.
      const err = tls.checkServerIdentity(
        opts.servername,
        sock.getPeerCertificate() as tls.PeerCertificate,
      );
      if (err) {
        authorized = false;
        authorizationError = (err as { code?: string }).code ?? err.message;
      }
    }
    this.#tls = {
      version: sock.getProtocol() ?? "",
      cipher: cipher?.standardName ?? cipher?.name ?? "",
      servername: opts.servername,
      authorized,
      authorizationError,
    };
    return this.#tls;
  }

  #writeOn(sock: Sock, data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      sock.write(data, (err) => err ? reject(err) : resolve());
    });
  }

  /** Waits for the handshake, then makes `sock` the socket we read. */
  #handshake(
    raw: Sock,
    sock: tls.TLSSocket,
    event: "secure" | "secureConnect",
    timeoutMs: number,
  ): Promise<void> {
    this.#sock = sock;
    this.#watchTlsClose(raw, sock);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        fail(new Error(`TLS handshake timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const fail = (err: Error) => {
        cleanup();
        this.#finish(err);
        sock.destroy();
        raw.destroy();
        reject(err);
      };
      const ok = () => {
        cleanup();
        resolve();
      };
      const onClose = () => fail(new Error("Connection closed during TLS"));
      const cleanup = () => {
        clearTimeout(timer);
        sock.off(event, ok);
        sock.off("error", fail);
        sock.off("close", onClose);
      };
      sock.once(event, ok);
      sock.once("error", fail);
      sock.once("close", onClose);
    });
  }

  #watchTlsClose(raw: Sock, sock: tls.TLSSocket): void {
    sock.on("end", this.#onEnd);
    sock.on("error", this.#onError);
    let pending = 2;
    const done = () => {
      if (--pending > 0) return;
      clearTimeout(this.#closeTimer);
      this.#finish(null);
      this.#resolveClosed();
    };
    // Both the TLS socket and the TCP socket under it must be gone.
    sock.once("close", done);
    if (raw.destroyed) done();
    else raw.once("close", done);
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#queue = [];
    this.#queued = 0;
    this.#finish(null);
    const sock = this.#sock;
    if (sock.destroyed) return;
    sock.end();
    this.#closeTimer = setTimeout(() => sock.destroy(), CLOSE_GRACE_MS);
  }
}
