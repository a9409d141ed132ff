/**
 * An LMTP server for tests (RFC 2033), on `node:net`, listening on both a
 * TCP port on 127.0.0.1 and a unix socket in a private temp dir. Every
 * answer can be scripted: the greeting, LHLO, MAIL, each RCPT and each
 * recipient's reply after DATA. An answer is the reply text sent as is (CRLF
 * added; use `\r\n` inside for multi-line replies), or {@linkcode CLOSE} to
 * drop the connection at that point, or {@linkcode HANG} to say nothing.
 * Accepted messages are recorded with their envelope, dot-unstuffed.
 *
 * @example
 * ```ts
 * const sink = await startLmtpSink({
 *   rcpt: (to) => to.startsWith("ghost@") ? "550 5.1.1 No such user" : "250 2.1.5 OK",
 * });
 * try {
 *   // dial sink.port (TCP) or sink.path (unix)
 * } finally {
 *   await sink.close();
 * }
 * ```
 *
 * @module
 */
import * as net from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SocketConn } from "../../src/runtime/node_net.ts";
import { SmtpReader } from "../../src/smtp/reader.ts";

/** Drop the connection instead of answering. */
export const CLOSE: unique symbol = Symbol("close");
/** Never answer (the client should time out). */
export const HANG: unique symbol = Symbol("hang");

/** What the sink says at one step. */
export type Answer = string | typeof CLOSE | typeof HANG;

/** The sink's script; every step has a happy default. */
export interface LmtpScript {
  /** @default "220 sink.test LMTP ready" */
  greeting?: Answer;
  /** @default "250-sink.test\r\n250-PIPELINING\r\n250 8BITMIME" */
  lhlo?: (name: string) => Answer;
  /** @default "250 2.1.0 OK" */
  mail?: (from: string) => Answer;
  /** @default "250 2.1.5 OK" */
  rcpt?: (to: string) => Answer;
  /** The reply to DATA itself. @default "354 Go ahead" */
  dataStart?: Answer;
  /** The reply for one accepted recipient after the message. @default "250 2.0.0 <to> Saved" */
  data?: (to: string) => Answer;
}

/** One message the sink took in. */
export interface SinkMessage {
  readonly lhlo: string;
  readonly from: string;
  /** The recipients accepted at RCPT, in order. */
  readonly to: readonly string[];
  /** The message, dot-unstuffed, without the terminating `.CRLF`. */
  readonly data: Uint8Array;
}

/** A running sink. */
export interface LmtpSink {
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /** Unix socket path. */
  readonly path: string;
  /** `127.0.0.1:<port>`, for the courier's `address`. */
  readonly tcpAddress: string;
  /** Replace to change the answers of later commands. */
  script: LmtpScript;
  readonly messages: SinkMessage[];
  /** Every command line received, in order, over all connections. */
  readonly commands: string[];
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

function fill(script: LmtpScript): Required<LmtpScript> {
  return {
    greeting: "220 sink.test LMTP ready",
    lhlo: () => "250-sink.test\r\n250-PIPELINING\r\n250 8BITMIME",
    mail: () => "250 2.1.0 OK",
    rcpt: () => "250 2.1.5 OK",
    dataStart: "354 Go ahead",
    data: (to) => `250 2.0.0 <${to}> Saved`,
    ...script,
  };
}

/** The bracketed address of `MAIL FROM:<a>` / `RCPT TO:<a>`, params dropped. */
function pathArg(line: string): string {
  const m = /^[A-Z]+ (?:FROM|TO):<([^>]*)>/i.exec(line);
  return m ? m[1]! : "";
}

class Session {
  #sink: SinkImpl;
  #conn: SocketConn;
  #reader: SmtpReader;
  #lhlo = "";
  #from = "";
  #to: string[] = [];

  constructor(sink: SinkImpl, sock: net.Socket) {
    this.#sink = sink;
    this.#conn = new SocketConn(sock);
    this.#reader = new SmtpReader(this.#conn);
  }

  /** Sends an answer; false when the session must stop there. */
  async #say(a: Answer): Promise<boolean> {
    if (a === CLOSE) {
      this.#conn.close();
      return false;
    }
    if (a === HANG) return false;
    await this.#conn.write(`${a}\r\n`);
    return true;
  }

