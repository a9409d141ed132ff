/**
 * Reader for chasquid.conf and text-proto `--config-overrides`: the
 * protobuf text format of chasquid's `Config` message, limited to what that
 * message needs (scalar and repeated scalar fields).
 *
 * chasquid's merge rule applies: a zero value (`""`, `0`, `false`, no list
 * entries) is "unset" and never overrides, except for `suffix_separators`
 * and `drop_characters`, which are proto3 `optional` so `""` is real.
 *
 * @module
 */

import { ConfigError, quote } from "./errors.ts";
import { convert, FIELDS, isField } from "./fields.ts";
import type { FieldName, Layer, Setting } from "./fields.ts";

type Scalar = string | number | boolean;

interface Token {
  readonly type: "ident" | "string" | "number" | "punct";
  readonly text: string;
  readonly value: Scalar;
  readonly line: number;
}

interface Entry {
  readonly name: string;
  readonly line: number;
  readonly value: Scalar | Scalar[];
}

/**
 * Parses text-proto `text` into a layer of settings. `file` names the source
 * in errors (`chasquid.conf`, `--config-overrides`).
 * @throws {ConfigError} on syntax errors, unknown keys and bad values.
 */
export function parseChasquidConf(text: string, file: string): Layer {
  const entries = parseEntries(tokenize(text, file), file);
  const grouped = new Map<FieldName, Entry[]>();
  for (const e of entries) {
    if (!isField(e.name)) {
      throw new ConfigError(`unknown field "${e.name}"`, {
        file,
        line: e.line,
        field: e.name,
      });
    }
    grouped.set(e.name, [...(grouped.get(e.name) ?? []), e]);
  }
  const values = new Map<FieldName, Setting>();
  for (const [key, list] of grouped) {
    const first = list[0]!;
    const raw = rawValue(key, list, file);
    if (isUnset(key, raw)) continue;
    const itemLines = list.flatMap((e) =>
      Array.isArray(e.value) ? e.value.map(() => e.line) : [e.line]
    );
    values.set(key, {
      value: convert(key, raw, { file, line: first.line, itemLines }),
      line: first.line,
    });
  }
  return { file, values };
}

function rawValue(key: FieldName, list: Entry[], file: string): unknown {
  const kind = FIELDS[key].kind;
  if (kind === "list" || kind === "listen") {
    return list.flatMap((e) => Array.isArray(e.value) ? e.value : [e.value]);
  }
  const second = list[1];
  if (second !== undefined) {
    throw new ConfigError(`field "${key}" is set more than once`, {
      file,
      line: second.line,
      field: key,
    });
  }
  const value = list[0]!.value;
  // Text-proto reads 0 and 1 as booleans too.
  if (kind === "bool" && (value === 0 || value === 1)) return value === 1;
  return value;
}

/** chasquid's "unset never overrides" rule. */
function isUnset(key: FieldName, raw: unknown): boolean {
  if (Array.isArray(raw)) return raw.length === 0;
  if (raw === "") return !FIELDS[key].optional;
  return raw === 0 || raw === false;
}

function parseEntries(tokens: Token[], file: string): Entry[] {
  const entries: Entry[] = [];
  let i = 0;
  const fail = (t: Token | undefined, what: string): never => {
    const found = t === undefined ? "end of input" : quote(t.text);
    throw new ConfigError(`syntax error: expected ${what}, found ${found}`, {
      file,
      line: t?.line ?? tokens.at(-1)?.line ?? 1,
    });
  };
  while (i < tokens.length) {
    const name = tokens[i++]!;
    if (name.type !== "ident") fail(name, "a field name");
    const colon = tokens[i++];
    if (colon?.text !== ":") fail(colon, `":" after "${name.text}"`);
    let value: Scalar | Scalar[];
    if (tokens[i]?.text === "[") {
      [value, i] = parseList(tokens, i + 1, fail);
    } else {
      [value, i] = parseScalar(tokens, i, fail);
    }
    entries.push({ name: name.text, line: name.line, value });
    if (tokens[i]?.text === ";" || tokens[i]?.text === ",") i++;
  }
  return entries;
}

type Fail = (t: Token | undefined, what: string) => never;

function parseList(
  tokens: Token[],
  start: number,
  fail: Fail,
): [Scalar[], number] {
  const out: Scalar[] = [];
  let i = start;
  if (tokens[i]?.text === "]") return [out, i + 1];
  for (;;) {
    let v: Scalar;
    [v, i] = parseScalar(tokens, i, fail);
    out.push(v);
    const sep = tokens[i++];
    if (sep?.text === "]") return [out, i];
    if (sep?.text !== ",") fail(sep, '"," or "]"');
  }
}

