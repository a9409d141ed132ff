/**
 * Address normalisation as chasquid does it (BEHAVIOUR.md N-01..N-02):
 * domains become IDNA U-labels, NFC, lower-case; local users go through
 * PRECIS UsernameCaseMapped (RFC 8265). Pure functions, no project imports.
 *
 * @module
 */

import { domainToASCII, domainToUnicode } from "node:url";

/** Thrown when a name cannot be normalised. */
export class NormalizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NormalizeError";
  }
}

/**
 * Normalises a domain: IDNA ToUnicode, NFC, lower-case (N-01).
 * @throws {NormalizeError} when the domain is not valid IDNA.
 */
export function domain(d: string): string {
  if (d === "") return "";
  const ascii = domainToASCII(d.normalize("NFC").toLowerCase());
  if (ascii === "") throw new NormalizeError(`domain "${d}" is not valid IDNA`);
  return domainToUnicode(ascii).normalize("NFC").toLowerCase();
}

/**
 * The IDNA A-label (punycode) form of a domain, for DNS and for peers
 * without SMTPUTF8.
 * @throws {NormalizeError} when the domain is not valid IDNA.
 */
export function domainToAscii(d: string): string {
  if (d === "") return "";
  const ascii = domainToASCII(d.normalize("NFC").toLowerCase());
  if (ascii === "") throw new NormalizeError(`domain "${d}" is not valid IDNA`);
  return ascii;
}

/**
 * Normalises a local user with PRECIS UsernameCaseMapped: width mapping,
 * lower-case, NFC, then the IdentifierClass check (N-02).
 * @throws {NormalizeError} when the user has disallowed code points.
 */
export function user(u: string): string {
  if (u === "") throw new NormalizeError("empty username");
  // Width mapping: fullwidth and halfwidth forms to their decompositions.
  const mapped = u.replace(/[\uff01-\uffef]/g, (c) => c.normalize("NFKC"));
  const out = mapped.toLowerCase().normalize("NFC");
  for (const ch of out) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x21 && cp <= 0x7e) continue;
    if (!/^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u.test(ch)) {
      throw new NormalizeError(`username "${u}" has a disallowed character`);
    }
    if (ch.normalize("NFKC") !== ch) {
      throw new NormalizeError(`username "${u}" has a compatibility character`);
    }
  }
  return out;
}

/**
 * Normalises `user@domain`; an address without `@` normalises as a user.
 * @throws {NormalizeError}
 */
export function addr(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 0) return user(address);
  return `${user(address.slice(0, at))}@${domain(address.slice(at + 1))}`;
}

/** Normalises only the domain part of an address, keeping the local part (N-03). */
export function domainOfAddr(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 0) return address;
  return `${address.slice(0, at)}@${domain(address.slice(at + 1))}`;
}
