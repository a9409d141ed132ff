/**
 * One outbound SMTP connection to one mail host (CO-04, CO-05, SL-04,
 * N-06): dial, greeting, EHLO, opportunistic STARTTLS, then transactions of
 * up to 100 recipients each, with a result per recipient.
 *
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type { Clock, Conn, Net } from "../runtime/types.ts";
import type { Reply } from "../smtp/reply.ts";
import { SmtpClient } from "../smtp/client.ts";
import { dotStuff } from "../smtp/dot.ts";
import { SmtpError } from "../smtp/errors.ts";
import { CappedConn } from "./_capped_conn.ts";
import { isNonAscii, LOCAL_PART_NOT_ASCII, outboundAddr } from "./_utf8.ts";
import { type DeliveryResult, permanent, sent, temporary } from "./types.ts";

/** How TLS went on one connection. */
export type TlsStatus = "plain" | "tls:insecure" | "tls:secure";

/** Judges a connection's TLS: `null` to go on, or why not (SL-03, ST-03). */
export type TlsCheck = (
  tls: TlsStatus,
) => Promise<string | null> | string | null;

/** Recipients per transaction (RFC 5321 §4.5.3.1.8 minimum). */
export const MAX_RCPTS = 100;

/** Octets of replies accepted per connection (CO-04). */
export const MAX_REPLY_BYTES = 2 * 1024 * 1024;

/** What one session needs. */
export interface SessionOptions {
  readonly net: Net;
  readonly clock: Clock;
  readonly log: Logger | undefined;
  /** The mail host name: SNI and the name its certificate must match. */
  readonly host: string;
  readonly addrs: readonly string[];
  readonly port: number;
  readonly hostname: string;
  readonly dialTimeoutMs: number;
  readonly connTimeoutMs: number;
  readonly tlsCa: string | undefined;
  /** Try STARTTLS when offered; false on the plain retry after a failure. */
  readonly tryTls: boolean;
  readonly from: string;
  readonly to: readonly string[];
  readonly data: Uint8Array;
  /**
   * Called once TLS is settled, before MAIL FROM; a returned text ends the
   * session with a temporary failure (a security level below the recorded
   * one, MTA-STS enforce without `tls:secure`). @default none
   */
  readonly tlsCheck?: TlsCheck | undefined;
}

/** How a session ended. */
export type SessionOutcome =
  | {
    readonly kind: "done";
    /** One per recipient; temporary ones may be tried on the next host. */
    readonly results: DeliveryResult[];
    /** `null` when no connection was made. */
    readonly tls: TlsStatus | null;
    /** A 5xx at MAIL or DATA: do not try further hosts. */
    readonly stop: boolean;
  }
  | { readonly kind: "tlsFailed"; readonly error: Error };

/** A failure that makes every unfinished recipient temporary. */
class TempFail extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TempFail";
  }
}

/** A STARTTLS or handshake failure: reconnect without TLS. */
class TlsFail extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsFail";
  }
}

/** Runs one connection; never throws. */
export async function runSession(o: SessionOptions): Promise<SessionOutcome> {
  const results: (DeliveryResult | undefined)[] = o.to.map(() => undefined);
  let conn: Conn;
  try {
    conn = await dialAny(o);
  } catch (err) {
    const r = temporary(errText(err), err);
    return { kind: "done", results: o.to.map(() => r), tls: null, stop: false };
  }
  let timedOut = false;
  const timer = o.clock.setTimer(o.connTimeoutMs, () => {
    timedOut = true;
    conn.close();
  });
  const s = new Session(o, new CappedConn(conn, MAX_REPLY_BYTES), results);
  try {
    await s.run();
  } catch (err) {
    if (err instanceof TlsFail) {
      return { kind: "tlsFailed", error: err };
    }
    const msg = timedOut
      ? `${o.host}: connection timed out`
      : `${o.host}: ${errText(err)}`;
    o.log?.debug("outbound session failed", { host: o.host, error: msg });
    const r = temporary(msg, err);
    for (let i = 0; i < results.length; i++) results[i] ??= r;
  } finally {
    timer.cancel();
    conn.close();
  }
  const fallback = temporary(`${o.host}: session ended early`);
  return {
    kind: "done",
    results: results.map((r) => r ?? fallback),
    tls: s.tls,
    stop: s.stop,
  };
}

