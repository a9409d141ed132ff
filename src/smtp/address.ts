/**
 * Envelope address parsing with the accept/reject set of Go's
 * `net/mail.ParseAddress`, which chasquid uses for MAIL FROM and RCPT TO
 * (BEHAVIOUR.md §31). The parser follows Go's structure (addr-spec first,
 * then `phrase <addr-spec>`, groups, comments) so edge cases match.
 *
 * One deliberate difference: input arrives as a JS string, so invalid UTF-8
 * has already become U+FFFD; U+FFFD is rejected where Go rejects invalid
 * UTF-8 (a literal U+FFFD, which Go accepts, is rejected too).
 *
 * @module
 */

/** Why an address did not parse; the message names the rule, Go-style. */
export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AddressError";
  }
}

/**
 * Parses one address the way Go's `mail.ParseAddress` does and returns its
 * addr-spec: `local@domain`, the local part unquoted (`"a b"@x` gives
 * `a b@x`), the domain as written. Display names and comments are allowed
 * and dropped (`Name <a@b>`, `a@b (c)`).
 *
 * @throws {AddressError} when Go would return an error.
 * @example
 * ```ts
 * parseAddress("<Juan@Example.com>"); // "Juan@Example.com"
 * ```
 */
export function parseAddress(s: string): string {
  const p = new Parser(s);
  const addrs = p.parseAddress(true);
  if (!p.skipCFWS()) fail("misformatted parenthetical comment");
  if (!p.empty()) fail(`expected single address, got "${p.s}"`);
  if (addrs.length === 0) fail("empty group");
  if (addrs.length > 1) fail("group with multiple addresses");
  return addrs[0]!;
}

function fail(msg: string): never {
  throw new AddressError(`mail: ${msg}`);
}

const SPECIALS = new Set('()<>[]:;@\\,"');

/** RFC 5322 VCHAR, extended to non-ASCII as RFC 6532 does. */
function isVchar(c: string): boolean {
  const cp = c.codePointAt(0)!;
  return (cp >= 0x21 && cp <= 0x7e) || cp >= 0x80;
}

function isAtext(c: string, dot: boolean): boolean {
  if (c === ".") return dot;
  if (SPECIALS.has(c)) return false;
  return isVchar(c);
}

function isWsp(c: string): boolean {
  return c === " " || c === "\t";
}

function isDtext(c: string): boolean {
  const cp = c.codePointAt(0)!;
  return (cp >= 33 && cp <= 90) || (cp >= 94 && cp <= 126) || cp >= 0x80;
}

/** A port of Go's `addrParser`; `s` is what is left to parse. */
class Parser {
  s: string;
  constructor(s: string) {
    this.s = s;
  }

  empty(): boolean {
    return this.s.length === 0;
  }

  peek(): string {
    return this.s[0] ?? "";
  }

  consume(c: string): boolean {
    if (this.s[0] !== c) return false;
    this.s = this.s.slice(1);
    return true;
  }

  skipSpace(): void {
    let i = 0;
    while (i < this.s.length && isWsp(this.s[i]!)) i++;
    if (i > 0) this.s = this.s.slice(i);
  }

  parseAddress(handleGroup: boolean): string[] {
    this.skipSpace();
    if (this.empty()) fail("no address");
    const spec = this.tryAddrSpec();
    if (spec !== null) {
      this.skipSpace();
      if (!this.empty() && this.peek() === "(") {
        this.consumeDisplayNameComment();
      }
      return [spec];
    }
    let displayName = "";
    if (this.peek() !== "<") displayName = this.consumePhrase();
    this.skipSpace();
    if (handleGroup && this.consume(":")) return this.consumeGroupList();
    if (!this.consume("<")) {
      const atext = [...displayName].every((c) => isAtext(c, true));
      fail(atext ? "missing '@' or angle-addr" : "no angle-addr");
    }
    const inner = this.consumeAddrSpec();
    if (!this.consume(">")) fail("unclosed angle-addr");
    return [inner];
  }

  consumeGroupList(): string[] {
    const group: string[] = [];
    this.skipSpace();
    if (this.consume(";")) {
      if (!this.skipCFWS()) fail("misformatted parenthetical comment");
      return group;
    }
    for (;;) {
      this.skipSpace();
      group.push(...this.parseAddress(false));
      if (!this.skipCFWS()) fail("misformatted parenthetical comment");
      if (this.consume(";")) {
        if (!this.skipCFWS()) fail("misformatted parenthetical comment");
        return group;
      }
      if (!this.consume(",")) fail("expected comma");
    }
  }

  /** consumeAddrSpec that restores the input and returns null on error. */
  tryAddrSpec(): string | null {
    const orig = this.s;
    try {
      return this.consumeAddrSpec();
    } catch (e) {
      if (!(e instanceof AddressError)) throw e;
      this.s = orig;
      return null;
    }
  }

  consumeAddrSpec(): string {
    const orig = this.s;
    try {
      this.skipSpace();
      if (this.empty()) fail("no addr-spec");
      let local: string;
      if (this.peek() === '"') {
        local = this.consumeQuotedString();
        if (local === "") fail("empty quoted-string in addr-spec");
      } else {
        local = this.consumeAtom(true, false);
      }
      if (!this.consume("@")) fail("missing @ in addr-spec");
      this.skipSpace();
      if (this.empty()) fail("no domain in addr-spec");
      const domain = this.peek() === "["
        ? this.consumeDomainLiteral()
        : this.consumeAtom(true, false);
      return `${local}@${domain}`;
    } catch (e) {
      this.s = orig;
      throw e;
    }
  }

