/**
 * The policy fetch of RFC 8461 §3.3 (ST-01): a minimal HTTP/1.1 GET over
 * the runtime's `Net` and client TLS, so the core needs no HTTP client.
 *
 * One request per connection (`Connection: close`); the body is framed by
 * `Content-Length`, chunked transfer coding, or the end of the connection.
 * Anything but a `200` is a failure: redirects are not followed. The
 * certificate must verify for `mta-sts.<domain>`, the media type must be
 * `text/plain` (parameters allowed) and the body at most `maxBody` bytes.
 *
 * @module
 */

import type { Clock, Conn, Net, Resolver } from "../runtime/types.ts";

/** Why a policy could not be fetched. */
export class StsFetchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StsFetchError";
  }
}

/** What one fetch needs. */
export interface HttpsGetOptions {
  readonly net: Net;
  readonly resolver: Resolver;
  readonly clock: Clock;
  /** The host to connect to, SNI and the name the certificate must match. */
  readonly host: string;
  readonly port: number;
  /** Request target, e.g. `/.well-known/mta-sts.txt`. */
  readonly path: string;
  /** Extra trusted CA (PEM); replaces the system roots. @default system roots */
  readonly ca?: string | undefined;
  /** The whole fetch (DNS, connect, TLS, response) must end within this. */
  readonly timeoutMs: number;
  /** Largest body accepted, in bytes. */
  readonly maxBody: number;
}

/** The largest status line plus headers accepted. */
const MAX_HEAD = 16 * 1024;

/**
 * Fetches `https://host:port/path` and returns the body as text.
 * @throws {StsFetchError} on any failure, with the cause attached.
 */
