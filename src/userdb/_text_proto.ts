/**
 * A small reader for protobuf text format, enough for chasquid's files:
 * fields as `name: value` or `name { ... }` / `name: < ... >`, optional `,`
 * or `;` separators, `#` comments, numbers, identifiers, and strings in
 * single or double quotes (adjacent strings concatenate). Strings decode to
 * bytes with Go's escapes: `\a \b \f \n \r \t \v \\ \' \" \?`, octal `\NNN`,
 * hex `\xHH`, `\uXXXX` and `\UXXXXXXXX`; literal characters are their UTF-8
 * bytes. Both the old (`users {`, octal) and new (`users: {`, hex and raw
 * UTF-8) writers' output parse the same.
 *
 * @module
 */

/** A syntax error at a line; the caller adds the file name. */
export class TextProtoError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.name = "TextProtoError";
    this.line = line;
  }
}

/** One parsed field. */
export type TextField =
  | {
    readonly name: string;
    readonly line: number;
    readonly kind: "bytes";
    readonly bytes: Uint8Array;
  }
  | {
    readonly name: string;
    readonly line: number;
    readonly kind: "scalar";
    readonly text: string;
  }
  | {
    readonly name: string;
    readonly line: number;
    readonly kind: "message";
    readonly fields: TextField[];
  };

type Token =
  | { kind: "ident" | "scalar" | "punct"; text: string; line: number }
  | { kind: "bytes"; bytes: Uint8Array; line: number }
  | { kind: "eof"; line: number };

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  "\\": 92,
  "'": 39,
  '"': 34,
  "?": 63,
};

class Lexer {
  #src: string;
  #pos = 0;
  #line = 1;
  #enc = new TextEncoder();

  constructor(src: string) {
    this.#src = src;
  }

