/**
 * PRECIS `UsernameCaseMapped` (RFC 8265 §3.3 on the RFC 8264
 * IdentifierClass), following Go's `x/text/secure/precis`, which chasquid
 * uses: an all-ASCII input is lower-cased and checked directly; otherwise
 * width mapping, lower-casing (full mapping, no final-sigma rule), NFC, the
 * RFC 5893 Bidi Rule on the whole string, then the IdentifierClass check
 * with contextual rules. Private to the folder.
 *
 * Known approximations, where JS has no Unicode property to ask: Bidi
 * classes are derived from script and general category; ZWNJ is accepted
 * only after a virama (the Arabic joining-type alternative is not
 * implemented); the Unicode version is the engine's, not Go's tables'.
 *
 * @module
 */

/** Why a username was rejected. */
export class PrecisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PrecisError";
  }
}

const ASCII = /^[^\u0080-\uffff]*$/;
const ASCII_ALLOWED = /^[\x21-\x7e]*$/;
// Fullwidth and halfwidth forms (<wide>/<narrow> decompositions).
const WIDTH = /[\u3000\uff01-\uffee]/g;
const LETTER_DIGIT = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
const IGNORABLE_OR_CONTROL =
  /^[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}\p{Cc}]$/u;
const UNASSIGNED = /^\p{Cn}$/u;
const VIRAMA = new Set([
  0x094d,
  0x09cd,
  0x0a4d,
  0x0acd,
  0x0b4d,
  0x0bcd,
  0x0c4d,
  0x0ccd,
  0x0d3b,
  0x0d3c,
  0x0d4d,
  0x0dca,
  0x0e3a,
  0x0eba,
  0x0f84,
  0x1039,
  0x103a,
  0x1714,
  0x1715,
  0x1734,
  0x17d2,
  0x1a60,
  0x1b44,
  0x1baa,
  0x1bab,
  0x1bf2,
  0x1bf3,
  0x2d7f,
  0xa806,
  0xa82c,
  0xa8c4,
  0xa953,
  0xa9c0,
  0xaaf6,
  0xabed,
  0x10a3f,
  0x11046,
  0x11070,
  0x1107f,
  0x110b9,
  0x11133,
  0x11134,
  0x111c0,
  0x11235,
  0x112ea,
  0x1134d,
  0x11442,
  0x114c2,
  0x115bf,
  0x1163f,
  0x116b6,
  0x1172b,
  0x11839,
  0x1193d,
  0x1193e,
  0x119e0,
  0x11a34,
  0x11a47,
  0x11a99,
  0x11c3f,
  0x11d44,
  0x11d45,
  0x11d97,
]);

/** RFC 5892 §2.6 exceptions (also IdentifierClass exceptions). */
const EXC_PVALID = new Set([0x00df, 0x03c2, 0x06fd, 0x06fe, 0x0f0b, 0x3007]);
const EXC_DISALLOWED = new Set([
  0x0640,
  0x07fa,
  0x302e,
  0x302f,
  0x3031,
  0x3032,
  0x3033,
  0x3034,
  0x3035,
  0x303b,
]);

function isOldHangulJamo(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97c) ||
    (cp >= 0xd7b0 && cp <= 0xd7fb);
}

function isContextO(cp: number): boolean {
  return cp === 0x00b7 || cp === 0x0375 || cp === 0x05f3 || cp === 0x05f4 ||
    cp === 0x30fb || (cp >= 0x0660 && cp <= 0x0669) ||
    (cp >= 0x06f0 && cp <= 0x06f9);
}

type Verdict = "pvalid" | "context" | "disallowed";

/** The RFC 8264 §8 derivation, IdentifierClass. */
function property(ch: string, cp: number): Verdict {
  if (EXC_PVALID.has(cp)) return "pvalid";
  if (isContextO(cp)) return "context";
  if (EXC_DISALLOWED.has(cp)) return "disallowed";
  if (UNASSIGNED.test(ch) && !IGNORABLE_OR_CONTROL.test(ch)) {
    return "disallowed";
  }
  if (cp >= 0x21 && cp <= 0x7e) return "pvalid";
  if (cp === 0x200c || cp === 0x200d) return "context";
  if (isOldHangulJamo(cp)) return "disallowed";
  if (IGNORABLE_OR_CONTROL.test(ch)) return "disallowed";
  if (ch.normalize("NFKC") !== ch) return "disallowed";
  if (LETTER_DIGIT.test(ch)) return "pvalid";
  return "disallowed";
}

const GREEK = /^\p{Script=Greek}$/u;
const HEBREW = /^\p{Script=Hebrew}$/u;
const JAPANESE = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u;

