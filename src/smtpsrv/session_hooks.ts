/**
 * The session's side of the hooks (K-01..K-05, B-04, D-05): the facts the
 * hooks see, the envelope hook at MAIL and RCPT, and the post-DATA hook
 * between our headers and the queue. Without `ctx.hooks` nothing runs.
 *
 * @module
 */

import { SmtpError } from "../smtp/errors.ts";
import { domainOf } from "../envelope/mod.ts";
import type { HookFacts, HookReject } from "../hooks/mod.ts";
import type { Session } from "./session.ts";

/** What the hooks are told about this transaction; `rcptTo` as accepted so far unless given. */
export function hookFacts(
  s: Session,
  over: { mailFrom?: string; rcptTo?: readonly string[] } = {},
): HookFacts {
  const mailFrom = over.mailFrom ?? s.state.mailFrom ?? "";
  return {
    remoteAddr: s.remote,
    ehloDomain: s.state.ehloDomain,
    mailFrom,
    rcptTo: over.rcptTo ?? s.state.rcptTo,
    authAs: s.authAs,
    onTls: s.conn.tls !== null,
    fromLocalDomain: mailFrom !== "" &&
      s.ctx.localDomains().has(domainOf(mailFrom)),
    spfPass: s.state.spf?.result === "pass",
    ...(s.state.dmarcResult !== null
      ? { dmarcResult: s.state.dmarcResult }
      : {}),
  };
}

function rejectError(r: HookReject): SmtpError {
  // The text already starts with its enhanced code (S-47).
  return new SmtpError(r.permanent ? 554 : 451, "", r.text);
}

/**
 * B-04: runs the envelope hook for `mail` (with the sender about to be
 * accepted) or `rcpt` (with this one recipient). A rejection is logged
 * and thrown as 550/451.
 */
export async function envelopeHook(
  s: Session,
  stage: "mail" | "rcpt",
  address: string,
): Promise<void> {
  const hooks = s.ctx.hooks;
  if (!hooks) return;
  const facts = stage === "mail"
    ? hookFacts(s, { mailFrom: address, rcptTo: [] })
    : hookFacts(s, { rcptTo: [address] });
  const r = await hooks.envelope(stage, facts);
  if (r.kind !== "reject") return;
  s.ctx.maillog.rejected(
    s.remote,
    facts.mailFrom,
    facts.rcptTo,
    `envelope hook: ${r.text}`,
  );
  throw new SmtpError(r.permanent ? 550 : 451, "", r.text);
}

/**
 * D-05: runs the post-DATA hook on `message` (our headers already on top)
 * and returns the message to queue, with the hook's headers above
 * everything. A rejection is logged and thrown as 554/451 (S-47).
 */
export async function postDataHook(
  s: Session,
  message: Uint8Array,
): Promise<Uint8Array> {
  const hooks = s.ctx.hooks;
  if (!hooks) return message;
  const facts = hookFacts(s);
  const r = await hooks.postData(facts, message);
  const result = r.kind === "ok"
    ? "success"
    : r.kind === "reject"
    ? "fail"
    : r.kind;
  s.metrics.hookResults.inc(`post-data:${result}`);
  if (r.kind === "reject") {
    s.ctx.maillog.rejected(s.remote, facts.mailFrom, facts.rcptTo, r.text);
    throw rejectError(r);
  }
  if (r.kind !== "ok" || r.headers === "") return message;
  const head = new TextEncoder().encode(r.headers);
  const out = new Uint8Array(head.length + message.length);
  out.set(head, 0);
  out.set(message, head.length);
  return out;
}
