/**
 * Test-only helpers: fresh DKIM keys and their DNS records.
 *
 * @module
 */
import { generateKeyPairSync } from "node:crypto";
import { type DkimKey, parseDkimKey } from "./dkim.ts";

/** A key, its PEM and its `_domainkey` TXT record value. */
export interface TestKey {
  readonly key: DkimKey;
  readonly pem: string;
  readonly txt: string;
}

/** Generates a key for `selector._domainkey.domain`. */
export function testKey(
  type: "rsa" | "ed25519",
  domain: string,
  selector: string,
  bits = 2048,
): TestKey {
  const kp = type === "rsa"
    ? generateKeyPairSync("rsa", { modulusLength: bits })
    : generateKeyPairSync("ed25519");
  const pem = kp.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const spki = kp.publicKey.export({ type: "spki", format: "der" });
  // RFC 8463: the Ed25519 p= is the raw 32-byte key, not SPKI.
  const p = (type === "rsa" ? spki : spki.subarray(12)).toString("base64");
  const key = bits < 1024
    ? {
      domain,
      selector,
      algorithm: "rsa-sha256" as const,
      key: kp.privateKey,
      file: "t",
    }
    : parseDkimKey(pem, { file: `${selector}.pem`, domain, selector });
  return { key, pem, txt: `v=DKIM1; k=${type}; p=${p}` };
}
