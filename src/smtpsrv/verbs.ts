/**
 * The verb table and the envelope verbs (HELO/EHLO, MAIL, RCPT, RSET,
 * STARTTLS and the small ones). Reply codes and enhanced codes are
 * chasquid's (BEHAVIOUR.md §6); texts are ours.
 *
 * @module
 */

import { checkSender } from "./session_msgauth.ts";
import { SmtpError } from "../smtp/errors.ts";
import { parseMailFrom, parseRcptTo } from "../smtp/command.ts";
import * as normalize from "../normalize/mod.ts";
import { domainOf } from "../envelope/mod.ts";
import type { Handler, Reply, Session } from "./session.ts";
import { auth } from "./session_auth.ts";
import { data } from "./session_data.ts";
import { envelopeHook } from "./session_hooks.ts";
import { policyMailFrom } from "./session_policy.ts";

const MAX_RECIPIENTS = 100;
const MAX_ADDRESS_LEN = 256;

function ok(code: number, text: string): Reply {
  return { code, text };
}

function helo(s: Session, arg: string): Reply {
  const domain = arg.trim().split(/\s+/)[0] ?? "";
  if (domain === "") throw new SmtpError(501, "", "HELO needs a domain");
  s.resetEnvelope();
  s.state.ehloDomain = domain;
  s.state.isEsmtp = false;
  return ok(250, `${s.state.hostname} Hello, pleased to meet you`);
}

function ehlo(s: Session, arg: string): Reply {
  const domain = arg.trim().split(/\s+/)[0] ?? "";
  if (domain === "") throw new SmtpError(501, "", "EHLO needs a domain");
  s.resetEnvelope();
  s.state.ehloDomain = domain;
  s.state.isEsmtp = true;
  const lines = [
    `${s.state.hostname} Hello, pleased to meet you`,
    "8BITMIME",
    "PIPELINING",
    "SMTPUTF8",
    "ENHANCEDSTATUSCODES",
    `SIZE ${s.ctx.maxDataSize}`,
  ];
  if (s.conn.tls) lines.push("AUTH PLAIN LOGIN");
  else if (s.ctx.tls()) lines.push("STARTTLS");
  lines.push("HELP");
  return ok(250, lines.join("\n"));
}

async function mail(s: Session, arg: string): Promise<Reply> {
  if (s.mode !== "SMTP" && !s.authenticated) {
    throw new SmtpError(550, "5.7.9", "Authentication required on this port");
  }
  const { address, params } = parseMailFrom(arg);
  const size = params.get("SIZE");
  if (
    size !== undefined && /^\d+$/.test(size) && Number(size) > s.ctx.maxDataSize
  ) {
    throw new SmtpError(552, "5.3.4", "Message size exceeds the limit");
  }
  let from = "";
  if (address !== "") {
    if (new TextEncoder().encode(address).length > MAX_ADDRESS_LEN) {
      throw new SmtpError(501, "5.1.7", "Sender address too long");
    }
    try {
      from = normalize.domainOfAddr(address);
    } catch (err) {
      throw new SmtpError(501, "5.1.8", "Sender domain is not valid IDNA", {
        cause: err,
      });
    }
  }
  s.resetEnvelope();
  await checkSender(s, from);
  // Sender policy (B-02); the envelope hook runs last.
  await policyMailFrom(s, from);
  await envelopeHook(s, "mail", from);
  s.state.mailFrom = from;
  return ok(250, "2.1.5 Sender ok");
}

async function rcpt(s: Session, arg: string): Promise<Reply> {
  if (s.state.mailFrom === null) {
    throw new SmtpError(503, "5.5.1", "Send MAIL first");
  }
  const { address } = parseRcptTo(arg);
  if (s.state.rcptTo.length >= MAX_RECIPIENTS) {
    throw new SmtpError(452, "4.5.3", "Too many recipients");
  }
  const to = checkedRecipient(address);
  const domain = domainOf(to);
  if (!s.ctx.localDomains().has(domain)) {
    if (!s.authenticated) {
      s.ctx.maillog.rejected(
        s.remote,
        s.state.mailFrom,
        [to],
        "relay not allowed",
      );
      throw new SmtpError(503, "5.7.1", "Relaying denied");
    }
    return await accepted(s, to);
  }
  let local: string;
  try {
    local = normalize.addr(to);
  } catch (err) {
    s.ctx.maillog.rejected(
      s.remote,
      s.state.mailFrom,
      [to],
      `invalid address: ${(err as Error).message}`,
    );
    throw new SmtpError(550, "5.1.3", "Invalid recipient address", {
      cause: err,
    });
  }
  let exists: boolean;
  try {
    exists = await s.ctx.recipients.exists(local);
  } catch (err) {
    s.log.error("error checking if user exists", { rcpt: local, error: err });
    throw new SmtpError(
      451,
      "4.4.3",
      "Temporary error checking the recipient",
      { cause: err },
    );
  }
  if (!exists) {
    s.ctx.maillog.rejected(
      s.remote,
      s.state.mailFrom,
      [local],
      "local user does not exist",
    );
    throw new SmtpError(550, "5.1.1", "Unknown recipient");
  }
  return await accepted(s, local);
}

