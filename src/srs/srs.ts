/**
 * SRS0/SRS1 encoding and decoding; the format is in `mod.ts`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

/** How long an SRS address stays valid, in days. */
export const MAX_AGE_DAYS = 7;

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DAY_MS = 86_400_000;
const TT_PERIOD = 1024;
const HASH_LEN = 6;
const SRS_RE = /^srs([01])[=+-]/i;

/** What `Srs` needs. */
export interface SrsOptions {
  /** HMAC keys, newest (the signing key) first; at least one. */
  readonly keys: readonly Uint8Array[];
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** @default MAX_AGE_DAYS */
  readonly maxAgeDays?: number;
}

/** The outcome of decoding an SRS address. */
export type SrsReverse =
  | { readonly ok: true; readonly address: string }
  | { readonly ok: false; readonly reason: string };

/** True when the local part of `address` is SRS-shaped (any case). */
export function isSrs(address: string): boolean {
  return SRS_RE.test(address);
}

/** Rewrites forwarded senders and decodes the bounces to them. */
export class Srs {
  readonly #keys: readonly Uint8Array[];
  readonly #now: () => number;
  readonly #maxAge: number;

  constructor(opts: SrsOptions) {
    if (opts.keys.length === 0) throw new RangeError("SRS needs a key");
    this.#keys = opts.keys;
    this.#now = opts.now;
    this.#maxAge = opts.maxAgeDays ?? MAX_AGE_DAYS;
  }

  /**
   * The SRS sender for mail from `sender` forwarded by `aliasDomain`:
   * SRS0 for a plain address, SRS1 for another forwarder's SRS0 or SRS1.
   * The null sender and addresses without `@` are returned unchanged.
   */
  forward(sender: string, aliasDomain: string): string {
    const at = sender.lastIndexOf("@");
    if (at <= 0) return sender;
    const local = sender.slice(0, at);
    const domain = sender.slice(at + 1);
    const m = SRS_RE.exec(local);
    if (m?.[1] === "0") {
      // SRS1 over another forwarder's SRS0: keep "=HHHHHH=TT=d=l" opaque.
      return this.#srs1(domain, local.slice(4), aliasDomain);
    }
    if (m?.[1] === "1") {
      const parts = splitN(local.slice(m[0].length), 3);
      if (parts) return this.#srs1(parts[1], parts[2], aliasDomain);
    }
    const tt = timestamp(this.#now());
    const hash = this.#hash(this.#keys[0]!, [tt, domain, local]);
    return `SRS0=${hash}=${tt}=${domain}=${local}@${aliasDomain}`;
  }

  /**
   * Decodes an SRS address of ours: SRS0 gives the original sender, SRS1
   * the first forwarder's SRS0 address. `{ ok: false }` for a bad hash, an
   * expired timestamp or a malformed address.
   */
  reverse(address: string): SrsReverse {
    const at = address.lastIndexOf("@");
    const local = at < 0 ? address : address.slice(0, at);
    const m = SRS_RE.exec(local);
    if (!m) return { ok: false, reason: "not an SRS address" };
    const rest = local.slice(m[0].length);
    if (m[1] === "1") {
      const p = splitN(rest, 3);
      if (!p || p[1] === "") return { ok: false, reason: "malformed SRS1" };
      if (!this.#check(p[0], [p[1], p[2]])) {
        return { ok: false, reason: "bad hash" };
      }
      return { ok: true, address: `SRS0${p[2]}@${p[1]}` };
    }
    const p = splitN(rest, 4);
    if (!p || p.some((x) => x === "")) {
      return { ok: false, reason: "malformed SRS0" };
    }
    const [hash, tt, domain, user] = p;
    if (!this.#check(hash, [tt, domain, user])) {
      return { ok: false, reason: "bad hash" };
    }
    const age = ageDays(tt, this.#now());
    if (age === null || age > this.#maxAge) {
      return { ok: false, reason: "expired" };
    }
    return { ok: true, address: `${user}@${domain}` };
  }

  #hash(key: Uint8Array, fields: readonly string[]): string {
    const mac = createHmac("sha256", key);
    // Lower-cased like libsrs2, so case changes on the way do not matter.
    for (const f of fields) mac.update(f.toLowerCase());
    return base32(mac.digest()).slice(0, HASH_LEN);
  }

  #check(hash: string, fields: readonly string[]): boolean {
    const got = Buffer.from(hash.toUpperCase());
    return this.#keys.some((k) => {
      const want = Buffer.from(this.#hash(k, fields));
      return want.length === got.length && timingSafeEqual(want, got);
    });
  }

  #srs1(first: string, opaque: string, aliasDomain: string): string {
    const hash = this.#hash(this.#keys[0]!, [first, opaque]);
    return `SRS1=${hash}=${first}=${opaque}@${aliasDomain}`;
  }
}

/** Splits on "=" into `n` parts, the last one keeping any further "=". */
function splitN<N extends 3 | 4>(s: string, n: N): Fields<N> | null {
  const out: string[] = [];
  let rest = s;
  for (let i = 0; i < n - 1; i++) {
    const eq = rest.indexOf("=");
    if (eq < 0) return null;
    out.push(rest.slice(0, eq));
    rest = rest.slice(eq + 1);
  }
  out.push(rest);
  return out as Fields<N>;
}

type Fields<N extends 3 | 4> = N extends 3 ? [string, string, string]
  : [string, string, string, string];

/** The two-character day stamp for `ms`. */
function timestamp(ms: number): string {
  const day = Math.floor(ms / DAY_MS) % TT_PERIOD;
  return B32[day >> 5]! + B32[day & 31]!;
}

/** The stamp's age in days, with wrap-around; null when malformed. */
function ageDays(tt: string, nowMs: number): number | null {
  if (tt.length !== 2) return null;
  const hi = B32.indexOf(tt[0]!.toUpperCase());
  const lo = B32.indexOf(tt[1]!.toUpperCase());
  if (hi < 0 || lo < 0) return null;
  const today = Math.floor(nowMs / DAY_MS) % TT_PERIOD;
  return (today - (hi * 32 + lo) + TT_PERIOD) % TT_PERIOD;
}

/** RFC 4648 base32 without padding. */
function base32(bytes: Uint8Array): string {
  let out = "", bits = 0, value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}
