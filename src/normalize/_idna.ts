/**
 * IDNA as chasquid gets it from Go's `idna.ToUnicode` / `idna.ToASCII`, the
 * package-level functions of `golang.org/x/net/idna`, which use its
 * `Punycode` profile: labels split on `.` only, no UTS-46 mapping and no
 * validation beyond Punycode itself. ToUnicode decodes labels starting with
 * the `xn--` prefix and fails when one does not decode; ToASCII encodes
 * labels with non-ASCII characters. One deliberate difference: Go matches
 * the prefix case-sensitively, so `XN--lca` stays undecoded and only turns
 * into `xn--lca` when lower-cased, which makes its normalisation not
 * idempotent; we match it in any case, as RFC 5891 §5.4 does. Private to
 * the folder.
 *
 * @module
 */

const BASE = 36;
const TMIN = 1;
const TMAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 128;
const MAX_INT32 = 0x7fffffff;
const ACE = "xn--";

/** A label that is not valid Punycode. */
export class PunycodeError extends Error {
  constructor(label: string) {
    super(`invalid label "${label}"`);
    this.name = "PunycodeError";
  }
}

function adapt(delta: number, numPoints: number, first: boolean): number {
  delta = first ? Math.floor(delta / DAMP) : Math.floor(delta / 2);
  delta += Math.floor(delta / numPoints);
  let k = 0;
  while (delta > ((BASE - TMIN) * TMAX) >> 1) {
    delta = Math.floor(delta / (BASE - TMIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - TMIN + 1) * delta) / (delta + SKEW));
}

function decodeDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 26;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61;
  return -1;
}

function encodeDigit(d: number): string {
  return String.fromCharCode(d < 26 ? d + 0x61 : d - 26 + 0x30);
}

/** Decodes the part of a label after `xn--`, following Go's `decode`. */
export function punyDecode(encoded: string): string {
  if (encoded === "") return "";
  let pos = encoded.lastIndexOf("-") + 1;
  if (pos === 1) throw new PunycodeError(encoded);
  if (pos === encoded.length) return encoded.slice(0, -1);
  const output: number[] = [];
  if (pos !== 0) {
    for (const c of encoded.slice(0, pos - 1)) output.push(c.codePointAt(0)!);
  }
  let i = 0;
  let n = INITIAL_N;
  let bias = INITIAL_BIAS;
  while (pos < encoded.length) {
    const oldI = i;
    let w = 1;
    for (let k = BASE;; k += BASE) {
      if (pos === encoded.length) throw new PunycodeError(encoded);
      const digit = decodeDigit(encoded.charCodeAt(pos));
      if (digit < 0) throw new PunycodeError(encoded);
      pos++;
      i += digit * w;
      if (i > MAX_INT32) throw new PunycodeError(encoded);
      const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
      if (digit < t) break;
      w *= BASE - t;
      if (w > MAX_INT32) throw new PunycodeError(encoded);
    }
    if (output.length >= 1024) throw new PunycodeError(encoded);
    const x = output.length + 1;
    bias = adapt(i - oldI, x, oldI === 0);
    n += Math.floor(i / x);
    i %= x;
    if (n > 0x10ffff) throw new PunycodeError(encoded);
    output.splice(i, 0, n);
    i++;
  }
  return String.fromCodePoint(...output);
}

/** Encodes a label to Punycode (without the prefix), as Go's `encode`. */
export function punyEncode(label: string): string {
  const input = [...label].map((c) => c.codePointAt(0)!);
  let out = "";
  for (const c of input) if (c < 0x80) out += String.fromCharCode(c);
  const b = out.length;
  let h = b;
  if (b > 0) out += "-";
  let delta = 0;
  let n = INITIAL_N;
  let bias = INITIAL_BIAS;
  while (h < input.length) {
    let m = MAX_INT32;
    for (const c of input) if (c >= n && c < m) m = c;
    delta += (m - n) * (h + 1);
    if (delta > MAX_INT32) throw new PunycodeError(label);
    n = m;
    for (const c of input) {
      if (c < n) delta++;
      if (c !== n) continue;
      let q = delta;
      for (let k = BASE;; k += BASE) {
        const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
        if (q < t) break;
        out += encodeDigit(t + ((q - t) % (BASE - t)));
        q = Math.floor((q - t) / (BASE - t));
      }
      out += encodeDigit(q);
      bias = adapt(delta, h + 1, h === b);
      delta = 0;
      h++;
    }
    delta++;
    n++;
  }
  return out;
}

/** Go `idna.ToUnicode` (Punycode profile). @throws {PunycodeError} */
export function toUnicode(domain: string): string {
  return domain.split(".").map((label) =>
    label.slice(0, 4).toLowerCase() === ACE
      ? punyDecode(label.slice(ACE.length))
      : label
  ).join(".");
}

/** Go `idna.ToASCII` (Punycode profile). @throws {PunycodeError} */
export function toAscii(domain: string): string {
  // deno-lint-ignore no-control-regex
  const ascii = /^[\x00-\x7f]*$/;
  return domain.split(".").map((label) =>
    ascii.test(label) ? label : ACE + punyEncode(label)
  ).join(".");
}
