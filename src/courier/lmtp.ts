/**
 * Local delivery over LMTP (RFC 2033, LM-01..LM-04), e.g. to Dovecot's
 * `/run/dovecot/lmtp`: one transaction for several recipients, and after
 * the message one reply per accepted recipient, in RCPT order.
 *
 * The dialogue is chasquid's `mda-lmtp`: expect 220, `LHLO`, `MAIL FROM`,
 * `RCPT TO` per recipient, `DATA` with the dot-stuffed message (stored with
 * CRLF already, D-01), `QUIT`. chaski fixes LM-03: a 5xx from the server
 * (at MAIL, RCPT or after DATA) is permanent, so the sender gets a DSN at
 * once; 4xx, connection and protocol errors, garbage and timeouts are
 * temporary.
 *
 * @module
 */

import type { Clock, Conn, DialOptions, Net } from "../runtime/types.ts";
import { dotStuff } from "../smtp/dot.ts";
import { SmtpReader } from "../smtp/reader.ts";
import { readReply, type Reply } from "../smtp/reply.ts";
import {
  type Courier,
  type DeliveryResult,
  permanent,
  sent,
  temporary,
} from "./types.ts";

/** Replies are short; a server sending more is broken. */
const MAX_REPLY_BYTES = 64 * 1024;

/** What the LMTP courier needs. */
export interface LmtpProps {
  readonly net: Net;
  /** `host:port` (`[v6]:port` too) or the absolute path of a unix socket. */
  readonly address: string;
  /** The name sent with LHLO. */
  readonly hostname: string;
  /**
   * Deadline for connecting and for each step of the dialogue; the whole
   * message counts as one step. @default 60000
   */
  readonly timeoutMs?: number;
  /** Timers for the deadline. @default the global timers */
  readonly clock?: Clock;
}

/** Where to connect: a unix socket path, or a host and port. */
export function parseLmtpAddress(
  address: string,
): Omit<DialOptions, "timeoutMs"> {
  if (address.startsWith("/")) return { host: "", port: 0, path: address };
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new RangeError(
      `LMTP address must be "host:port" or an absolute socket path: current value is "${address}"`,
    );
  }
  return { host: m[1] ?? m[2]!, port };
}

/** Maps a reply to a result: 2xx sent, 5xx permanent, anything else temporary. */
export function replyResult(reply: Reply, what: string): DeliveryResult {
  if (reply.code >= 200 && reply.code < 300) return sent;
  const msg = `${what}: ${reply.code} ${reply.text.replaceAll("\n", " ")}`;
  return reply.code >= 500 && reply.code < 600
    ? permanent(msg)
    : temporary(msg);
}

/** The LMTP courier. */
export class LmtpCourier implements Courier {
  readonly #p: LmtpProps;
  readonly #dial: Omit<DialOptions, "timeoutMs">;

  /** @throws {RangeError} when `address` is neither form. */
  constructor(props: LmtpProps) {
    this.#p = props;
    this.#dial = parseLmtpAddress(props.address);
  }

  async deliver(
    from: string,
    to: string,
    data: Uint8Array,
  ): Promise<DeliveryResult> {
    return (await this.deliverBatch(from, [to], data))[0]!;
  }

  /** Delivers to several recipients at once; one result per recipient, same order. */
  async deliverBatch(
    from: string,
    to: readonly string[],
    data: Uint8Array,
  ): Promise<DeliveryResult[]> {
    if (to.length === 0) return [];
    const timeoutMs = this.#p.timeoutMs ?? 60_000;
    const where = `LMTP server "${this.#p.address}"`;
    let conn: Conn;
    try {
      conn = await this.#p.net.dial({ ...this.#dial, timeoutMs });
    } catch (err) {
      const r = temporary(`${where}: connection failed: ${errText(err)}`, err);
      return to.map(() => r);
    }
    const results: (DeliveryResult | undefined)[] = to.map(() => undefined);
    const deadline = new Deadline(timeoutMs, () => conn.close(), this.#p.clock);
    const s = new Transaction(conn, deadline, where);
    try {
      await s.run(this.#p.hostname, from, to, data, results);
    } catch (err) {
      const why = deadline.expired ? "timed out" : errText(err);
      const r = temporary(`${where}: ${why}`, err);
      for (let i = 0; i < results.length; i++) results[i] ??= r;
    } finally {
      deadline.cancel();
      conn.close();
    }
    return results.map((r) => r ?? temporary(`${where}: no reply`));
  }
}

/** One LMTP connection's dialogue; throws on connection and protocol errors. */
class Transaction {
  #conn: Conn;
  #reader: SmtpReader;
  #deadline: Deadline;
  #where: string;

  constructor(conn: Conn, deadline: Deadline, where: string) {
    this.#conn = conn;
    this.#reader = new SmtpReader(conn);
    this.#deadline = deadline;
    this.#where = where;
  }

  async #read(): Promise<Reply> {
    this.#deadline.restart();
    return await readReply(this.#reader, { maxTotal: MAX_REPLY_BYTES });
  }

  async #command(line: string): Promise<Reply> {
    this.#deadline.restart();
    await this.#conn.write(`${line}\r\n`);
    return await this.#read();
  }

  /** Throws unless `reply` has `code`; the session cannot go on otherwise. */
  #expect(reply: Reply, code: number, step: string): void {
    if (reply.code === code) return;
    throw new Error(
      `unexpected reply to ${step}: ${reply.code} ${
        reply.text.replaceAll("\n", " ")
      }`,
    );
  }

