/**
 * Address normalisation as chasquid does it (BEHAVIOUR.md §8), plus the
 * small string helpers that sit around it. Pure functions, no project
 * imports.
 *
 * - **Domains** (N-01): Go `idna.ToUnicode` with its Punycode profile (only
 *   `xn--` labels are decoded; a label that does not decode is an error;
 *   nothing else is validated), then NFC, then Go's simple lower-casing.
 *   Domains are held as U-labels. `domainToAscii` is the reverse for DNS
 *   and for peers without SMTPUTF8.
 * - **Users** (N-02): PRECIS `UsernameCaseMapped` (RFC 8265): width
 *   mapping, lower-casing, NFC, the Bidi rule, then the IdentifierClass
 *   check: controls, spaces, symbols and punctuation outside ASCII,
 *   compatibility characters (`Ⅳ`), unassigned code points and the like
 *   are rejected. An empty user is rejected too.
 * - **Aliases helpers** (N-07, N-08, N-10): `removeDropChars` drops the
 *   drop characters before the first suffix separator only;
 *   `removeSuffix` cuts at the first occurrence of any separator.
 * - **Sanitising** (N-11): `sanitizeForMda` for MDA arguments,
 *   `sanitizeEhlo` for the hook's `EHLO_DOMAIN`.
 *
 * @module
 */

import { PunycodeError, toAscii, toUnicode } from "./_idna.ts";
import { PrecisError, usernameCaseMapped } from "./_precis.ts";

/** Thrown when a name cannot be normalised. */
export class NormalizeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NormalizeError";
  }
}

/** Go's `strings.ToLower`: simple per-code-point mapping (`İ` → `i`, `Σ` → `σ`). */
function goLower(s: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s.toLowerCase();
  let out = "";
  for (const c of s) out += c === "\u0130" ? "i" : c.toLowerCase();
  return out;
}

/**
 * Normalises a domain: IDNA ToUnicode, NFC, lower-case (N-01).
 * @throws {NormalizeError} when an `xn--` label is not valid Punycode.
 * @example
 * ```ts
 * domain("xn--aca-6ma.TEST"); // "ñaca.test"
 * ```
 */
export function domain(d: string): string {
  if (d === "") return "";
  try {
    return goLower(toUnicode(d).normalize("NFC"));
  } catch (e) {
    if (e instanceof PunycodeError) {
      throw new NormalizeError(`domain "${d}" is not valid IDNA`, { cause: e });
    }
    throw e;
  }
}

/**
 * The IDNA A-label (punycode) form of a domain, for DNS and for peers
 * without SMTPUTF8. The domain is normalised first.
 * @throws {NormalizeError} when the domain is not valid IDNA.
 */
export function domainToAscii(d: string): string {
  if (d === "") return "";
  const u = domain(d);
  try {
    return toAscii(u);
  } catch (e) {
    throw new NormalizeError(`domain "${d}" is not valid IDNA`, { cause: e });
  }
}

/**
 * Normalises a local user with PRECIS UsernameCaseMapped (N-02).
 * @throws {NormalizeError} when the user is empty or has disallowed code points.
 * @example
 * ```ts
 * user("ÑAndÚ"); // "ñandú"
 * user("henryⅣ"); // throws
 * ```
 */
export function user(u: string): string {
  if (u === "") throw new NormalizeError("empty username");
  try {
    return usernameCaseMapped(u);
  } catch (e) {
    if (e instanceof PrecisError) {
      throw new NormalizeError(e.message, { cause: e });
    }
    throw e;
  }
}

/**
 * Normalises `user@domain` (split at the last `@`); an address without `@`
 * normalises as a user.
 * @throws {NormalizeError}
 */
export function addr(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 0) return user(address);
  return `${user(address.slice(0, at))}@${domain(address.slice(at + 1))}`;
}

/**
 * Normalises only the domain part of an address, keeping the local part
 * (N-03, RCPT before the local check). `<>` and addresses without `@` are
 * returned unchanged.
 * @throws {NormalizeError} when the domain is not valid IDNA.
 */
export function domainOfAddr(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 0) return address;
  return `${address.slice(0, at)}@${domain(address.slice(at + 1))}`;
}

/**
 * Removes every drop character from a user part, but only before the first
 * suffix separator; the suffix is kept as is (N-07, N-10).
 * @example
 * ```ts
 * removeDropChars("juana.perez+fru.ta", ".", "+"); // "juanaperez+fru.ta"
 * ```
 */
export function removeDropChars(
  u: string,
  dropChars: string,
  suffixSeps: string,
): string {
  let out = "";
  let i = 0;
  for (const c of u) {
    if (suffixSeps.includes(c)) return out + u.slice(i);
    if (!dropChars.includes(c)) out += c;
    i += c.length;
  }
  return out;
}

/**
 * Removes the suffix: everything from the first occurrence of any separator
 * character (N-08).
 * @example
 * ```ts
 * removeSuffix("pepe-x+y", "+-"); // "pepe"
 * ```
 */
export function removeSuffix(u: string, suffixSeps: string): string {
  let cut = u.length;
  for (const sep of suffixSeps) {
    const i = u.indexOf(sep);
    if (i >= 0 && i < cut) cut = i;
  }
  return u.slice(0, cut);
}

const MDA_UNSAFE = /[\p{White_Space}\p{Cc}/;"'\\|*&$%()[\]{}`!]/gu;

/**
 * Removes characters that could be trouble on an MDA command line:
 * whitespace, control characters, backslash, pipe and each of
 * `` /;"'*&$%()[]{}`! `` (N-11). Defence in depth, not quoting.
 */
export function sanitizeForMda(s: string): string {
  return s.replace(MDA_UNSAFE, "");
}

/** Keeps only `[a-zA-Z0-9-.[]:]` of an EHLO domain, for `EHLO_DOMAIN` (N-11). */
export function sanitizeEhlo(s: string): string {
  return s.replace(/[^a-zA-Z0-9\-.[\]:]/g, "");
}
