/**
 * The bounded SMTP reader: command lines, the strict DATA dot reader and
 * exact-length reads (BDAT), over a pull-based chunk source such as a
 * `Conn`. Chunks are scanned with `indexOf` and kept as `subarray` views; a
 * message is copied once, when its pieces are joined.
 *
 * @module
 */

/** Anything that hands out chunks of bytes; `null` means end of stream. */
export interface ChunkSource {
  read(): Promise<Uint8Array | null>;
}

/** The peer closed the stream (or it ended) before a complete line or message. */
export class EofError extends Error {
  /** True when some bytes of an unfinished line or message were read. */
  readonly partial: boolean;
  constructor(partial: boolean) {
    super(partial ? "Unexpected end of stream" : "End of stream");
    this.name = "EofError";
    this.partial = partial;
  }
}

/**
 * A command line longer than allowed. The excess was discarded, not
 * buffered; the rest of the line is skipped by the next read.
 */
export class LineTooLongError extends Error {
  /** The limit in octets, excluding the line ending. */
  readonly maxLen: number;
  constructor(maxLen: number) {
    super(`Line too long: over ${maxLen} octets`);
    this.name = "LineTooLongError";
    this.maxLen = maxLen;
  }
}

/** Options for {@linkcode SmtpReader.readDotData}. */
export interface DotOptions {
  /**
   * Largest accepted message, counted in raw octets as received: line
   * endings, dot-stuffing and the terminating `.CRLF` included (S-41).
   */
  readonly maxSize: number;
}

/**
 * Outcome of reading DATA. `ok` carries the message; `tooBig` means the
 * message was read to its end and discarded (reply 552, carry on);
 * `badLineEnding` means a bare CR or LF was seen and the stream is left
 * mid-message (reply 521 and close).
 */
export type DotResult =
  | { readonly status: "ok"; readonly data: Uint8Array; readonly size: number }
  | { readonly status: "tooBig"; readonly size: number }
  | { readonly status: "badLineEnding"; readonly size: number };

const CR = 13;
const LF = 10;
const DOT = 46;
const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();

// Dot reader states.
const S_START = 0; // at the start of a line
const S_MID = 1; // inside a line, last byte not CR
const S_CR = 2; // last byte was a CR, an LF must follow
const S_DOT = 3; // a leading dot was dropped
const S_DOTCR = 4; // ".\r" at the start of a line
const S_BAD = 5;
const S_DONE = 6;

/**
 * Reads SMTP commands and message data from a chunk source.
 *
 * Command lines end with CRLF; a bare LF is accepted at the end of a command
 * line too (as Go's `bufio.Reader.ReadLine`, and so chasquid, and most
 * servers do), and is never accepted inside DATA.
 *
 * @example
 * ```ts
 * const r = new SmtpReader(conn);
 * const line = await r.readLine(); // "EHLO client.example"
 * ```
 */
export class SmtpReader {
  #src: ChunkSource;
  #buf: Uint8Array = EMPTY;
  #pos = 0;
  #eof = false;
  #skipLine = false;

  constructor(src: ChunkSource) {
    this.#src = src;
  }

  /**
   * Bytes read from the source but not consumed yet. Non-zero right after a
   * STARTTLS command means the client pipelined plain text into the TLS
   * session (STARTTLS injection).
   */
  buffered(): number {
    return this.#buf.length - this.#pos;
  }

