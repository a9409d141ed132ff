/**
 * The local RPC wire format: Go's `url.Values` text encoding, and the
 * request and reply lines built from it.
 *
 * @module
 */

/** A request or reply that breaks the wire format. */
export class RpcProtocolError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RpcProtocolError";
  }
}

/**
 * Go's `url.QueryEscape`: only `A-Z a-z 0-9 - _ . ~` stay as they are, a
 * space becomes `+`, every other UTF-8 byte becomes `%XX`.
 * `encodeURIComponent` also keeps `! ' ( ) *`, so those are escaped here.
 */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    )
    .replace(/%20/g, "+");
}

/**
 * Go's `url.Values.Encode()`: `key=value` pairs joined by `&`, keys sorted,
 * the values of one key in their order. Empty values give `""`.
 * @example encodeValues(new URLSearchParams({ Address: "a@b" })) === "Address=a%40b"
 */
export function encodeValues(values: URLSearchParams): string {
  const keys = [...new Set(values.keys())].sort();
  const out: string[] = [];
  for (const k of keys) {
    for (const v of values.getAll(k)) {
      out.push(`${queryEscape(k)}=${queryEscape(v)}`);
    }
  }
  return out.join("&");
}

/**
 * Go's `url.ParseQuery`, including its refusals: a `;` separator and a
 * malformed `%` escape are errors, not silently kept as text.
 * @throws {RpcProtocolError}
 */
export function decodeValues(text: string): URLSearchParams {
  const out = new URLSearchParams();
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    if (pair.includes(";")) {
      throw new RpcProtocolError("invalid semicolon separator in query");
    }
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? "" : pair.slice(eq + 1);
    out.append(unescape(key), unescape(value));
  }
  return out;
}

function unescape(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch (err) {
    throw new RpcProtocolError(`invalid URL escape "${s}"`, { cause: err });
  }
}

/** A parsed request line: the method and its still-encoded query. */
export interface RpcRequest {
  readonly method: string;
  readonly query: string;
}

/** Splits `Method query` at the first space; a bare method has no query. */
export function parseRequestLine(line: string): RpcRequest {
  const sp = line.indexOf(" ");
  if (sp < 0) return { method: line, query: "" };
  return { method: line.slice(0, sp), query: line.slice(sp + 1) };
}

/** A parsed reply line. */
export interface RpcReply {
  readonly code: number;
  readonly text: string;
}

/**
 * Parses `NNN text` (the text may be empty, as in `200 ` for an empty
 * result).
 * @throws {RpcProtocolError}
 */
export function parseReplyLine(line: string): RpcReply {
  const m = /^([0-9]{3})(?: (.*))?$/s.exec(line);
  if (!m) {
    throw new RpcProtocolError(`malformed reply: "${line.slice(0, 80)}"`);
  }
  return { code: Number(m[1]), text: m[2] ?? "" };
}

/** Reads one line from `read` (CRLF or LF), at most `max` bytes. */
export async function readLine(
  read: () => Promise<Uint8Array | null>,
  max: number,
): Promise<string | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = await read();
    if (chunk === null) return null;
    const nl = chunk.indexOf(0x0a);
    chunks.push(nl < 0 ? chunk : chunk.subarray(0, nl));
    size += nl < 0 ? chunk.length : nl;
    if (size > max) {
      throw new RpcProtocolError(`line longer than ${max} bytes`);
    }
    if (nl >= 0) break;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  const line = new TextDecoder().decode(bytes);
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
