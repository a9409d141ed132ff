/**
 * SMTP replies: formatting for the server side and bounded reading of
 * (multi-line) replies for the client side.
 *
 * @module
 */

import { SmtpError } from "./errors.ts";
import type { SmtpReader } from "./reader.ts";

/** A reply as read from a peer. */
export interface Reply {
  /** The three-digit code, e.g. 250. */
  readonly code: number;
  /** Text of each line, without the code and separator. */
  readonly lines: readonly string[];
  /** The lines joined with `\n`. */
  readonly text: string;
}

/**
 * Formats a reply. Each `\n` in `text` starts a new line; every line but the
 * last uses `code-`, the last `code ` (S-01..S-60). A trailing `\n` is
 * ignored, and CRs are dropped so a text can never inject a line.
 *
 * @example
 * ```ts
 * formatReply(250, "mx.test\nPIPELINING\nHELP");
 * // "250-mx.test\r\n250-PIPELINING\r\n250 HELP\r\n"
 * ```
 */
export function formatReply(code: number, text: string): string {
  let t = text.replaceAll("\r", "");
  if (t.endsWith("\n")) t = t.slice(0, -1);
  const lines = t.split("\n");
  let out = "";
  for (let i = 0; i < lines.length - 1; i++) out += `${code}-${lines[i]}\r\n`;
  return `${out}${code} ${lines[lines.length - 1]}\r\n`;
}

/** Formats the reply an `SmtpError` stands for: `code enhanced message`. */
export function formatError(err: SmtpError): string {
  return formatReply(err.code, err.text);
}

/** A peer's reply that breaks the reply syntax or the size cap. */
export class ReplyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReplyFormatError";
  }
}

/** Options for {@linkcode readReply}. */
export interface ReadReplyOptions {
  /**
   * Cap on the octets of one reply, all lines together (chasquid caps
   * replies per outbound connection at 2 MiB).
   * @default 2097152
   */
  readonly maxTotal?: number;
  /**
   * Longest single line in octets.
   * @default 65536
   */
  readonly maxLine?: number;
}

const REPLY_LINE = /^([2-5][0-9][0-9])(?:([ -])(.*))?$/s;

/**
 * Reads one reply, following `code-` continuation lines until `code ` (or a
 * bare `code`).
 *
 * @throws {ReplyFormatError} on a malformed line, mixed codes or over
 *   `maxTotal`.
 * @throws {EofError} / {LineTooLongError} from the reader.
 */
export async function readReply(
  reader: SmtpReader,
  opts: ReadReplyOptions = {},
): Promise<Reply> {
  const maxTotal = opts.maxTotal ?? 2 * 1024 * 1024;
  const maxLine = opts.maxLine ?? 65536;
  const lines: string[] = [];
  let code = 0;
  let total = 0;
  for (;;) {
    const line = await reader.readLine(maxLine);
    total += line.length + 2;
    if (total > maxTotal) {
      throw new ReplyFormatError(`Reply too long: over ${maxTotal} octets`);
    }
    const m = REPLY_LINE.exec(line);
    if (!m) throw new ReplyFormatError(`Malformed reply line: "${line}"`);
    const c = Number(m[1]);
    if (code !== 0 && c !== code) {
      throw new ReplyFormatError(`Reply code changed from ${code} to ${c}`);
    }
    code = c;
    lines.push(m[3] ?? "");
    if (m[2] !== "-") return { code, lines, text: lines.join("\n") };
  }
}

/**
 * Turns a 4xx/5xx reply into an `SmtpError` carrying the peer's code and,
 * when the text starts with one of the right class, its enhanced code.
 */
export function replyError(reply: Reply): SmtpError {
  const m = /^([245]\.\d{1,3}\.\d{1,3}) (.*)$/s.exec(reply.text);
  const enhanced = m && m[1]![0] === String(reply.code)[0] ? m[1]! : "";
  const message = m && enhanced ? m[2]! : reply.text;
  return new SmtpError(reply.code, enhanced, message);
}