  async run(): Promise<void> {
    try {
      if (!(await this.#say(fill(this.#sink.script).greeting))) return;
      while (await this.#step(await this.#reader.readLine(4096)));
    } catch {
      // The client went away; nothing to record.
    } finally {
      if (!this.#sink.hung(this.#conn)) this.#conn.close();
    }
  }

  async #step(line: string): Promise<boolean> {
    this.#sink.commands.push(line);
    const s = fill(this.#sink.script);
    const verb = line.split(" ", 1)[0]!.toUpperCase();
    if (verb === "LHLO") {
      this.#lhlo = line.slice(5);
      return this.#keep(await this.#say(s.lhlo(this.#lhlo)));
    }
    if (verb === "MAIL") {
      this.#from = pathArg(line);
      this.#to = [];
      return this.#keep(await this.#say(s.mail(this.#from)));
    }
    if (verb === "RCPT") {
      const to = pathArg(line);
      const a = s.rcpt(to);
      if (typeof a === "string" && a.startsWith("2")) this.#to.push(to);
      return this.#keep(await this.#say(a));
    }
    if (verb === "DATA") return this.#keep(await this.#data(s));
    if (verb === "QUIT") {
      await this.#say("221 2.0.0 Bye");
      return false;
    }
    if (verb === "RSET" || verb === "NOOP") {
      return this.#keep(await this.#say("250 2.0.0 OK"));
    }
    return this.#keep(await this.#say("500 5.5.1 Unknown command"));
  }

  /** Remembers a hung connection so it stays open until the sink closes. */
  #keep(go: boolean): boolean {
    if (!go) this.#sink.hold(this.#conn);
    return go;
  }

  async #data(s: Required<LmtpScript>): Promise<boolean> {
    if (this.#to.length === 0) return this.#say("503 5.5.1 No recipients");
    if (!(await this.#say(s.dataStart))) return false;
    if (typeof s.dataStart === "string" && !s.dataStart.startsWith("354")) {
      return true;
    }
    const r = await this.#reader.readDotData({ maxSize: 64 * 1024 * 1024 });
    if (r.status !== "ok") return this.#say("554 5.6.0 Bad message");
    this.#sink.messages.push({
      lhlo: this.#lhlo,
      from: this.#from,
      to: [...this.#to],
      data: Uint8Array.from(r.data),
    });
    for (const to of this.#to) {
      if (!(await this.#say(s.data(to)))) return false;
    }
    this.#to = [];
    return true;
  }
}

class SinkImpl implements LmtpSink {
  port = 0;
  path = "";
  script: LmtpScript;
  readonly messages: SinkMessage[] = [];
  readonly commands: string[] = [];
  connections = 0;
  #dir = "";
  #servers: net.Server[] = [];
  #open = new Set<net.Socket>();
  #held = new Set<SocketConn>();

  constructor(script: LmtpScript) {
    this.script = script;
  }

  get tcpAddress(): string {
    return `127.0.0.1:${this.port}`;
  }

  hold(conn: SocketConn): void {
    this.#held.add(conn);
  }

  hung(conn: SocketConn): boolean {
    return this.#held.has(conn);
  }

  #server(): net.Server {
    const server = net.createServer((sock) => {
      sock.on("error", () => {});
      this.connections++;
      this.#open.add(sock);
      sock.once("close", () => this.#open.delete(sock));
      void new Session(this, sock).run();
    });
    this.#servers.push(server);
    return server;
  }

  async start(): Promise<void> {
    this.#dir = await mkdtemp(join(tmpdir(), "chaski-lmtp-"));
    this.path = join(this.#dir, "lmtp.sock");
    const tcp = this.#server();
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    this.port = (tcp.address() as net.AddressInfo).port;
    const unix = this.#server();
    await new Promise<void>((r) => unix.listen(this.path, r));
  }

  async close(): Promise<void> {
    for (const s of this.#open) s.destroy();
    await Promise.all(
      this.#servers.map((s) => new Promise<void>((r) => s.close(() => r()))),
    );
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** Starts a sink with `script` (defaults accept everything). */
export async function startLmtpSink(
  script: LmtpScript = {},
): Promise<LmtpSink> {
  const sink = new SinkImpl(script);
  await sink.start();
  return sink;
}
