/**
 * One SMTP session: the command loop, limits, and the verb table. Verb
 * handlers live in `verbs.ts`, `session_auth.ts` and `session_data.ts`; each
 * returns a reply or throws `SmtpError`, and anything else becomes
 * `451 4.3.0` logged with the session id.
 *
 * @module
 */

import type { Conn, Timer } from "../runtime/types.ts";
import { SmtpError } from "../smtp/errors.ts";
import { EofError, LineTooLongError, SmtpReader } from "../smtp/reader.ts";
import { formatReply } from "../smtp/reply.ts";
import type { Logger } from "../log/mod.ts";
import type { Mode, SessionContext, SpfOutcome } from "./types.ts";
import { VERBS } from "./verbs.ts";
import { type Counter, MetricsRegistry } from "../monitoring/mod.ts";

/** The `chasquid/smtpIn/*` metrics (§22), declared against the server's registry. */
function declareMetrics(registry: MetricsRegistry) {
  return {
    commandCount: registry.counter(
      "chasquid/smtpIn/commandCount",
      "count of SMTP commands received, by command",
      "command",
    ),
    responseCodeCount: registry.counter(
      "chasquid/smtpIn/responseCodeCount",
      "response codes returned to SMTP commands",
      "code",
    ),
    loopsDetected: registry.counter(
      "chasquid/smtpIn/loopsDetected",
      "count of loops detected",
    ),
    tlsCount: registry.counter(
      "chasquid/smtpIn/tlsCount",
      "count of TLS usage in incoming connections",
      "status",
    ),
    hookResults: registry.counter(
      "chasquid/smtpIn/hookResults",
      "count of hook invocations, by hook and result",
      "result",
    ),
    wrongProtoCount: registry.counter(
      "chasquid/smtpIn/wrongProtoCount",
      "count of commands for other protocols",
      "command",
    ),
    spfResultCount: registry.counter(
      "chasquid/smtpIn/spfResultCount",
      "SPF result count, by result",
      "result",
    ),
    dkimSigned: registry.counter(
      "chasquid/smtpIn/dkimSigned",
      "count of successful DKIM signs",
    ),
    dkimSignErrors: registry.counter(
      "chasquid/smtpIn/dkimSignErrors",
      "count of DKIM sign errors",
    ),
    dkimVerifyFound: registry.counter(
      "chasquid/smtpIn/dkimVerifyFound",
      "count of messages with at least one DKIM signature",
    ),
    dkimVerifyNotFound: registry.counter(
      "chasquid/smtpIn/dkimVerifyNotFound",
      "count of messages without DKIM signatures",
    ),
    dkimVerifyValid: registry.counter(
      "chasquid/smtpIn/dkimVerifyValid",
      "count of messages with at least one valid DKIM signature",
    ),
    dkimVerifyErrors: registry.counter(
      "chasquid/smtpIn/dkimVerifyErrors",
      "count of messages with at least one DKIM signature that did not verify",
    ),
  } satisfies Record<string, Counter>;
}

/** The session's counters. */
export type SmtpInMetrics = ReturnType<typeof declareMetrics>;

const declared = new WeakMap<MetricsRegistry, SmtpInMetrics>();

/** One declaration per registry; without one, counts go to a private registry. */
function metricsFor(registry: MetricsRegistry | undefined): SmtpInMetrics {
  const reg = registry ?? new MetricsRegistry();
  let m = declared.get(reg);
  if (!m) {
    m = declareMetrics(reg);
    declared.set(reg, m);
  }
  return m;
}

/** Verbs that belong to HTTP: counted in `wrongProtoCount` instead. */
const WRONG_PROTOCOL = new Set(["GET", "POST", "CONNECT"]);

/** A reply to send: code and text (the text may hold `\n` for multi-line). */
export interface Reply {
  readonly code: number;
  readonly text: string;
}

/** Handler for one verb. Returning `null` means "no reply" (already sent). */
export type Handler = (
  s: Session,
  arg: string,
) => Reply | null | Promise<Reply | null>;

/** The envelope being built and what the client told us so far. */
export interface SessionState {
  ehloDomain: string;
  isEsmtp: boolean;
  mailFrom: string | null;
  rcptTo: string[];
  authUser: string;
  authDomain: string;
  authFailures: number;
  hostname: string;
  /** The SPF outcome of the current transaction (unauthenticated senders). */
  spf: SpfOutcome | null;
  /** The DMARC result of the current message, for the post-DATA hook. */
  dmarcResult: string | null;
}