  next(): Token {
    this.#skipSpace();
    const line = this.#line;
    const c = this.#src[this.#pos];
    if (c === undefined) return { kind: "eof", line };
    if ("{}<>:,;[]".includes(c)) {
      this.#pos++;
      return { kind: "punct", text: c, line };
    }
    if (c === '"' || c === "'") {
      return { kind: "bytes", bytes: this.#string(), line };
    }
    const m = /(?:[A-Za-z_][A-Za-z0-9_.]*|[-+]?[0-9.][0-9A-Za-z_.+-]*)/y;
    m.lastIndex = this.#pos;
    const found = m.exec(this.#src);
    if (found === null) {
      throw new TextProtoError(line, `unexpected character "${c}"`);
    }
    this.#pos += found[0].length;
    const kind = /^[A-Za-z_]/.test(found[0]) ? "ident" : "scalar";
    return { kind, text: found[0], line };
  }

  #skipSpace(): void {
    const s = this.#src;
    while (this.#pos < s.length) {
      const c = s[this.#pos];
      if (c === "\n") this.#line++;
      if (c === "#") {
        while (this.#pos < s.length && s[this.#pos] !== "\n") this.#pos++;
      } else if (
        c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\v" ||
        c === "\f"
      ) {
        this.#pos++;
      } else {
        return;
      }
    }
  }

  /** Reads one quoted string (opening quote at #pos) into bytes. */
  #string(): Uint8Array {
    const s = this.#src;
    const quote = s[this.#pos++];
    const out: number[] = [];
    for (;;) {
      const c = s[this.#pos];
      if (c === undefined || c === "\n") {
        throw new TextProtoError(this.#line, "unterminated string");
      }
      this.#pos++;
      if (c === quote) return new Uint8Array(out);
      if (c !== "\\") {
        // Copy a whole code point (surrogate pairs included) as UTF-8.
        const cp = s.codePointAt(this.#pos - 1)!;
        if (cp > 0xffff) this.#pos++;
        out.push(...this.#enc.encode(String.fromCodePoint(cp)));
        continue;
      }
      this.#escape(out);
    }
  }

  #escape(out: number[]): void {
    const s = this.#src;
    const e = s[this.#pos++];
    if (e === undefined) {
      throw new TextProtoError(this.#line, "unterminated string");
    }
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out.push(simple);
    } else if (e >= "0" && e <= "7") {
      const digits =
        /^[0-7]{1,3}/.exec(s.slice(this.#pos - 1, this.#pos + 2))![0];
      const v = parseInt(digits, 8);
      if (v > 255) {
        throw new TextProtoError(
          this.#line,
          `octal escape "\\${digits}" is out of range`,
        );
      }
      this.#pos += digits.length - 1;
      out.push(v);
    } else if (e === "x" || e === "X") {
      const digits = /^[0-9A-Fa-f]{1,2}/.exec(s.slice(this.#pos, this.#pos + 2))
        ?.[0];
      if (digits === undefined) {
        throw new TextProtoError(this.#line, `bad escape "\\${e}"`);
      }
      this.#pos += digits.length;
      out.push(parseInt(digits, 16));
    } else if (e === "u" || e === "U") {
      const n = e === "u" ? 4 : 8;
      const digits = s.slice(this.#pos, this.#pos + n);
      if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(digits)) {
        throw new TextProtoError(this.#line, `bad escape "\\${e}${digits}"`);
      }
      this.#pos += n;
      this.#unicode(parseInt(digits, 16), out);
    } else {
      throw new TextProtoError(this.#line, `unknown escape "\\${e}"`);
    }
  }

  #unicode(cp: number, out: number[]): void {
    // A high surrogate must be followed by `\uDC00`-`\uDFFF`, as in Go.
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const low = /^\\u([dD][c-fC-F][0-9A-Fa-f]{2})/.exec(
        this.#src.slice(this.#pos, this.#pos + 6),
      );
      if (low === null) {
        throw new TextProtoError(
          this.#line,
          "unpaired surrogate in \\u escape",
        );
      }
      this.#pos += 6;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (parseInt(low[1]!, 16) - 0xdc00);
    } else if (cp >= 0xdc00 && cp <= 0xdfff || cp > 0x10ffff) {
      throw new TextProtoError(
        this.#line,
        `invalid code point U+${cp.toString(16)} in escape`,
      );
    }
    out.push(...this.#enc.encode(String.fromCodePoint(cp)));
  }
}

/**
 * Parses text-format source into fields.
 * @throws {TextProtoError} with the line of the problem.
 */
export function parseTextProto(src: string): TextField[] {
  const p = new Parser(new Lexer(src));
  return p.message(null);
}

class Parser {
  #lex: Lexer;
  #tok: Token;

  constructor(lex: Lexer) {
    this.#lex = lex;
    this.#tok = lex.next();
  }

  message(close: string | null): TextField[] {
    const fields: TextField[] = [];
    for (;;) {
      const t = this.#tok;
      if (t.kind === "eof") {
        if (close !== null) {
          throw new TextProtoError(t.line, `missing "${close}"`);
        }
        return fields;
      }
      if (t.kind === "punct" && t.text === close) {
        this.#advance();
        return fields;
      }
      if (t.kind !== "ident") {
        throw new TextProtoError(
          t.line,
          `expected a field name, found ${show(t)}`,
        );
      }
      this.#advance();
      fields.push(this.#value(t.text, t.line));
      const sep = this.#tok;
      if (sep.kind === "punct" && (sep.text === "," || sep.text === ";")) {
        this.#advance();
      }
    }
  }

  #value(name: string, line: number): TextField {
    let t = this.#tok;
    const colon = t.kind === "punct" && t.text === ":";
    if (colon) t = this.#advance();
    if (t.kind === "punct" && (t.text === "{" || t.text === "<")) {
      this.#advance();
      const fields = this.message(t.text === "{" ? "}" : ">");
      return { name, line, kind: "message", fields };
    }
    if (!colon) {
      throw new TextProtoError(
        t.line,
        `expected ":" after "${name}", found ${show(t)}`,
      );
    }
    if (t.kind === "bytes") {
      const parts: Uint8Array[] = [];
      while (this.#tok.kind === "bytes") {
        parts.push(this.#tok.bytes);
        this.#advance();
      }
      return { name, line, kind: "bytes", bytes: concat(parts) };
    }
    if (t.kind === "scalar" || t.kind === "ident") {
      this.#advance();
      return { name, line, kind: "scalar", text: t.text };
    }
    throw new TextProtoError(
      t.line,
      `expected a value for "${name}", found ${show(t)}`,
    );
  }

  #advance(): Token {
    this.#tok = this.#lex.next();
    return this.#tok;
  }
}

function show(t: Token): string {
  if (t.kind === "eof") return "end of file";
  if (t.kind === "bytes") return "a string";
  return `"${t.text}"`;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
