/**
 * DKIM keys, signing and verification (DK-01..DK-04, H-05).
 *
 * Signing is ours (relaxed/relaxed over `node:crypto`), because the
 * header set of H-05 over-signs From, Subject, Date, To, Cc and Message-ID,
 * which mailauth's signer cannot express. Verification is mailauth's, with
 * chaski's limits on top.
 *
 * @module
 */
import {
  createHash,
  createPrivateKey,
  type KeyObject,
  sign,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import type { Files } from "../runtime/types.ts";
import { headerBlock, parseHeaderFields } from "./_headers.ts";

/** A private key that signs for one domain. */
export interface DkimKey {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: "rsa-sha256" | "ed25519-sha256";
  readonly key: KeyObject;
  /** The file it came from, relative to the config dir. */
  readonly file: string;
}

/** A key file that cannot be used; the message names the file. */
export class DkimKeyError extends Error {
  readonly file: string;
  constructor(file: string, detail: string, options?: ErrorOptions) {
    super(`${file}: invalid DKIM key: ${detail}`, options);
    this.name = "DkimKeyError";
    this.file = file;
  }
}

const KEY_FILE = /^dkim:(.+)\.pem$/;

/**
 * Parses one PEM private key (PKCS#8 `PRIVATE KEY`; RSA of at least 1024
 * bits, or Ed25519). `file` only names the key in errors.
 */
export function parseDkimKey(
  pem: string,
  where: { file: string; domain: string; selector: string },
): DkimKey {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (err) {
    throw new DkimKeyError(where.file, "not a PEM private key", { cause: err });
  }
  const type = key.asymmetricKeyType;
  if (type === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 1024) {
      throw new DkimKeyError(
        where.file,
        `RSA key has ${bits} bits, want 1024+`,
      );
    }
    return { ...where, algorithm: "rsa-sha256", key };
  }
  if (type === "ed25519") return { ...where, algorithm: "ed25519-sha256", key };
  throw new DkimKeyError(where.file, `unsupported key type "${type}"`);
}

/**
 * Reads every `domains/<d>/dkim:<selector>.pem` of `domains`, by domain.
 * A domain without a directory or keys has no entry. Throws
 * `DkimKeyError` naming the first bad file.
 */
export async function loadDkimKeys(
  files: Files,
  configDir: string,
  domains: readonly string[],
): Promise<Map<string, DkimKey[]>> {
  const out = new Map<string, DkimKey[]>();
  for (const domain of domains) {
    const dir = join("domains", domain);
    const st = await files.stat(join(configDir, dir));
    if (!st) continue;
    const keys: DkimKey[] = [];
    for (const name of await files.readDir(join(configDir, dir))) {
      const m = KEY_FILE.exec(name);
      if (!m) continue;
      const file = join(dir, name);
      const pem = await files.readText(join(configDir, file));
      keys.push(parseDkimKey(pem, { file, domain, selector: m[1]! }));
    }
    if (keys.length > 0) out.set(domain, keys);
  }
  return out;
}

/** H-05: signed once per occurrence, in message order. */
const SIGNED = [
  "From",
  "Reply-To",
  "Subject",
  "Date",
  "To",
  "Cc",
  "Resent-Date",
  "Resent-From",
  "Resent-To",
  "Resent-Cc",
  "In-Reply-To",
  "References",
  "List-Id",
  "List-Help",
  "List-Unsubscribe",
  "List-Subscribe",
  "List-Post",
  "List-Owner",
  "List-Archive",
  "Message-ID",
]; // deno-fmt-ignore
/** H-05: listed once more, so that adding one breaks the signature. */
const OVERSIGNED = ["From", "Subject", "Date", "To", "Cc", "Message-ID"];
const SIGNED_BY_LOWER = new Map(SIGNED.map((n) => [n.toLowerCase(), n]));

/** RFC 6376 §3.4.4: relaxed body canonicalization. */
export function relaxedBody(body: string): string {
  const lines = body.split(/\r?\n/).map((l) =>
    l.replace(/[ \t]+/g, " ").replace(/ $/, "")
  );
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.length === 0 ? "" : lines.join("\r\n") + "\r\n";
}