const MAX_ERRORS = 3;
const MAX_LINE = 1000;

let sessionCounter = 0;

/** Runs one connection to completion. */
export class Session {
  readonly conn: Conn;
  readonly mode: Mode;
  readonly ctx: SessionContext;
  readonly id: string;
  readonly log: Logger;
  readonly remote: string;
  readonly state: SessionState;
  readonly metrics: SmtpInMetrics;
  reader: SmtpReader;
  #out: string[] = [];
  #errors = 0;
  #closing = false;
  #cmdTimer: Timer | null = null;
  #waiting = false;
  #connTimer: Timer | null = null;

  constructor(conn: Conn, mode: Mode, ctx: SessionContext) {
    this.conn = conn;
    this.mode = mode;
    this.ctx = ctx;
    this.id = `${(++sessionCounter).toString(36)}`;
    this.remote = formatHostPort(conn.remote.host, conn.remote.port);
    this.log = ctx.log.child({ session: this.id, remote: this.remote });
    this.reader = new SmtpReader(conn);
    this.metrics = metricsFor(ctx.metrics);
    this.state = {
      ehloDomain: "",
      isEsmtp: false,
      mailFrom: null,
      rcptTo: [],
      authUser: "",
      authDomain: "",
      authFailures: 0,
      hostname: ctx.hostname,
      spf: null,
      dmarcResult: null,
    };
    if (conn.tls) this.#adoptSni(conn.tls.servername);
  }

  /** True once AUTH succeeded. */
  get authenticated(): boolean {
    return this.state.authUser !== "";
  }

  /** `user@domain` of the authenticated client, or `""`. */
  get authAs(): string {
    return this.authenticated
      ? `${this.state.authUser}@${this.state.authDomain}`
      : "";
  }

  /** Serves the connection until QUIT, an error, a limit or EOF. */
  async run(): Promise<void> {
    const { clock } = this.ctx;
    this.#connTimer = clock.setTimer(
      this.ctx.connectionTimeoutMs,
      () => this.#expire("connection time limit"),
    );
    try {
      // The greeting is not a reply to a command: not in responseCodeCount.
      this.#out.push(formatReply(220, `${this.state.hostname} ESMTP chaski`));
      await this.flush();
      while (!this.#closing) {
        const line = await this.#readCommand();
        if (line === null) break;
        await this.#dispatch(line);
        if (this.reader.buffered() === 0 || this.#closing) await this.flush();
      }
      await this.flush();
    } catch (err) {
      if (!this.#closing) {
        this.log.debug("session ended with error", { error: err });
      }
      await this.flush().catch(() => {});
    } finally {
      this.#cmdTimer?.cancel();
      this.#connTimer.cancel();
      this.conn.close();
    }
  }