/** The recipient passed our checks: the envelope hook has the last word (B-04). */
async function accepted(s: Session, to: string): Promise<Reply> {
  await envelopeHook(s, "rcpt", to);
  s.state.rcptTo.push(to);
  return ok(250, "2.1.5 Recipient ok");
}

/** Checks one parsed RCPT address (S-30, S-31); returns it with a Unicode domain. */
function checkedRecipient(address: string): string {
  let to: string;
  try {
    to = normalize.domainOfAddr(address);
  } catch (err) {
    throw new SmtpError(501, "5.1.2", "Recipient domain is not valid IDNA", {
      cause: err,
    });
  }
  if (new TextEncoder().encode(to).length > MAX_ADDRESS_LEN) {
    throw new SmtpError(501, "5.1.3", "Recipient address too long");
  }
  return to;
}

async function starttls(s: Session): Promise<Reply | null> {
  if (s.conn.tls) throw new SmtpError(503, "5.5.1", "Already on TLS");
  const tls = s.ctx.tls();
  if (!tls) throw new SmtpError(454, "4.7.0", "TLS not available");
  // Bytes pipelined after STARTTLS would be processed as if they came over
  // TLS (STARTTLS command injection, CVE-2011-0411); refuse and close.
  if (s.reader.buffered() > 0 || s.conn.pendingBytes() > 0) {
    s.close();
    throw new SmtpError(
      554,
      "5.5.1",
      "Commands after STARTTLS are not allowed before the handshake",
    );
  }
  // No await before this call: the connection pauses in this same tick.
  const pending = s.takeOutput() + "220 2.0.0 Ready to start TLS\r\n";
  s.metrics.responseCodeCount.inc("220");
  try {
    const info = await s.conn.startTls(pending, tls, s.ctx.commandTimeoutMs);
    s.adoptTls(info.servername);
  } catch (err) {
    s.log.info("error: TLS handshake failed", { error: err });
    s.close();
    return null;
  }
  // RFC 3207 §4.2: forget everything the client said before TLS.
  s.resetEnvelope();
  s.state.ehloDomain = "";
  s.state.isEsmtp = false;
  return null;
}

function wrongProtocol(s: Session, arg: string, verb: string): Reply {
  s.metrics.wrongProtoCount.inc(verb);
  s.log.info(`error: http command: ${verb} ${arg.slice(0, 40)}`);
  s.close();
  return ok(502, "5.7.0 This is an SMTP server, not a web server");
}

/** The verb table: every command the session understands. */
export const VERBS: Readonly<Record<string, Handler>> = {
  HELO: helo,
  EHLO: ehlo,
  MAIL: mail,
  RCPT: rcpt,
  DATA: data,
  AUTH: auth,
  STARTTLS: starttls,
  RSET: (s) => {
    s.resetEnvelope();
    return ok(250, "2.0.0 Reset");
  },
  NOOP: () => ok(250, "2.0.0 Ok"),
  HELP: () =>
    ok(214, "2.0.0 Commands follow RFC 5321; ask your postmaster for help"),
  VRFY: () => ok(502, "5.5.1 VRFY is not available"),
  EXPN: () => ok(502, "5.5.1 EXPN is not available"),
  QUIT: (s) => {
    s.close();
    return ok(221, "2.0.0 Bye");
  },
  GET: (s, arg) => wrongProtocol(s, arg, "GET"),
  POST: (s, arg) => wrongProtocol(s, arg, "POST"),
  CONNECT: (s, arg) => wrongProtocol(s, arg, "CONNECT"),
};
