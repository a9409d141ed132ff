/**
 * AUTH PLAIN and LOGIN (S-52..S-60, B-01): TLS only, one successful AUTH per
 * session, identity rules of chasquid (authzid equal to authcid or empty,
 * user PRECIS-normalised, domain IDNA), and the mail log's auth lines.
 * Timing equalisation lives in the authenticator.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { SmtpError } from "../smtp/errors.ts";
import * as normalize from "../normalize/mod.ts";
import type { Reply, Session } from "./session.ts";

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 decoding; `*` (cancel) and garbage fail (S-60). */
export function decodeBase64(s: string): Uint8Array {
  const t = s.trim();
  if (t.length % 4 !== 0 || !B64.test(t)) {
    throw new SmtpError(
      501,
      "5.5.2",
      "Cannot decode the AUTH response: invalid base64",
    );
  }
  return new Uint8Array(Buffer.from(t, "base64"));
}

/**
 * Turns a SASL PLAIN response into `[user, domain, password]`.
 * @throws {SmtpError} 501 5.5.2 on any malformed response.
 */
export function decodePlain(response: string): [string, string, string] {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(
    decodeBase64(response),
  );
  const parts = text.split("\0");
  if (parts.length !== 3) {
    throw badResponse("expected three NUL-separated fields");
  }
  const [authz, authc, password] = parts as [string, string, string];
  if (authz !== "" && authc !== "" && authz !== authc) {
    throw badResponse("authorization and authentication identities differ");
  }
  const identity = authc !== "" ? authc : authz;
  if (identity === "") throw badResponse("empty identity");
  return [...splitIdentity(identity), password];
}

function splitIdentity(identity: string): [string, string] {
  const at = identity.indexOf("@");
  const user = at < 0 ? identity : identity.slice(0, at);
  const domain = at < 0 ? "" : identity.slice(at + 1);
  try {
    return [normalize.user(user), normalize.domain(domain)];
  } catch (err) {
    throw badResponse("identity cannot be normalised", err);
  }
}

function badResponse(detail: string, cause?: unknown): SmtpError {
  return new SmtpError(
    501,
    "5.5.2",
    `Cannot decode the AUTH response: ${detail}`,
    cause ? { cause } : undefined,
  );
}

/** The AUTH verb. */
export async function auth(s: Session, arg: string): Promise<Reply> {
  if (!s.conn.tls) {
    throw new SmtpError(503, "5.7.10", "TLS is required for AUTH");
  }
  if (s.authenticated) {
    throw new SmtpError(503, "5.5.1", "Already authenticated");
  }
  const [mech = "", initial] = arg.trim().split(/\s+/, 2);
  const mechanism = mech.toUpperCase();
  let response: string;
  if (mechanism === "PLAIN") {
    response = initial ?? await prompt(s, "");
  } else if (mechanism === "LOGIN") {
    response = await loginToPlain(s, initial);
  } else {
    throw new SmtpError(534, "5.7.9", "Mechanism not supported");
  }
  const [user, domain, password] = decodePlain(response);
  const who = domain ? `${user}@${domain}` : user;
  let result;
  try {
    result = await s.ctx.authenticator.authenticate(user, domain, password);
  } catch (err) {
    s.log.error("authentication backend failed", { user: who, error: err });
    s.ctx.maillog.auth(s.remote, who, false);
    throw new SmtpError(454, "4.7.0", "Temporary authentication failure");
  }
  s.ctx.maillog.auth(s.remote, who, result === "ok");
  if (result !== "ok") {
    s.state.authFailures++;
    s.log.info(`error: AUTH failed for ${who}`);
    throw new SmtpError(535, "5.7.8", "Authentication credentials invalid");
  }
  s.state.authUser = user;
  s.state.authDomain = domain;
  return { code: 235, text: "2.7.0 Authentication successful" };
}

/** AUTH LOGIN: username and password prompts, turned into a PLAIN response. */
async function loginToPlain(
  s: Session,
  initial: string | undefined,
): Promise<string> {
  const userB64 = initial ?? await prompt(s, "VXNlcm5hbWU6");
  const user = decodeBase64(userB64);
  const pass = decodeBase64(await prompt(s, "UGFzc3dvcmQ6"));
  const plain = new Uint8Array(user.length * 2 + pass.length + 2);
  plain.set(user, 0);
  plain.set(user, user.length + 1);
  plain.set(pass, user.length * 2 + 2);
  return Buffer.from(plain).toString("base64");
}

/** Sends a 334 challenge and reads the client's line (never logged). */
async function prompt(s: Session, challenge: string): Promise<string> {
  s.queue(334, challenge);
  await s.flush();
  const line = await s.readContinuation();
  if (line === null) {
    s.close();
    throw new SmtpError(
      501,
      "5.5.2",
      "Cannot decode the AUTH response: connection closed",
    );
  }
  return line;
}