  async #readCommand(): Promise<string | null> {
    this.#cmdTimer ??= this.ctx.clock.setTimer(
      this.ctx.commandTimeoutMs,
      () => this.#expire("timeout"),
    );
    this.#cmdTimer.reset(this.ctx.commandTimeoutMs);
    this.#waiting = true;
    try {
      return await this.reader.readLine(MAX_LINE);
    } catch (err) {
      if (err instanceof LineTooLongError) {
        this.queue(554, "5.5.2 Line too long");
        this.close();
        return null;
      }
      if (this.#closing || err instanceof EofError) return null;
      throw err;
    } finally {
      this.#waiting = false;
      this.#cmdTimer.cancel();
    }
  }

  /**
   * Graceful stop (B-06): an idle session outside a transaction is told
   * 421 4.3.2 and closed now; others finish their transaction first.
   */
  drain(): void {
    if (
      this.#waiting && this.state.mailFrom === null &&
      this.reader.buffered() === 0
    ) {
      this.#expire("shutdown");
    }
  }

  async #dispatch(line: string): Promise<void> {
    const sp = line.indexOf(" ");
    const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp < 0 ? "" : line.slice(sp + 1);
    this.log.trace("->", { line: verb === "AUTH" ? "AUTH <redacted>" : line });
    if (!WRONG_PROTOCOL.has(verb)) {
      this.metrics.commandCount.inc(
        Object.hasOwn(VERBS, verb) ? verb : unknownVerbKey(verb),
      );
    }
    if (
      this.ctx.draining() && this.state.mailFrom === null && verb !== "QUIT"
    ) {
      this.queue(421, "4.3.2 Service shutting down, try again later");
      this.close();
      return;
    }
    const handler = Object.hasOwn(VERBS, verb) ? VERBS[verb] : undefined;
    let reply: Reply | null;
    try {
      reply = handler
        ? await handler(this, arg)
        : { code: 500, text: "5.5.1 Unknown command" };
      if (!handler) {
        this.log.info(
          `error: Unknown command ${JSON.stringify(verb.slice(0, 6))}`,
        );
      }
    } catch (err) {
      reply = this.#errorReply(err, verb);
    }
    if (reply) this.queue(reply.code, reply.text);
  }

  #errorReply(err: unknown, verb: string): Reply {
    if (err instanceof SmtpError) return { code: err.code, text: err.text };
    this.log.error(`${verb} failed unexpectedly`, {
      error: err instanceof Error ? err.stack ?? err : err,
    });
    return {
      code: 451,
      text: "4.3.0 Temporary local problem, try again later",
    };
  }

  /**
   * Queues a reply, applying the error budget (L-07): the third reply of
   * 400 or more becomes `421 4.5.0` and ends the session.
   */
  queue(code: number, text: string): void {
    if (code >= 400 && code !== 421) {
      this.#errors++;
      if (this.#errors >= MAX_ERRORS) {
        this.log.info(`error: too many errors, last: ${code} ${text}`);
        code = 421;
        text = "4.5.0 Too many errors, bye";
        this.close();
      }
    }
    this.metrics.responseCodeCount.inc(String(code));
    this.#out.push(formatReply(code, text));
  }

  /** Takes the queued replies, for writing them together with STARTTLS's 220. */
  takeOutput(): string {
    const out = this.#out.join("");
    this.#out = [];
    return out;
  }

  /** Writes queued replies. */
  async flush(): Promise<void> {
    if (this.#out.length === 0) return;
    const out = this.takeOutput();
    await this.conn.write(out);
  }

  /** Ends the session after the queued replies are written. */
  close(): void {
    this.#closing = true;
  }

  /** Forgets the transaction (RSET, EHLO, after DATA and STARTTLS). */
  resetEnvelope(): void {
    this.state.mailFrom = null;
    this.state.rcptTo = [];
    this.state.spf = null;
    this.state.dmarcResult = null;
  }

  /** Reads one line inside a command (AUTH continuation), under the command timeout. */
  readContinuation(): Promise<string | null> {
    return this.#readCommand();
  }

  /** After STARTTLS or implicit TLS: the SNI name becomes ours if a certificate covers it (T-02). */
  adoptTls(servername: string): void {
    this.reader = new SmtpReader(this.conn);
    this.#adoptSni(servername);
  }

  #adoptSni(servername: string): void {
    const tls = this.ctx.tls();
    if (servername && tls?.covers(servername)) {
      this.state.hostname = servername.toLowerCase();
    }
  }

  #expire(what: string): void {
    if (this.#closing) return;
    this.#closing = true;
    const text = what === "timeout"
      ? "4.4.2 Timeout waiting for a command, bye"
      : what === "shutdown"
      ? "4.3.2 Service shutting down, try again later"
      : "4.4.2 Connection time limit reached, bye";
    this.log.info(`error: ${what}`);
    this.conn.write(formatReply(421, text)).catch(() => {}).finally(() =>
      this.conn.close()
    );
  }
}

/** `ip:port`, with brackets for IPv6 as Go prints it. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** S-12: the metric key of an unknown verb, `unknown<"XXXXXX">` (Go's `%.6q`). */
export function unknownVerbKey(verb: string): string {
  return `unknown<${goQuote(Array.from(verb).slice(0, 6).join(""))}>`;
}

const GO_ESCAPES: Readonly<Record<string, string>> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  '"': '\\"',
  "\\": "\\\\",
};

/** Go's `strconv.Quote`: printable characters kept, the rest escaped. */
function goQuote(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (GO_ESCAPES[ch]) out += GO_ESCAPES[ch];
    else if (cp < 0x80 && cp >= 0x20 && cp !== 0x7f) out += ch;
    else if (cp >= 0x80 && /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) {
      out += ch;
    } else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, "0")}`;
    else out += `\\U${cp.toString(16).padStart(8, "0")}`;
  }
  return `"${out}"`;
}
