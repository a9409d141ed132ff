/**
 * The DATA verb (S-37..S-49, D-01, D-02, D-04): strict dot reading with the
 * size cap, header sanity and loop checks, the Received header, then the
 * durable queue put before the 250.
 *
 * @module
 */

import { authenticateData } from "./session_msgauth.ts";
import { SmtpError } from "../smtp/errors.ts";
import type { Reply, Session } from "./session.ts";
import { receivedHeader } from "./received.ts";
import { scanHeaders } from "./message_check.ts";
import { postDataHook } from "./session_hooks.ts";
import { policyFromHeader } from "./session_policy.ts";

const encoder = new TextEncoder();

/** The DATA verb. */
export async function data(s: Session): Promise<Reply | null> {
  const st = s.state;
  if (st.ehloDomain === "") {
    throw new SmtpError(503, "5.5.1", "Send HELO/EHLO first");
  }
  if (st.mailFrom === null) {
    throw new SmtpError(503, "5.5.1", "Send MAIL first");
  }
  if (st.rcptTo.length === 0) {
    throw new SmtpError(503, "5.5.1", "Send RCPT first");
  }
  s.queue(354, "Go ahead, end the message with a line holding only a dot");
  await s.flush();

  let r;
  try {
    r = await s.reader.readDotData({ maxSize: s.ctx.maxDataSize });
  } catch (err) {
    s.close();
    throw new SmtpError(554, "5.4.0", "Error reading the message", {
      cause: err,
    });
  }
  if (r.status === "badLineEnding") {
    s.log.info(
      "error: DATA failed: invalid line ending (possible SMTP smuggling)",
    );
    s.ctx.maillog.rejected(
      s.remote,
      st.mailFrom,
      st.rcptTo,
      "invalid line ending in DATA",
    );
    s.close();
    throw new SmtpError(
      521,
      "5.5.2",
      "Invalid line ending in message, closing",
    );
  }
  if (r.status === "tooBig") {
    s.ctx.maillog.rejected(s.remote, st.mailFrom, st.rcptTo, "message too big");
    throw new SmtpError(552, "5.3.4", "Message too big");
  }
  const body = r.data;

  const scan = scanHeaders(body);
  if (!scan.ok) {
    s.ctx.maillog.rejected(
      s.remote,
      st.mailFrom,
      st.rcptTo,
      `cannot parse message: ${scan.reason}`,
    );
    throw new SmtpError(
      554,
      "5.6.0",
      `Cannot parse the message: ${scan.reason}`,
    );
  }
  if (scan.received > s.ctx.maxReceivedHeaders) {
    s.metrics.loopsDetected.inc();
    s.ctx.maillog.rejected(s.remote, st.mailFrom, st.rcptTo, "loop detected");
    throw new SmtpError(
      554,
      "5.4.6",
      `Loop detected (${s.ctx.maxReceivedHeaders} hops)`,
    );
  }

  s.metrics.tlsCount.inc(s.conn.tls ? "tls" : "plain");

  // B-02 (D-03, chaski differs): what gets signed must be the user's.
  await policyFromHeader(s, body);
  // D-03: sign (authenticated) or verify (others), then D-04's headers:
  // Authentication-Results, Received-SPF, Received, [DKIM-Signature…], message.
  const { body: checked, above } = await authenticateData(s, body);
  const header = encoder.encode(
    above.map((h) => `${h}\r\n`).join("") + receivedHeader({
      ehloDomain: st.ehloDomain,
      remoteIp: s.conn.remote.host,
      hostname: st.hostname,
      esmtp: st.isEsmtp,
      authenticated: s.authenticated,
      tls: s.conn.tls,
      mode: s.mode,
      mailFrom: st.mailFrom,
      date: new Date(s.ctx.clock.now()),
    }),
  );
  const full = new Uint8Array(header.length + checked.length);
  full.set(header, 0);
  full.set(checked, header.length);
  // D-05: the hook sees every header we add.
  const message = await postDataHook(s, full);

  let id: string;
  try {
    id = await s.ctx.queue.put({
      from: st.mailFrom,
      to: st.rcptTo,
      data: message,
      authAs: s.authAs,
      remoteAddr: s.remote,
    });
  } catch (err) {
    if (err instanceof SmtpError) throw err;
    s.log.error("queueing failed", { error: err });
    throw new SmtpError(
      451,
      "4.3.0",
      "Could not queue the message, try again later",
      { cause: err },
    );
  }
  s.ctx.maillog.queued(s.remote, id, st.mailFrom, st.rcptTo);
  s.resetEnvelope();
  return { code: 250, text: `2.0.0 Accepted, queued as ${id}` };
}
