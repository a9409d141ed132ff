/**
 * A small SMTP client for tests and couriers: one command at a time, each
 * returning the peer's reply, and throwing an `SmtpError` carrying the
 * peer's code when the reply is not the expected success.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { ClientTlsOptions, Conn, TlsInfo } from "../runtime/types.ts";
import { dotStuff } from "./dot.ts";
import { readReply, type Reply, replyError } from "./reply.ts";
import { SmtpReader } from "./reader.ts";

/** Options for {@linkcode SmtpClient}. */
export interface SmtpClientOptions {
  /**
   * Cap on the octets of one reply.
   * @default 2097152
   */
  readonly maxReply?: number;
}

/** Parameters for MAIL and RCPT: `{ SIZE: "10", SMTPUTF8: "" }`. */
export type Params = Readonly<Record<string, string>>;

/**
 * An SMTP client over a `Conn`.
 *
 * @example
 * ```ts
 * const c = await SmtpClient.connect(() => net.dial({ host, port, timeoutMs }));
 * await c.greeting();
 * await c.ehlo("client.test");
 * await c.mail("a@x.test");
 * await c.rcpt("b@y.test");
 * await c.data(message);
 * await c.quit();
 * ```
 */
export class SmtpClient {
  #conn: Conn;
  #reader: SmtpReader;
  #maxReply: number;
  #ext = new Map<string, string>();

  constructor(conn: Conn, opts: SmtpClientOptions = {}) {
    this.#conn = conn;
    this.#reader = new SmtpReader(conn);
    this.#maxReply = opts.maxReply ?? 2 * 1024 * 1024;
  }

  /** Dials with the injected function and wraps the connection. */
  static async connect(
    dial: () => Promise<Conn>,
    opts: SmtpClientOptions = {},
  ): Promise<SmtpClient> {
    return new SmtpClient(await dial(), opts);
  }

  /** The underlying connection (for TLS details and addresses). */
  get conn(): Conn {
    return this.#conn;
  }

  /**
   * Extensions from the last EHLO, by upper-case keyword, with the rest of
   * the line as value (`SIZE` → `"10240"`, `AUTH` → `"PLAIN LOGIN"`).
   */
  get extensions(): ReadonlyMap<string, string> {
    return this.#ext;
  }

  /** Reads one reply without sending anything. */
  read(): Promise<Reply> {
    return readReply(this.#reader, { maxTotal: this.#maxReply });
  }

  /** Sends one raw command line (CRLF added) and returns the reply, unchecked. */
  async command(line: string): Promise<Reply> {
    await this.#conn.write(`${line}\r\n`);
    return await this.read();
  }

  /** Reads the greeting; throws unless it is 220. */
  async greeting(): Promise<Reply> {
    return expect(await this.read(), 220);
  }

  /** Sends EHLO and records the extensions. */
  async ehlo(name: string): Promise<Reply> {
    const reply = expect(await this.command(`EHLO ${name}`), 250);
    this.#ext = new Map();
    for (const line of reply.lines.slice(1)) {
      const sp = line.indexOf(" ");
      const key = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
      this.#ext.set(key, sp < 0 ? "" : line.slice(sp + 1));
    }
    return reply;
  }

  /** Sends HELO. */
  async helo(name: string): Promise<Reply> {
    this.#ext = new Map();
    return expect(await this.command(`HELO ${name}`), 250);
  }

  /**
   * Sends STARTTLS and runs the handshake. Bytes the server sent after its
   * 220 are refused (they would be trusted as if sent under TLS). The
   * extensions are forgotten: send EHLO again.
   */
  async startTls(opts: ClientTlsOptions): Promise<TlsInfo> {
    expect(await this.command("STARTTLS"), 220);
    if (this.#reader.buffered() > 0) {
      this.#conn.close();
      throw new Error("Server sent data after its STARTTLS reply");
    }
    const info = await this.#conn.startTlsClient(opts);
    this.#reader = new SmtpReader(this.#conn);
    this.#ext = new Map();
    return info;
  }

  /** AUTH PLAIN with an initial response; throws unless 235. */
  async auth(user: string, pass: string): Promise<Reply> {
    const token = Buffer.from(`\0${user}\0${pass}`, "utf8").toString("base64");
    return expect(await this.command(`AUTH PLAIN ${token}`), 235);
  }

  /** MAIL FROM; `""` sends the null sender. */
  async mail(from: string, params: Params = {}): Promise<Reply> {
    return expect(await this.command(`MAIL FROM:<${from}>${fmt(params)}`), 250);
  }

  /** RCPT TO; 250 and 251 are success. */
  async rcpt(to: string, params: Params = {}): Promise<Reply> {
    return expect(
      await this.command(`RCPT TO:<${to}>${fmt(params)}`),
      250,
      251,
    );
  }

  /** DATA, then the dot-stuffed message; returns the final reply. */
  async data(msg: Uint8Array): Promise<Reply> {
    expect(await this.command("DATA"), 354);
    await this.#conn.write(dotStuff(msg));
    return expect(await this.read(), 250);
  }

  /** RSET. */
  async rset(): Promise<Reply> {
    return expect(await this.command("RSET"), 250);
  }

  /** NOOP. */
  async noop(): Promise<Reply> {
    return expect(await this.command("NOOP"), 250);
  }

  /** QUIT, then closes the connection whatever the reply. */
  async quit(): Promise<Reply> {
    try {
      return await this.command("QUIT");
    } finally {
      this.#conn.close();
    }
  }

  /** Closes the connection without QUIT. */
  close(): void {
    this.#conn.close();
  }
}

function fmt(params: Params): string {
  let s = "";
  for (const [k, v] of Object.entries(params)) {
    s += v === "" ? ` ${k}` : ` ${k}=${v}`;
  }
  return s;
}

/** Returns the reply if its code is one of `codes`, else throws it as an `SmtpError`. */
function expect(reply: Reply, ...codes: number[]): Reply {
  if (codes.includes(reply.code)) return reply;
  if (reply.code >= 400) throw replyError(reply);
  // An unexpected success code (e.g. 250 where 354 was due) is a protocol
  // error; report it as a permanent one, with the peer's text.
  throw replyError({
    ...reply,
    code: 554,
    text: `Unexpected reply ${reply.code}: ${reply.text}`,
  });
}
