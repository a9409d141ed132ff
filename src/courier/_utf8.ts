/**
 * Addresses as they go out (N-06): unchanged when the peer speaks
 * SMTPUTF8, with the domain in IDNA ASCII otherwise; a non-ASCII local part
 * cannot be sent to a peer without SMTPUTF8.
 *
 * @module
 */

import { domainToAscii } from "../normalize/mod.ts";

// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** True when `s` holds any non-ASCII character. */
export function isNonAscii(s: string): boolean {
  return NON_ASCII.test(s);
}

/** The text a recipient gets when its local part cannot be sent. */
export const LOCAL_PART_NOT_ASCII =
  "599 5.6.7 Local part is not ASCII and the peer does not support SMTPUTF8";

/**
 * The address to put in MAIL or RCPT, or `null` when it cannot be sent
 * (non-ASCII local part, or an invalid IDNA domain, without SMTPUTF8).
 * The null sender `""` stays as it is.
 */
export function outboundAddr(addr: string, smtputf8: boolean): string | null {
  if (smtputf8 || !isNonAscii(addr)) return addr;
  const at = addr.lastIndexOf("@");
  const local = at < 0 ? addr : addr.slice(0, at);
  if (at < 0 || isNonAscii(local)) return null;
  try {
    return `${local}@${domainToAscii(addr.slice(at + 1))}`;
  } catch {
    return null;
  }
}