  /** Gets the next chunk into the buffer; false at end of stream. */
  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    for (;;) {
      const chunk = await this.#src.read();
      if (chunk === null) {
        this.#eof = true;
        this.#buf = EMPTY;
        this.#pos = 0;
        return false;
      }
      if (chunk.length === 0) continue;
      this.#buf = chunk;
      this.#pos = 0;
      return true;
    }
  }

  /** Discards up to and including the next LF, left over from a long line. */
  async #skipRestOfLine(): Promise<void> {
    for (;;) {
      const lf = this.#buf.indexOf(LF, this.#pos);
      if (lf >= 0) {
        this.#pos = lf + 1;
        this.#skipLine = false;
        return;
      }
      this.#pos = this.#buf.length;
      if (!(await this.#fill())) throw new EofError(true);
    }
  }

  /**
   * Reads one line and returns it without its line ending, decoded as UTF-8
   * (invalid sequences become U+FFFD).
   *
   * @param maxLen Longest line in octets, not counting CRLF (L-06).
   * @throws {LineTooLongError} as soon as the line exceeds `maxLen`; the
   *   rest of that line is skipped by the next read.
   * @throws {EofError} at end of stream, `partial` when mid-line.
   */
  async readLine(maxLen = 1000): Promise<string> {
    if (this.#skipLine) await this.#skipRestOfLine();
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = this.#buf;
      const start = this.#pos;
      const lf = buf.indexOf(LF, start);
      if (lf >= 0) {
        this.#pos = lf + 1;
        const len = total + lf - start;
        // Even without its CR the line would be too long: no need to join.
        if (len > maxLen + 1) throw new LineTooLongError(maxLen);
        let line: Uint8Array;
        if (parts.length === 0) {
          line = buf.subarray(start, lf);
        } else {
          parts.push(buf.subarray(start, lf));
          line = concat(parts, len);
        }
        let n = line.length;
        if (n > 0 && line[n - 1] === CR) n--;
        if (n > maxLen) throw new LineTooLongError(maxLen);
        return decoder.decode(line.subarray(0, n));
      }
      // No LF in this chunk: keep at most maxLen + 1 octets (the +1 may be
      // the CR of a CRLF split across chunks).
      const piece = buf.subarray(start);
      total += piece.length;
      this.#pos = buf.length;
      if (total > maxLen + 1 || (total === maxLen + 1 && piece.at(-1) !== CR)) {
        this.#skipLine = true;
        throw new LineTooLongError(maxLen);
      }
      if (piece.length > 0) parts.push(piece);
      if (!(await this.#fill())) throw new EofError(total > 0);
    }
  }

  /**
   * Reads a DATA body up to `CRLF.CRLF` (S-41, S-42, D-01). Leading dots are
   * unstuffed; the message comes back as received otherwise, CRLF line
   * endings included, without the terminating `.CRLF`. Every CR must be
   * followed by LF and every LF preceded by CR: anything else (the SMTP
   * smuggling forms `\n.\n`, `\r.\r`, `\r\n.\n`, …) is `badLineEnding` and
   * never ends the message. Over `maxSize` the reader still consumes the
   * message to its end, keeping nothing.
   *
   * @throws {EofError} when the stream ends before the terminator.
   */
  async readDotData(opts: DotOptions): Promise<DotResult> {
    if (this.#skipLine) await this.#skipRestOfLine();
    const parts: Uint8Array[] = [];
    let kept = 0;
    let size = 0;
    let tooBig = false;
    let state = S_START;
    for (;;) {
      if (this.#pos >= this.#buf.length && !(await this.#fill())) {
        throw new EofError(size > 0);
      }
      const buf = this.#buf;
      const start = this.#pos;
      const out = tooBig ? null : parts;
      const r = scanDot(buf, start, state, out);
      state = r.state;
      this.#pos = r.pos;
      size += r.pos - start;
      if (state === S_BAD) return { status: "badLineEnding", size };
      if (!tooBig) {
        for (let i = r.firstNew; i < parts.length; i++) {
          kept += parts[i]!.length;
        }
        if (size > opts.maxSize) {
          tooBig = true;
          parts.length = 0;
        }
      }
      if (state === S_DONE) {
        if (tooBig) return { status: "tooBig", size };
        return { status: "ok", data: concat(parts, kept), size };
      }
    }
  }

  /**
   * Reads exactly `n` octets (BDAT). With `discard`, the octets are consumed
   * and an empty array is returned, so an over-size chunk costs no memory.
   * @throws {EofError} when the stream ends first.
   */
  async readExact(
    n: number,
    opts?: { discard?: boolean },
  ): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(
        `Length must be a non-negative integer: current value is "${n}"`,
      );
    }
    const parts: Uint8Array[] = [];
    let left = n;
    while (left > 0) {
      if (this.#pos >= this.#buf.length && !(await this.#fill())) {
        throw new EofError(left < n);
      }
      const take = Math.min(left, this.#buf.length - this.#pos);
      if (!opts?.discard) {
        parts.push(this.#buf.subarray(this.#pos, this.#pos + take));
      }
      this.#pos += take;
      left -= take;
    }
    return opts?.discard ? EMPTY : concat(parts, n);
  }
}

interface ScanResult {
  state: number;
  pos: number;
  /** Index in `out` of the first piece this scan added. */
  firstNew: number;
}

/**
 * Runs the dot-reader state machine over `buf` from `pos` until the chunk
 * ends, the terminator is found or a bad line ending is seen. Kept pieces
 * (views into `buf`) are pushed to `out` unless it is null.
 */
function scanDot(
  buf: Uint8Array,
  pos: number,
  state: number,
  out: Uint8Array[] | null,
): ScanResult {
  const end = buf.length;
  const firstNew = out ? out.length : 0;
  let seg = pos; // start of the bytes not yet pushed to `out`
  function flush(to: number): void {
    if (out && to > seg) out.push(buf.subarray(seg, to));
  }
  while (pos < end) {
    if (state === S_START) {
      if (buf[pos] === DOT) {
        flush(pos);
        seg = ++pos;
        state = S_DOT;
        continue;
      }
      state = S_MID;
    }
    if (state === S_MID) {
      const lf = buf.indexOf(LF, pos);
      const cr = buf.indexOf(CR, pos);
      if (lf < 0) {
        // No line end in this chunk; at most a CR as its last byte.
        if (cr >= 0 && cr !== end - 1) {
          return { state: S_BAD, pos: cr, firstNew };
        }
        state = cr >= 0 ? S_CR : S_MID;
        pos = end;
        break;
      }
      if (lf === pos || cr !== lf - 1) {
        return { state: S_BAD, pos: Math.min(lf, cr < 0 ? lf : cr), firstNew };
      }
      pos = lf + 1;
      state = S_START;
    } else if (state === S_CR) {
      if (buf[pos] !== LF) return { state: S_BAD, pos, firstNew };
      pos++;
      state = S_START;
    } else if (state === S_DOT) {
      const b = buf[pos];
      if (b === CR) {
        flush(pos);
        seg = ++pos;
        state = S_DOTCR;
      } else if (b === LF) {
        return { state: S_BAD, pos, firstNew };
      } else {
        state = S_MID;
      }
    } else {
      // S_DOTCR: ".\r" must be followed by LF, which ends the message.
      if (buf[pos] !== LF) return { state: S_BAD, pos, firstNew };
      return { state: S_DONE, pos: pos + 1, firstNew };
    }
  }
  flush(pos);
  return { state, pos, firstNew };
}

/** Joins pieces into one array of `total` bytes; no copy for a single piece. */
export function concat(
  parts: readonly Uint8Array[],
  total: number,
): Uint8Array {
  if (parts.length === 1 && parts[0]!.length === total) return parts[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