function parseScalar(
  tokens: Token[],
  start: number,
  fail: Fail,
): [Scalar, number] {
  const t = tokens[start];
  if (t === undefined || t.type === "punct") return fail(t, "a value");
  // Bare identifiers are enum values in text-proto; chasquid has none.
  if (t.type === "ident" && typeof t.value !== "boolean") fail(t, "a value");
  if (t.type !== "string") return [t.value, start + 1];
  // Adjacent strings concatenate, as in C.
  let s = "";
  let i = start;
  while (tokens[i]?.type === "string") s += tokens[i++]!.value;
  return [s, i];
}

const BOOLS: Readonly<Record<string, boolean>> = {
  true: true,
  True: true,
  t: true,
  false: false,
  False: false,
  f: false,
};

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const fail = (what: string): never => {
    throw new ConfigError(`syntax error: ${what}`, { file, line });
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") line++;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === '"' || c === "'") {
      const [value, end] = readString(text, i, fail);
      tokens.push({ type: "string", text: text.slice(i, end), value, line });
      i = end;
    } else if (":[],;".includes(c)) {
      tokens.push({ type: "punct", text: c, value: c, line });
      i++;
    } else {
      const t = readWord(text.slice(i), line, fail);
      tokens.push(t);
      i += t.text.length;
    }
  }
  return tokens;
}

/** Reads a number or an identifier at the start of `rest`. */
function readWord(
  rest: string,
  line: number,
  fail: (what: string) => never,
): Token {
  const c = rest[0]!;
  if (/[0-9.+-]/.test(c)) {
    const word = /^[+-]?[0-9a-zA-Z_.]+/.exec(rest)?.[0] ?? c;
    return { type: "number", text: word, value: number(word, fail), line };
  }
  if (/[A-Za-z_]/.test(c)) {
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)![0];
    return { type: "ident", text: word, value: BOOLS[word] ?? word, line };
  }
  if ("{}<>".includes(c)) {
    fail(`unexpected "${c}": chasquid's config has no message fields`);
  }
  return fail(`unexpected character "${c}"`);
}

function number(word: string, fail: (what: string) => never): number {
  const body = word.replace(/^[+-]/, "");
  const n = /^0x[0-9a-f]+$/i.test(body)
    ? parseInt(body, 16)
    : /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?f?$/i.test(body)
    ? Number(body.replace(/f$/i, ""))
    : NaN;
  if (Number.isNaN(n)) fail(`bad number "${word}"`);
  return word.startsWith("-") ? -n : n;
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  n: 10,
  t: 9,
  r: 13,
  a: 7,
  b: 8,
  f: 12,
  v: 11,
  "\\": 92,
  "'": 39,
  '"': 34,
  "?": 63,
};

/** Reads a quoted string at `start`; returns its value and the end offset. */
function readString(
  text: string,
  start: number,
  fail: (what: string) => never,
): [string, number] {
  const quoteChar = text[start]!;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  let i = start + 1;
  for (;;) {
    const c = text[i];
    if (c === undefined || c === "\n") return fail("unterminated string");
    if (c === quoteChar) break;
    if (c !== "\\") {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...enc.encode(ch));
      i += ch.length;
      continue;
    }
    i = readEscape(text, i + 1, bytes, fail);
  }
  const value = new TextDecoder("utf-8", { fatal: false }).decode(
    new Uint8Array(bytes),
  );
  return [value, i + 1];
}

/** Appends the bytes of the escape at `i` (just after `\`); returns the next offset. */
function readEscape(
  text: string,
  i: number,
  bytes: number[],
  fail: (what: string) => never,
): number {
  const e = text[i] ?? "";
  const simple = SIMPLE_ESCAPES[e];
  if (simple !== undefined) {
    bytes.push(simple);
    return i + 1;
  }
  const oct = /^[0-7]{1,3}/.exec(text.slice(i))?.[0];
  if (oct !== undefined) {
    bytes.push(parseInt(oct, 8) & 0xff);
    return i + oct.length;
  }
  const hex = /^x([0-9a-fA-F]{1,2})/.exec(text.slice(i));
  if (hex !== null) {
    bytes.push(parseInt(hex[1]!, 16));
    return i + hex[0].length;
  }
  const uni = /^(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))/.exec(text.slice(i));
  if (uni !== null) {
    const cp = parseInt(uni[1] ?? uni[2]!, 16);
    if (cp > 0x10ffff) fail(`bad escape "\\${uni[0]}"`);
    bytes.push(...new TextEncoder().encode(String.fromCodePoint(cp)));
    return i + uni[0].length;
  }
  return fail(`bad escape "\\${e}"`);
}
