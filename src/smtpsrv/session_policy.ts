/**
 * The sender policy in the session (B-02; see src/policy): MAIL FROM at
 * MAIL (enforce only) and MAIL FROM with every `From:` address after DATA,
 * before DKIM signing (D-03). Only authenticated sessions are checked.
 *
 * @module
 */

import { SmtpError } from "../smtp/errors.ts";
import { fromAddresses } from "../policy/mod.ts";
import type { Session } from "./session.ts";

/**
 * MAIL: in `enforce` mode, refuses a MAIL FROM that is not the user's.
 * `report` waits for DATA, so that a message is reported once.
 * @throws {SmtpError} 553 5.7.1.
 */
export async function policyMailFrom(s: Session, from: string): Promise<void> {
  const policy = s.ctx.senderPolicy;
  if (!policy || !s.authenticated) return;
  if (policy.modeFor(s.authAs) !== "enforce") return;
  if ((await policy.notOwned(s.authAs, [from])).length === 0) return;
  policy.count("violation");
  s.ctx.maillog.rejected(
    s.remote,
    from,
    [],
    `sender policy: MAIL FROM is not an address of ${s.authAs}`,
  );
  throw new SmtpError(553, "5.7.1", "Sender address not allowed");
}

/**
 * DATA: checks MAIL FROM and the `From:` addresses of `body` together;
 * `report` logs a violation, `enforce` refuses it.
 * @throws {SmtpError} 550 5.7.1 in `enforce` mode.
 */
export async function policyFromHeader(
  s: Session,
  body: Uint8Array,
): Promise<void> {
  const policy = s.ctx.senderPolicy;
  if (!policy || !s.authenticated) return;
  const mode = policy.modeFor(s.authAs);
  if (mode === "off") return;
  const from = s.state.mailFrom ?? "";
  let bad: string[];
  try {
    bad = await policy.notOwned(s.authAs, [from, ...fromAddresses(body)]);
  } catch (err) {
    if (mode === "enforce") throw err;
    s.log.warn("sender policy not checked", { user: s.authAs, error: err });
    return;
  }
  policy.count(bad.length === 0 ? "ok" : "violation");
  if (bad.length === 0) return;
  if (mode === "report") {
    s.ctx.maillog.senderPolicy(s.remote, s.authAs, from, bad);
    return;
  }
  s.ctx.maillog.rejected(
    s.remote,
    from,
    s.state.rcptTo,
    `sender policy: From: is not an address of ${s.authAs}`,
  );
  throw new SmtpError(550, "5.7.1", "From: address not allowed");
}