/** RFC 5892 Appendix A rules for CONTEXTJ/CONTEXTO code points. */
function contextOk(cps: number[], i: number, s: string): boolean {
  const cp = cps[i]!;
  const before = cps[i - 1];
  const after = cps[i + 1];
  const str = (c: number | undefined) =>
    c === undefined ? "" : String.fromCodePoint(c);
  switch (true) {
    case cp === 0x200c || cp === 0x200d:
      return before !== undefined && VIRAMA.has(before);
    case cp === 0x00b7:
      return before === 0x6c && after === 0x6c;
    case cp === 0x0375:
      return GREEK.test(str(after));
    case cp === 0x05f3 || cp === 0x05f4:
      return HEBREW.test(str(before));
    case cp === 0x30fb:
      return JAPANESE.test(s);
    case cp >= 0x0660 && cp <= 0x0669:
      return !cps.some((c) => c >= 0x06f0 && c <= 0x06f9);
    default: // 06F0..06F9
      return !cps.some((c) => c >= 0x0660 && c <= 0x0669);
  }
}

type Bidi = "L" | "R" | "AN" | "EN" | "ES" | "CS" | "ET" | "ON" | "BN" | "NSM";

const RTL_SCRIPT = new RegExp(
  "^[" + [
    "Hebrew",
    "Arabic",
    "Syriac",
    "Thaana",
    "Nko",
    "Samaritan",
    "Mandaic",
    "Adlam",
    "Hanifi_Rohingya",
    "Mende_Kikakui",
    "Sogdian",
    "Old_Sogdian",
    "Imperial_Aramaic",
    "Phoenician",
    "Kharoshthi",
    "Avestan",
    "Inscriptional_Parthian",
    "Inscriptional_Pahlavi",
    "Psalter_Pahlavi",
    "Old_Turkic",
    "Hatran",
    "Nabataean",
    "Palmyrene",
    "Lydian",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Manichaean",
    "Old_Hungarian",
    "Old_South_Arabian",
    "Old_North_Arabian",
    "Cypriot",
    "Elymaic",
    "Chorasmian",
    "Yezidi",
    "Old_Uyghur",
  ].map((s) => `\\p{Script=${s}}`).join("") + "]$",
  "u",
);
const MARK = /^[\p{Mn}\p{Me}]$/u;

/** Approximate Bidi_Class of a code point that passed the class check. */
function bidiClass(ch: string, cp: number): Bidi {
  if (cp < 0x80) {
    if (cp >= 0x30 && cp <= 0x39) return "EN";
    if (/[A-Za-z]/.test(ch)) return "L";
    if (ch === "+" || ch === "-") return "ES";
    if (",./:".includes(ch)) return "CS";
    if ("#$%".includes(ch)) return "ET";
    return "ON";
  }
  if (cp === 0x200c || cp === 0x200d) return "BN";
  if (MARK.test(ch)) return "NSM";
  if ((cp >= 0x0660 && cp <= 0x0669) || (cp >= 0x10d30 && cp <= 0x10d39)) {
    return "AN";
  }
  if (cp >= 0x06f0 && cp <= 0x06f9) return "EN";
  if (cp === 0x00b7 || cp === 0x0375 || cp === 0x30fb) return "ON";
  // R and AL are interchangeable for the rule; RTL-script digits are R.
  if (RTL_SCRIPT.test(ch)) return "R";
  return "L";
}

/** RFC 5893 §2 on the whole string, as Go's `bidirule.Valid`. */
function bidiOk(chars: string[], cps: number[]): boolean {
  const classes = chars.map((c, i) => bidiClass(c, cps[i]!));
  const first = classes[0];
  if (first === undefined) return true;
  if (first !== "L" && first !== "R") return false;
  const rtl = first === "R";
  const allowed: ReadonlySet<Bidi> = rtl
    ? new Set(["R", "AN", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"])
    : new Set(["L", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"]);
  if (!classes.every((c) => allowed.has(c))) return false;
  if (classes.includes("EN") && classes.includes("AN")) return false;
  let last = classes.length - 1;
  while (last > 0 && classes[last] === "NSM") last--;
  const end = classes[last]!;
  return rtl ? ["R", "EN", "AN"].includes(end) : end === "L" || end === "EN";
}

/** Lower-cases per code point: full mappings, but Σ never becomes ς. */
function lowerNoFinalSigma(s: string): string {
  return s.includes("\u03a3")
    ? s.replaceAll("\u03a3", "\u03c3").toLowerCase()
    : s.toLowerCase();
}

/**
 * Enforces UsernameCaseMapped and returns the normalised username.
 * @throws {PrecisError}
 */
export function usernameCaseMapped(u: string): string {
  if (ASCII.test(u)) {
    if (!ASCII_ALLOWED.test(u)) {
      throw new PrecisError(
        `username ${JSON.stringify(u)} has a disallowed character`,
      );
    }
    return u.toLowerCase();
  }
  const mapped = u.replace(WIDTH, (c) => c.normalize("NFKC"));
  const out = lowerNoFinalSigma(mapped).normalize("NFC");
  const chars = [...out];
  const cps = chars.map((c) => c.codePointAt(0)!);
  if (!bidiOk(chars, cps)) {
    throw new PrecisError(`username ${JSON.stringify(u)} breaks the Bidi rule`);
  }
  for (let i = 0; i < chars.length; i++) {
    const v = property(chars[i]!, cps[i]!);
    if (v === "disallowed" || (v === "context" && !contextOk(cps, i, out))) {
      throw new PrecisError(
        `username ${JSON.stringify(u)} has a disallowed character`,
      );
    }
  }
  return out;
}