export async function httpsGetText(o: HttpsGetOptions): Promise<string> {
  let conn: Conn | null = null;
  let timedOut = false;
  let timer: { cancel(): void } | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = o.clock.setTimer(o.timeoutMs, () => {
      timedOut = true;
      conn?.close();
      reject(new StsFetchError(`Fetching from "${o.host}" timed out`));
    });
  });
  deadline.catch(() => {});
  try {
    return await Promise.race([
      (async () => {
        conn = await connect(o);
        if (timedOut) conn.close();
        return await exchange(conn, o);
      })(),
      deadline,
    ]);
  } catch (err) {
    if (err instanceof StsFetchError) throw err;
    throw new StsFetchError(
      `Fetching from "${o.host}" failed: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    timer?.cancel();
    (conn as Conn | null)?.close();
  }
}

async function connect(o: HttpsGetOptions): Promise<Conn> {
  const [a, aaaa] = await Promise.allSettled([
    o.resolver.a(o.host),
    o.resolver.aaaa(o.host),
  ]);
  const addrs = [
    ...(a.status === "fulfilled" ? a.value : []),
    ...(aaaa.status === "fulfilled" ? aaaa.value : []),
  ];
  if (addrs.length === 0) {
    const cause = a.status === "rejected" ? a.reason : undefined;
    throw new StsFetchError(`Could not resolve "${o.host}"`, { cause });
  }
  let last: unknown;
  for (const host of addrs) {
    let conn: Conn;
    try {
      conn = await o.net.dial({ host, port: o.port, timeoutMs: o.timeoutMs });
    } catch (err) {
      last = err;
      continue;
    }
    try {
      const info = await conn.startTlsClient({
        servername: o.host,
        timeoutMs: o.timeoutMs,
        ...(o.ca === undefined ? {} : { ca: o.ca }),
      });
      if (!info.authorized) {
        throw new StsFetchError(
          `Certificate of "${o.host}" not valid: ${info.authorizationError}`,
        );
      }
      return conn;
    } catch (err) {
      conn.close();
      throw err;
    }
  }
  throw new StsFetchError(`Could not connect to "${o.host}"`, { cause: last });
}

async function exchange(conn: Conn, o: HttpsGetOptions): Promise<string> {
  const hostHeader = o.port === 443 ? o.host : `${o.host}:${o.port}`;
  await conn.write(
    `GET ${o.path} HTTP/1.1\r\nHost: ${hostHeader}\r\n` +
      `User-Agent: chaski\r\nAccept: text/plain\r\nConnection: close\r\n\r\n`,
  );
  const r = new ByteReader(conn);
  const head = await r.head();
  const { status, headers } = parseHead(head);
  if (status !== 200) {
    throw new StsFetchError(`HTTP status ${status} from "${o.host}"`);
  }
  const type = (headers.get("content-type") ?? "").split(";")[0]!.trim()
    .toLowerCase();
  if (type !== "text/plain") {
    throw new StsFetchError(
      `Media type from "${o.host}" must be text/plain: current value is "${type}"`,
    );
  }
  const body = await readBody(r, headers, o.maxBody);
  return new TextDecoder().decode(body);
}

function parseHead(
  head: string,
): { status: number; headers: Map<string, string> } {
  const lines = head.split("\r\n");
  const m = /^HTTP\/1\.[01] ([0-9]{3})(?: |$)/.exec(lines[0] ?? "");
  if (!m) throw new StsFetchError(`Malformed HTTP status line`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new StsFetchError(`Malformed HTTP header line`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const old = headers.get(name);
    headers.set(name, old === undefined ? value : `${old}, ${value}`);
  }
  return { status: Number(m[1]), headers };
}

function tooLarge(max: number): StsFetchError {
  return new StsFetchError(`Policy larger than ${max} bytes`);
}

async function readBody(
  r: ByteReader,
  headers: Map<string, string>,
  max: number,
): Promise<Uint8Array> {
  const te = (headers.get("transfer-encoding") ?? "").toLowerCase();
  if (te !== "") {
    if (te !== "chunked") {
      throw new StsFetchError(`Unsupported transfer coding "${te}"`);
    }
    return await readChunked(r, max);
  }
  const cl = headers.get("content-length");
  if (cl !== undefined) {
    if (!/^[0-9]+$/.test(cl)) {
      throw new StsFetchError(`Malformed Content-Length "${cl}"`);
    }
    const n = Number(cl);
    if (n > max) throw tooLarge(max);
    const body = await r.take(n);
    if (body === null) throw new StsFetchError(`Body shorter than announced`);
    return body;
  }
  // No framing: the body ends with the connection.
  const body = await r.rest(max + 1);
  if (body.length > max) throw tooLarge(max);
  return body;
}

async function readChunked(r: ByteReader, max: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const line = await r.line(1024);
    const m = /^([0-9a-fA-F]+)(?:;.*)?$/.exec(line.trim());
    if (!m) throw new StsFetchError(`Malformed chunk size line`);
    const size = parseInt(m[1]!, 16);
    if (size === 0) break;
    total += size;
    if (total > max) throw tooLarge(max);
    const chunk = await r.take(size);
    if (chunk === null) throw new StsFetchError(`Chunk shorter than announced`);
    parts.push(chunk);
    if (await r.line(2) !== "") throw new StsFetchError(`Malformed chunk end`);
  }
  // Trailers (if any) are not needed: the connection closes after them.
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Buffered reads from a `Conn`. */
class ByteReader {
  readonly #conn: Conn;
  #buf = new Uint8Array(0);
  #eof = false;

  constructor(conn: Conn) {
    this.#conn = conn;
  }

  /** Reads one more chunk; false at end of stream. */
  async #more(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = await this.#conn.read();
    if (chunk === null) {
      this.#eof = true;
      return false;
    }
    const next = new Uint8Array(this.#buf.length + chunk.length);
    next.set(this.#buf);
    next.set(chunk, this.#buf.length);
    this.#buf = next;
    return true;
  }

  #consume(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /** The status line and headers, without the blank line that ends them. */
  async head(): Promise<string> {
    for (;;) {
      const end = indexOfCrlfCrlf(this.#buf);
      if (end >= 0) {
        const head = this.#consume(end + 4);
        return new TextDecoder("latin1").decode(head.subarray(0, end));
      }
      if (this.#buf.length > MAX_HEAD) {
        throw new StsFetchError(`HTTP headers too long`);
      }
      if (!await this.#more()) {
        throw new StsFetchError(`Connection closed before the HTTP headers`);
      }
    }
  }

  /** A line without its CRLF, of at most `max` bytes. */
  async line(max: number): Promise<string> {
    for (;;) {
      const i = this.#buf.indexOf(0x0a);
      if (i >= 0) {
        const raw = this.#consume(i + 1);
        return new TextDecoder("latin1").decode(raw).replace(/\r?\n$/, "");
      }
      if (this.#buf.length > max) throw new StsFetchError(`Line too long`);
      if (!await this.#more()) throw new StsFetchError(`Unexpected end`);
    }
  }

  /** Exactly `n` bytes, or `null` when the stream ends first. */
  async take(n: number): Promise<Uint8Array | null> {
    while (this.#buf.length < n) {
      if (!await this.#more()) return null;
    }
    return this.#consume(n);
  }

  /** Everything up to the end of the stream, stopping past `max` bytes. */
  async rest(max: number): Promise<Uint8Array> {
    while (this.#buf.length < max && await this.#more()) {
      // Keep reading.
    }
    return this.#consume(Math.min(this.#buf.length, max));
  }
}

function indexOfCrlfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}
