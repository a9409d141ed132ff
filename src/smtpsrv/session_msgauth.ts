/**
 * Mail authentication in the session (#4): SPF and the inbound security
 * level at MAIL FROM (SP-01..SP-04, SL-02, S-21, S-22), DKIM signing or
 * verification and DMARC at DATA (D-03, DK-01, DK-04, B-07, S-46), and the
 * headers of D-04. Authenticated sessions are signed, never checked; the
 * null sender is never checked (S-17).
 *
 * @module
 */

import { SmtpError } from "../smtp/errors.ts";
import { domainOf } from "../envelope/mod.ts";
import type { Session } from "./session.ts";

/** SL-01: what an inbound connection proves. */
const TLS_CLIENT = 1;
const PLAIN = 0;

/** Keeps control characters and overlong texts out of a reply. */
function replyText(s: string): string {
  return s.replace(/[\p{Cc}]/gu, " ").slice(0, 300);
}

/**
 * SPF and the inbound security level for a sender about to be accepted;
 * stores the SPF outcome in the session state.
 * @throws {SmtpError} 550 5.7.23 on an SPF fail, 550 5.7.3 on a downgrade.
 */
export async function checkSender(s: Session, from: string): Promise<void> {
  const auth = s.ctx.msgAuth;
  if (!auth || from === "" || s.authenticated) return;
  const spf = await auth.spf(s.conn.remote.host, from, s.state.ehloDomain);
  s.metrics.spfResultCount.inc(spf.result);
  if (spf.result === "fail") {
    s.ctx.maillog.rejected(
      s.remote,
      from,
      [],
      `failed SPF: ${spf.explanation}`,
    );
    throw new SmtpError(
      550,
      "5.7.23",
      `SPF check failed: ${replyText(spf.explanation)}`,
    );
  }
  s.state.spf = spf;
  const levels = s.ctx.secLevels;
  if (!levels) return;
  // Only a passing SPF may raise or check a level: a spoofer cannot.
  if (spf.result !== "pass") {
    levels.incomingSkipped();
    return;
  }
  const level = s.conn.tls ? TLS_CLIENT : PLAIN;
  if (!(await levels.incomingCheck(domainOf(from), level))) {
    s.ctx.maillog.rejected(s.remote, from, [], "security level check failed");
    throw new SmtpError(550, "5.7.3", "Security level check failed");
  }
}

/**
 * DATA: signs authenticated mail, or verifies DKIM and DMARC for the rest.
 * Returns the message (signed or not) and the headers to put above the
 * Received header, top first (D-04: Authentication-Results, Received-SPF).
 * @throws {SmtpError} 451 4.3.0 when signing fails; 550 5.7.1 on a DMARC
 *   `p=reject` failure with `dmarc_enforce`.
 */
export async function authenticateData(
  s: Session,
  body: Uint8Array,
): Promise<{ body: Uint8Array; above: string[] }> {
  const auth = s.ctx.msgAuth;
  const st = s.state;
  if (!auth) return { body, above: [] };
  if (s.authenticated) return { body: sign(s, body), above: [] };
  const above: string[] = [];
  const v = await auth.verify(body, st.spf, st.hostname);
  s.metrics[v.dkimFound > 0 ? "dkimVerifyFound" : "dkimVerifyNotFound"].inc();
  if (v.dkimValid > 0) s.metrics.dkimVerifyValid.inc();
  if (v.dkimFound > v.dkimValid) s.metrics.dkimVerifyErrors.inc();
  st.dmarcResult = v.dmarcResult;
  if (v.dmarcReject && auth.dmarcEnforce) {
    s.ctx.maillog.rejected(
      s.remote,
      st.mailFrom,
      st.rcptTo,
      "DMARC policy reject",
    );
    throw new SmtpError(
      550,
      "5.7.1",
      "Rejected by the sender domain's DMARC policy",
    );
  }
  if (v.authResults) above.push(v.authResults);
  if (st.spf) above.push(st.spf.header);
  return { body, above };
}

function sign(s: Session, body: Uint8Array): Uint8Array {
  const from = s.state.mailFrom ?? "";
  try {
    const signed = s.ctx.msgAuth!.sign(body, domainOf(from));
    if (signed !== body) s.metrics.dkimSigned.inc();
    return signed;
  } catch (err) {
    s.metrics.dkimSignErrors.inc();
    s.log.error("DKIM signing failed", { from, error: err });
    throw new SmtpError(451, "4.3.0", "DKIM signing failed, try again later", {
      cause: err,
    });
  }
}
