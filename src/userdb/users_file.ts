/**
 * Reader for chasquid's `domains/<domain>/users` files (F-03): a protobuf
 * text-format `ProtoDB`, one `users` map entry per user:
 *
 * ```
 * users: {
 *   key: "alice"
 *   value: { scrypt: { logN: 14 r: 8 p: 1 keyLen: 32 salt: "..." encrypted: "..." } }
 * }
 * users { key: "debug" value { plain { password: "secret" } } }
 * users { key: "list" value { denied {} } }
 * ```
 *
 * Keys are the local part only; the domain is the directory's. chaski never
 * writes these files. A file that does not parse, or has an unknown field,
 * is rejected whole (as chasquid would fail to load it). A well-formed entry
 * whose key is not a valid username, or whose scrypt parameters are out of
 * bounds, is skipped and reported, and the rest of the file still loads.
 *
 * @module
 */

import { addr, NormalizeError } from "../normalize/mod.ts";
import {
  parseTextProto,
  type TextField,
  TextProtoError,
} from "./_text_proto.ts";
import { checkScryptParams, type ScryptHash } from "./scrypt.ts";

/** A users file that cannot be loaded; `file:line: detail`. */
export class UsersFileError extends SyntaxError {
  readonly file: string;
  readonly line: number;
  constructor(
    file: string,
    line: number,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${file}:${line}: ${detail}`, options);
    this.name = "UsersFileError";
    this.file = file;
    this.line = line;
  }
}

/** A stored credential, as in chasquid's `Password` oneof. */
export type Credential =
  | { readonly scheme: "scrypt"; readonly hash: ScryptHash }
  | { readonly scheme: "plain"; readonly password: string }
  | { readonly scheme: "denied" };

/** One user read from a file. */
export interface UsersFileEntry {
  /** Normalised local part. */
  readonly user: string;
  /** Line of the `users` entry. */
  readonly line: number;
  readonly credential: Credential;
}

/** What a users file yields: the loadable entries and the skipped ones. */
export interface UsersFileResult {
  readonly entries: UsersFileEntry[];
  /** Entries skipped, each as a `UsersFileError` naming its line. */
  readonly skipped: UsersFileError[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses a users file's bytes. Later entries for the same user replace
 * earlier ones (protobuf map semantics).
 * @throws {UsersFileError} when the file as a whole is malformed.
 */
export function parseUsersFile(
  data: Uint8Array | string,
  file: string,
): UsersFileResult {
  let fields: TextField[];
  try {
    const text = typeof data === "string" ? data : utf8.decode(data);
    fields = parseTextProto(text);
  } catch (err) {
    if (err instanceof TextProtoError) {
      throw new UsersFileError(file, err.line, err.message);
    }
    throw new UsersFileError(file, 1, "file is not valid UTF-8", {
      cause: err,
    });
  }
  const byUser = new Map<string, UsersFileEntry>();
  const skipped: UsersFileError[] = [];
  for (const f of fields) {
    const entry = mapEntry(f, file);
    if (entry instanceof UsersFileError) {
      skipped.push(entry);
    } else {
      byUser.set(entry.user, entry);
    }
  }
  return { entries: [...byUser.values()], skipped };
}

/** Returns a skippable problem as a value; throws for malformed structure. */
function mapEntry(f: TextField, file: string): UsersFileEntry | UsersFileError {
  const fail = (line: number, detail: string) =>
    new UsersFileError(file, line, detail);
  const users = expectMessage(f, "users", file);
  let key: string | undefined;
  let value: TextField | undefined;
  for (const g of users) {
    if (g.name === "key") key = text(expectBytes(g, file), g, file);
    else if (g.name === "value") value = g;
    else throw fail(g.line, `unknown field "${g.name}" in users entry`);
  }
  if (key === undefined) throw fail(f.line, 'users entry has no "key"');
  if (value === undefined) throw fail(f.line, `user "${key}" has no "value"`);
  const credential = readCredential(key, value, file);
  let user: string;
  try {
    user = addr(key);
  } catch (err) {
    if (!(err instanceof NormalizeError)) throw err;
    return fail(f.line, `user "${key}" skipped: ${err.message}`);
  }
  if (key.includes("@") || user !== key) {
    // chasquid looks keys up already normalised, so this one is unreachable.
    return fail(
      f.line,
      `user "${key}" skipped: not a normalised username (expected "${user}")`,
    );
  }
  if (credential instanceof UsersFileError) return credential;
  return { user, line: f.line, credential };
}

function readCredential(
  key: string,
  value: TextField,
  file: string,
): Credential | UsersFileError {
  const schemes = expectMessage(value, "value", file);
  if (schemes.length !== 1) {
    throw new UsersFileError(
      file,
      value.line,
      `user "${key}" must have exactly one of scrypt, plain or denied`,
    );
  }
  const s = schemes[0]!;
  const body = expectMessage(s, s.name, file);
  if (s.name === "denied") {
    if (body.length > 0) {
      throw new UsersFileError(
        file,
        body[0]!.line,
        `unknown field "${body[0]!.name}" in denied`,
      );
    }
    return { scheme: "denied" };
  }
  if (s.name === "plain") {
    let password: string | undefined;
    for (const g of body) {
      if (g.name !== "password") {
        throw new UsersFileError(
          file,
          g.line,
          `unknown field "${g.name}" in plain`,
        );
      }
      password = text(expectBytes(g, file), g, file);
    }
    return { scheme: "plain", password: password ?? "" };
  }
  if (s.name === "scrypt") return readScrypt(key, s, body, file);
  throw new UsersFileError(file, s.line, `unknown password scheme "${s.name}"`);
}

function readScrypt(
  key: string,
  s: TextField,
  body: TextField[],
  file: string,
): Credential | UsersFileError {
  const nums: Record<string, number> = { logN: 0, r: 0, p: 0, keyLen: 0 };
  let salt: Uint8Array = new Uint8Array();
  let encrypted: Uint8Array = new Uint8Array();
  for (const g of body) {
    if (g.name === "salt") salt = expectBytes(g, file);
    else if (g.name === "encrypted") encrypted = expectBytes(g, file);
    else if (g.name in nums) nums[g.name] = expectInt(g, file);
    else {throw new UsersFileError(
        file,
        g.line,
        `unknown field "${g.name}" in scrypt`,
      );}
  }
  const hash: ScryptHash = {
    logN: nums.logN!,
    r: nums.r!,
    p: nums.p!,
    keyLen: nums.keyLen!,
    salt,
    encrypted,
  };
  const problem = checkScryptParams(hash);
  if (problem !== null) {
    return new UsersFileError(
      file,
      s.line,
      `user "${key}" skipped: ${problem}`,
    );
  }
  return { scheme: "scrypt", hash };
}

function expectMessage(f: TextField, what: string, file: string): TextField[] {
  if (f.kind !== "message" || f.name !== what) {
    const detail = f.name === what
      ? `"${what}" must be a message`
      : `unknown field "${f.name}"`;
    throw new UsersFileError(file, f.line, detail);
  }
  return f.fields;
}

function expectBytes(f: TextField, file: string): Uint8Array {
  if (f.kind !== "bytes") {
    throw new UsersFileError(file, f.line, `"${f.name}" must be a string`);
  }
  return f.bytes;
}

function expectInt(f: TextField, file: string): number {
  const v = f.kind === "scalar" &&
      /^(0|[1-9][0-9]*|0[xX][0-9a-fA-F]+|0[0-7]+)$/.test(f.text)
    ? Number(f.text.replace(/^0([0-7]+)$/, "0o$1"))
    : NaN;
  if (!Number.isSafeInteger(v)) {
    throw new UsersFileError(file, f.line, `"${f.name}" must be an integer`);
  }
  return v;
}

function text(bytes: Uint8Array, f: TextField, file: string): string {
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw new UsersFileError(file, f.line, `"${f.name}" is not valid UTF-8`, {
      cause: err,
    });
  }
}