/** RFC 6376 §3.4.2: relaxed header canonicalization, with its CRLF. */
export function relaxedHeader(name: string, value: string): string {
  const v = value.replace(/\r?\n/g, "").replace(/[ \t]+/g, " ").trim();
  return `${name.trim().toLowerCase()}:${v}\r\n`;
}

/** What `signMessage()` needs. */
export interface SignOptions {
  readonly message: Uint8Array;
  /** The MAIL FROM domain: the `d=` of every signature. */
  readonly domain: string;
  /** Every key signs (DK-01). */
  readonly keys: readonly DkimKey[];
  /** Goes in `t=`. */
  readonly now: Date;
}

/**
 * Returns `message` with one DKIM-Signature per key prepended (H-05:
 * relaxed/relaxed, `t=`, no `x=`, `l=` or `i=`). Throws when it cannot
 * sign (no From header, a key that fails); the session answers 451 4.3.0
 * (S-46) so that unsigned mail never leaves.
 */
export function signMessage(opts: SignOptions): Uint8Array {
  const text = Buffer.from(opts.message).toString("latin1");
  const { header, body } = headerBlock(text);
  const fields = parseHeaderFields(header);
  const names = fields
    .map((f) => SIGNED_BY_LOWER.get(f.name.toLowerCase()))
    .filter((n): n is string => n !== undefined);
  if (!names.includes("From")) {
    throw new Error("Cannot DKIM-sign a message without a From header");
  }
  const h = [...names, ...OVERSIGNED];
  const signedHeaders = selectHeaders(fields, h);
  const bh = createHash("sha256").update(relaxedBody(body), "latin1")
    .digest("base64");
  const t = Math.floor(opts.now.getTime() / 1000);
  const sigs: string[] = [];
  for (const k of opts.keys) {
    const unsigned =
      `DKIM-Signature: v=1; a=${k.algorithm}; c=relaxed/relaxed;\r\n` +
      ` d=${opts.domain}; s=${k.selector}; t=${t};\r\n` +
      ` h=${foldList(h)};\r\n bh=${bh};\r\n b=`;
    const data = signedHeaders +
      relaxedHeader("DKIM-Signature", unsigned.slice(15)).slice(0, -2);
    const b = signData(k, Buffer.from(data, "latin1"));
    sigs.push(unsigned + wrap(b) + "\r\n");
  }
  return Buffer.concat([Buffer.from(sigs.join(""), "latin1"), opts.message]);
}

function signData(k: DkimKey, data: Buffer): string {
  try {
    if (k.algorithm === "rsa-sha256") {
      return sign("sha256", data, k.key).toString("base64");
    }
    // RFC 8463: Ed25519 signs the SHA-256 hash of the data.
    const digest = createHash("sha256").update(data).digest();
    return sign(null, digest, k.key).toString("base64");
  } catch (err) {
    throw new Error(`DKIM signing with "${k.file}" failed`, { cause: err });
  }
}

/** The fields `h` names, canonicalized, as a verifier picks them (bottom-up). */
function selectHeaders(
  fields: readonly { name: string; value: string }[],
  h: readonly string[],
): string {
  const used = new Set<number>();
  let out = "";
  for (const name of h) {
    const lower = name.toLowerCase();
    for (let i = fields.length - 1; i >= 0; i--) {
      if (used.has(i) || fields[i]!.name.toLowerCase() !== lower) continue;
      used.add(i);
      out += relaxedHeader(fields[i]!.name, fields[i]!.value);
      break;
    }
  }
  return out;
}

function foldList(names: readonly string[]): string {
  const lines: string[] = [];
  let cur = "";
  for (const n of names) {
    if (cur && cur.length + n.length > 68) {
      lines.push(cur);
      cur = "";
    }
    cur += (cur ? ":" : "") + n;
  }
  lines.push(cur);
  return lines.join(":\r\n   ");
}

function wrap(b64: string): string {
  const parts: string[] = [];
  for (let i = 0; i < b64.length; i += 70) parts.push(b64.slice(i, i + 70));
  return parts.join("\r\n  ");
}

export { type DkimVerifyResult, verifyMessage } from "./_dkim_verify.ts";