  consumeAtom(dot: boolean, permissive: boolean): string {
    let i = 0;
    for (const c of this.s) {
      if (c === "\ufffd") fail("invalid utf-8 in address");
      if (!isAtext(c, dot)) break;
      i += c.length;
    }
    if (i === 0) fail("invalid string");
    const atom = this.s.slice(0, i);
    this.s = this.s.slice(i);
    if (!permissive) {
      if (atom.startsWith(".")) fail("leading dot in atom");
      if (atom.includes("..")) fail("double dot in atom");
      if (atom.endsWith(".")) fail("trailing dot in atom");
    }
    return atom;
  }

  consumeQuotedString(): string {
    // The first character is the opening quote.
    let i = 1;
    let out = "";
    let escaped = false;
    for (;;) {
      const cp = this.s.codePointAt(i);
      if (cp === undefined) fail("unclosed quoted-string");
      const c = String.fromCodePoint(cp);
      if (c === "\ufffd") fail("invalid utf-8 in quoted-string");
      if (escaped) {
        if (!isVchar(c) && !isWsp(c)) fail("bad character in quoted-string");
        out += c;
        escaped = false;
      } else if ((isVchar(c) && c !== "\\" && c !== '"') || isWsp(c)) {
        out += c;
      } else if (c === '"') {
        break;
      } else if (c === "\\") {
        escaped = true;
      } else {
        fail("bad character in quoted-string");
      }
      i += c.length;
    }
    this.s = this.s.slice(i + 1);
    return out;
  }

  consumeDomainLiteral(): string {
    if (!this.consume("[")) fail('missing "[" in domain-literal');
    let dtext = "";
    for (;;) {
      if (this.empty()) fail("unclosed domain-literal");
      if (this.peek() === "]") break;
      const c = String.fromCodePoint(this.s.codePointAt(0)!);
      if (c === "\ufffd") fail("invalid utf-8 in domain-literal");
      if (!isDtext(c)) fail("bad character in domain-literal");
      dtext += c;
      this.s = this.s.slice(c.length);
    }
    this.consume("]");
    if (!isIpLiteral(dtext)) {
      fail(`invalid IP address in domain-literal: "${dtext}"`);
    }
    return `[${dtext}]`;
  }

  consumePhrase(): string {
    const words: string[] = [];
    for (;;) {
      if (words.length > 0 && !this.skipCFWS()) {
        fail("misformatted parenthetical comment");
      }
      this.skipSpace();
      if (this.empty()) break;
      let word: string;
      try {
        if (this.peek() === '"') {
          word = this.consumeQuotedString();
        } else {
          // Go parses a dot-atom here, more permissive than RFC 5322.
          word = this.consumeAtom(true, true);
          checkEncodedWord(word);
        }
      } catch (e) {
        if (!(e instanceof AddressError)) throw e;
        if (words.length === 0) fail(`missing word in phrase: ${e.message}`);
        break;
      }
      words.push(word);
    }
    return words.join(" ");
  }

  /** Skips spaces and (nested) comments; false on an unclosed comment. */
  skipCFWS(): boolean {
    this.skipSpace();
    while (this.consume("(")) {
      if (!this.consumeComment().ok) return false;
      this.skipSpace();
    }
    return true;
  }

  consumeComment(): { text: string; ok: boolean } {
    let depth = 1;
    let text = "";
    while (!this.empty() && depth > 0) {
      if (this.peek() === "\\" && this.s.length > 1) {
        this.s = this.s.slice(1);
      } else if (this.peek() === "(") {
        depth++;
      } else if (this.peek() === ")") {
        depth--;
      }
      if (depth > 0) text += this.s[0];
      this.s = this.s.slice(1);
    }
    return { text, ok: depth === 0 };
  }

  consumeDisplayNameComment(): void {
    this.consume("(");
    const { text, ok } = this.consumeComment();
    if (!ok) fail("misformatted parenthetical comment");
    for (const w of text.split(/[ \t]+/)) checkEncodedWord(w);
  }
}

const ENCODED_WORD = /^=\?([^?]+)\?([bBqQ])\?([^?]*)\?=$/;
const KNOWN_CHARSETS = new Set(["utf-8", "us-ascii", "iso-8859-1"]);

/**
 * Go's RFC 2047 decoder fails only on a well-formed encoded word in a
 * charset it has no reader for (other decoding errors are ignored), and the
 * phrase then stops there. The decoded text itself is never needed.
 */
function checkEncodedWord(word: string): void {
  const m = ENCODED_WORD.exec(word);
  if (m && !KNOWN_CHARSETS.has(m[1]!.toLowerCase())) {
    fail(`unhandled charset "${m[1]}"`);
  }
}

/** Go's `net.ParseIP`: dotted IPv4 (no leading zeros) or IPv6, no zone. */
export function isIpLiteral(s: string): boolean {
  return isIpv4(s) || isIpv6(s);
}

function isIpv4(s: string): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  return parts.every((p) =>
    /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255
  );
}

function isIpv6(s: string): boolean {
  if (!s.includes(":")) return false;
  let groups = 8;
  let rest = s;
  const last = s.lastIndexOf(":");
  if (s.slice(last + 1).includes(".")) {
    if (!isIpv4(s.slice(last + 1))) return false;
    groups = 6;
    rest = s.slice(0, last + 1);
    // "::1.2.3.4" keeps its "::"; "a::b:1.2.3.4" drops the final ":".
    if (!rest.endsWith("::")) rest = rest.slice(0, -1);
  }
  const halves = rest.split("::");
  if (halves.length > 2) return false;
  const count = (h: string) => (h === "" ? [] : h.split(":"));
  const head = count(halves[0]!);
  const tail = halves.length === 2 ? count(halves[1]!) : [];
  const all = [...head, ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? all.length < groups : all.length === groups;
}
