/**
 * A self-signed certificate for try mode, made with `node:crypto` alone (no
 * openssl binary needed): an ECDSA P-256 key and a minimal X.509 v3
 * certificate with the given DNS names as subjectAltName.
 *
 * @module
 */

import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { Buffer } from "node:buffer";

function len(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, content: Uint8Array | number[]): Uint8Array {
  const c = content instanceof Uint8Array ? content : Uint8Array.from(content);
  return Uint8Array.from([tag, ...len(c.length), ...c]);
}

function seq(...parts: Uint8Array[]): Uint8Array {
  return tlv(0x30, Buffer.concat(parts));
}

function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split(".").map(Number) as [
    number,
    number,
    ...number[],
  ];
  const out = [a * 40 + b];
  for (const v of rest) {
    const chunk: number[] = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) chunk.unshift(0x80 | (x & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, out);
}

function positiveInt(bytes: Uint8Array): Uint8Array {
  return tlv(0x02, bytes[0]! & 0x80 ? [0, ...bytes] : [...bytes]);
}

function utcTime(d: Date): Uint8Array {
  const p = (n: number) => String(n).padStart(2, "0");
  const s =
    `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${
      p(d.getUTCDate())
    }` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, [...new TextEncoder().encode(s)]);
}

function name(cn: string): Uint8Array {
  return seq(
    tlv(
      0x31,
      seq(oid("2.5.4.3"), tlv(0x0c, [...new TextEncoder().encode(cn)])),
    ),
  );
}

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n")
    .replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Makes a certificate valid from an hour ago for `days` days. */
export function selfSignedCert(
  dnsNames: readonly string[],
  now: Date,
  days = 365,
): { cert: string; key: string } {
  const { publicKey, privateKey } = generateKeyPairSync("ec", {
    namedCurve: "prime256v1",
  });
  const spki = new Uint8Array(
    publicKey.export({ type: "spki", format: "der" }),
  );
  const sigAlg = seq(oid("1.2.840.10045.4.3.2"));
  const san = seq(
    ...dnsNames.map((n) => tlv(0x82, [...new TextEncoder().encode(n)])),
  );
  const extensions = tlv(0xa3, seq(seq(oid("2.5.29.17"), tlv(0x04, san))));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, [2])),
    positiveInt(new Uint8Array(randomBytes(16))),
    sigAlg,
    name(dnsNames[0] ?? "localhost"),
    seq(
      utcTime(new Date(now.getTime() - 3_600_000)),
      utcTime(new Date(now.getTime() + days * 86_400_000)),
    ),
    name(dnsNames[0] ?? "localhost"),
    spki,
    extensions,
  );
  const signature = sign("sha256", tbs, privateKey);
  const cert = seq(tbs, sigAlg, tlv(0x03, [0, ...signature]));
  return {
    cert: pem("CERTIFICATE", cert),
    key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}