async function dialAny(o: SessionOptions): Promise<Conn> {
  let last: unknown = new Error("no addresses");
  for (const host of o.addrs) {
    try {
      return await o.net.dial({
        host,
        port: o.port,
        timeoutMs: o.dialTimeoutMs,
      });
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`${o.host}: could not connect: ${errText(last)}`, {
    cause: last,
  });
}

function errText(err: unknown): string {
  if (err instanceof SmtpError) return `${err.code} ${err.text}`;
  return err instanceof Error ? err.message : String(err);
}

/** The reply as it goes into an error: `550 5.1.1 text`, on one line. */
function replyText(r: Reply): string {
  return `${r.code} ${r.lines.join(" ")}`;
}

class Session {
  readonly #o: SessionOptions;
  readonly #c: SmtpClient;
  readonly #results: (DeliveryResult | undefined)[];
  tls: TlsStatus | null = null;
  stop = false;

  constructor(
    o: SessionOptions,
    conn: Conn,
    results: (DeliveryResult | undefined)[],
  ) {
    this.#o = o;
    this.#c = new SmtpClient(conn, { maxReply: MAX_REPLY_BYTES });
    this.#results = results;
  }

  async run(): Promise<void> {
    const greeting = await this.#c.read();
    if (greeting.code !== 220) {
      throw new TempFail(`greeting: ${replyText(greeting)}`);
    }
    this.tls = "plain";
    await this.#hello();
    if (this.#o.tryTls && this.#c.extensions.has("STARTTLS")) {
      await this.#startTls();
      await this.#hello();
    }
    const refusal = await this.#o.tlsCheck?.(this.tls);
    if (refusal) throw new TempFail(refusal);
    const all = this.#o.to.map((_, i) => i);
    for (let i = 0; i < all.length && !this.stop; i += MAX_RCPTS) {
      await this.#transaction(all.slice(i, i + MAX_RCPTS));
    }
    try {
      await this.#c.command("QUIT");
    } catch {
      // Every result is final by now; a QUIT that goes wrong changes none.
    }
  }

  async #hello(): Promise<void> {
    try {
      await this.#c.ehlo(this.#o.hostname);
    } catch (err) {
      // A peer that does not know EHLO gets HELO, as RFC 5321 §3.2 says.
      if (!(err instanceof SmtpError && err.permanent)) throw err;
      await this.#c.helo(this.#o.hostname);
    }
  }

  async #startTls(): Promise<void> {
    const o = this.#o;
    try {
      const info = await this.#c.startTls({
        servername: o.host,
        timeoutMs: o.connTimeoutMs,
        ...(o.tlsCa === undefined ? {} : { ca: o.tlsCa }),
      });
      this.tls = info.authorized ? "tls:secure" : "tls:insecure";
      o.log?.debug("outbound TLS", {
        host: o.host,
        tls: this.tls,
        error: info.authorizationError,
      });
    } catch (err) {
      throw new TlsFail(`${o.host}: STARTTLS failed: ${errText(err)}`, {
        cause: err,
      });
    }
  }

  #has(ext: string): boolean {
    return this.#c.extensions.has(ext);
  }

  /** Sets the result of every recipient in `idx` that has none yet. */
  #settle(idx: readonly number[], r: DeliveryResult): void {
    for (const i of idx) this.#results[i] ??= r;
  }

  async #transaction(idx: readonly number[]): Promise<void> {
    const o = this.#o;
    const utf8 = this.#has("SMTPUTF8") &&
      (isNonAscii(o.from) || idx.some((i) => isNonAscii(o.to[i]!)));
    const from = o.from === "<>" ? "" : o.from;
    const mailAddr = outboundAddr(from, utf8);
    if (mailAddr === null) {
      this.#settle(idx, permanent(LOCAL_PART_NOT_ASCII));
      this.stop = true;
      return;
    }
    let params = this.#has("8BITMIME") ? " BODY=8BITMIME" : "";
    if (utf8) params += " SMTPUTF8";
    const mail = await this.#c.command(`MAIL FROM:<${mailAddr}>${params}`);
    if (mail.code >= 500 && mail.code < 600) {
      this.#settle(idx, permanent(`${replyText(mail)} (MAIL FROM, ${o.host})`));
      this.stop = true;
      return;
    }
    if (mail.code !== 250) {
      throw new TempFail(`MAIL FROM: ${replyText(mail)}`);
    }
    const accepted = await this.#rcpts(idx, utf8);
    if (accepted.length === 0) {
      await this.#c.command("RSET");
      return;
    }
    await this.#data(accepted);
  }

  async #rcpts(idx: readonly number[], utf8: boolean): Promise<number[]> {
    const o = this.#o;
    const accepted: number[] = [];
    for (const i of idx) {
      const addr = outboundAddr(o.to[i]!, utf8);
      if (addr === null) {
        this.#results[i] = permanent(LOCAL_PART_NOT_ASCII);
        continue;
      }
      const r = await this.#c.command(`RCPT TO:<${addr}>`);
      const text = `${replyText(r)} (RCPT TO, ${o.host})`;
      if (r.code >= 200 && r.code < 300) accepted.push(i);
      else if (r.code >= 500) this.#results[i] = permanent(text);
      else this.#results[i] = temporary(text);
    }
    return accepted;
  }

  async #data(accepted: readonly number[]): Promise<void> {
    const o = this.#o;
    let reply = await this.#c.command("DATA");
    if (reply.code === 354) {
      await this.#c.conn.write(dotStuff(o.data));
      reply = await this.#c.read();
    } else if (reply.code < 400) {
      throw new TempFail(`DATA: unexpected ${replyText(reply)}`);
    }
    if (reply.code >= 200 && reply.code < 300) {
      this.#settle(accepted, sent);
      return;
    }
    const text = `${replyText(reply)} (DATA, ${o.host})`;
    if (reply.code >= 500) {
      this.#settle(accepted, permanent(text));
      this.stop = true;
      return;
    }
    throw new TempFail(`DATA: ${replyText(reply)}`);
  }
}