  async run(
    hostname: string,
    from: string,
    to: readonly string[],
    data: Uint8Array,
    results: (DeliveryResult | undefined)[],
  ): Promise<void> {
    this.#expect(await this.#read(), 220, "connect");
    this.#expect(await this.#command(`LHLO ${hostname}`), 250, "LHLO");
    if (!safe(from)) {
      results.fill(permanent(`Invalid sender address: "${from}"`));
      return await this.#quit();
    }
    const mail = replyResult(
      await this.#command(`MAIL FROM:<${from}>`),
      `${this.#where} rejected the sender at MAIL`,
    );
    if (mail.status !== "sent") {
      results.fill(mail);
      return await this.#quit();
    }
    const accepted: number[] = [];
    for (const [i, rcpt] of to.entries()) {
      const r = safe(rcpt)
        ? replyResult(
          await this.#command(`RCPT TO:<${rcpt}>`),
          `${this.#where} rejected "${rcpt}" at RCPT`,
        )
        : permanent(`Invalid recipient address: "${rcpt}"`);
      if (r.status === "sent") accepted.push(i);
      else results[i] = r;
    }
    if (accepted.length > 0) await this.#data(data, to, accepted, results);
    await this.#quit();
  }

  async #data(
    data: Uint8Array,
    to: readonly string[],
    accepted: readonly number[],
    results: (DeliveryResult | undefined)[],
  ): Promise<void> {
    const start = await this.#command("DATA");
    if (start.code !== 354) {
      const r = replyResult(start, `${this.#where} rejected DATA`);
      for (const i of accepted) {
        results[i] = r.status === "sent"
          ? temporary(`${this.#where}: unexpected reply to DATA: ${start.code}`)
          : r;
      }
      return;
    }
    this.#deadline.restart();
    await this.#conn.write(dotStuff(data));
    // RFC 2033 §4.2: one reply per accepted recipient, in RCPT order.
    for (const i of accepted) {
      results[i] = replyResult(
        await this.#read(),
        `${this.#where} failed delivery to "${to[i]}"`,
      );
    }
  }

  /** Says goodbye; the results are settled, so failures here do not matter. */
  async #quit(): Promise<void> {
    try {
      await this.#command("QUIT");
    } catch {
      // The server may hang up without a 221.
    }
  }
}

/** A restartable deadline that calls `onExpire` once when it runs out. */
class Deadline {
  expired = false;
  #ms: number;
  #cancel: () => void;
  #restart: () => void;

  constructor(ms: number, onExpire: () => void, clock?: Clock) {
    this.#ms = ms;
    const fire = () => {
      this.expired = true;
      onExpire();
    };
    if (clock) {
      const t = clock.setTimer(ms, fire);
      this.#cancel = () => t.cancel();
      this.#restart = () => t.reset(this.#ms);
    } else {
      let t = setTimeout(fire, ms);
      this.#cancel = () => clearTimeout(t);
      this.#restart = () => {
        clearTimeout(t);
        t = setTimeout(fire, this.#ms);
      };
    }
  }

  restart(): void {
    if (!this.expired) this.#restart();
  }

  cancel(): void {
    this.#cancel();
  }
}

/** Addresses go inside `<>` on a command line: no line breaks or brackets. */
function safe(addr: string): boolean {
  return !/[\r\n<>]/.test(addr);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
