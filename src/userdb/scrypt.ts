/**
 * chasquid-compatible password hashing: scrypt with N=2^14, r=8,
 * p=1, a 32-byte key and a 16-byte random salt, compared in constant time.
 * Hashes from chasquid `users` files keep their own parameters, within
 * sane bounds so a hand-edited file cannot make every login cost seconds.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** A scrypt hash as chasquid stores it. */
export interface ScryptHash {
  /** log2 of the CPU/memory cost N. */
  readonly logN: number;
  readonly r: number;
  readonly p: number;
  /** Length of `encrypted` in bytes. */
  readonly keyLen: number;
  readonly salt: Uint8Array;
  /** The derived key. */
  readonly encrypted: Uint8Array;
}

/** Parameters for new hashes, chasquid's. */
export const SCRYPT_DEFAULTS = Object.freeze({
  logN: 14,
  r: 8,
  p: 1,
  keyLen: 32,
  saltLen: 16,
});

/** Bounds accepted from files: chasquid's values fit well inside. */
const LIMITS = {
  logN: [1, 20],
  r: [1, 32],
  p: [1, 16],
  keyLen: [16, 128],
} as const;

/**
 * Why a hash's parameters are unacceptable, or `null` when they are fine.
 */
export function checkScryptParams(h: Omit<ScryptHash, "salt">): string | null {
  for (const [name, [lo, hi]] of Object.entries(LIMITS)) {
    const v = h[name as keyof typeof LIMITS];
    if (!Number.isInteger(v) || v < lo || v > hi) {
      return `scrypt ${name} must be an integer from ${lo} to ${hi}: current value is "${v}"`;
    }
  }
  if (h.encrypted.length !== h.keyLen) {
    return `scrypt keyLen is ${h.keyLen} but the key has ${h.encrypted.length} bytes`;
  }
  return null;
}

function derive(
  password: string,
  salt: Uint8Array,
  h: Omit<ScryptHash, "salt" | "encrypted">,
): Promise<Buffer> {
  const N = 2 ** h.logN;
  // Node refuses when 128*N*r*p exceeds maxmem; leave room above that.
  const maxmem = Math.max(64 * 1024 * 1024, 256 * N * h.r * h.p);
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(password, "utf8"),
      salt,
      h.keyLen,
      { N, r: h.r, p: h.p, maxmem },
      (err, key) => err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a new password with chasquid's parameters and a random salt. */
export async function scryptHash(password: string): Promise<ScryptHash> {
  const { saltLen, ...params } = SCRYPT_DEFAULTS;
  const salt = new Uint8Array(randomBytes(saltLen));
  const key = await derive(password, salt, params);
  return { ...params, salt, encrypted: new Uint8Array(key) };
}

/**
 * True when `password` matches `hash`. Runs off the event loop; the final
 * comparison is constant-time. Out-of-bounds parameters never match.
 */
export async function scryptVerify(
  hash: ScryptHash,
  password: string,
): Promise<boolean> {
  if (checkScryptParams(hash) !== null) return false;
  const key = await derive(password, hash.salt, hash);
  return timingSafeEqual(key, hash.encrypted);
}

/**
 * Constant-time equality of a stored clear-text password (`plain` scheme)
 * and a candidate. Like chasquid, only the length can leak.
 */
export function plainMatches(stored: string, password: string): boolean {
  const a = Buffer.from(stored, "utf8");
  const b = Buffer.from(password, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}
