/**
 * Delivery status notifications (bounces and delay notices, DSN-01..DSN-05,
 * B-13) as message bytes. Pure: no I/O, no clock, no randomness; the queue
 * passes the id and the date in and queues the result from `<>`.
 *
 * The message is a `multipart/report; report-type=delivery-status`
 * (RFC 6522, RFC 3464) with three parts:
 *
 * 1. `text/plain; charset=utf-8`: our explanation, the original recipient
 *    addresses and the technical details of each recipient.
 * 2. `message/global-delivery-status` (RFC 6533, always the UTF-8 variant):
 *    `Reporting-MTA`, then one block per recipient with `Original-Recipient`
 *    and `Final-Recipient` (address type `utf-8`, written as RFC 6533
 *    `utf-8-addr-unitext`: `+`, `=`, `\`, space and controls become
 *    `\x{HEX}`), `Action`, `Status` and `Diagnostic-Code`.
 * 3. The original message, cut at a line boundary before 256 KiB, or only
 *    its header section for `headersOnly` (RET=HDRS) and for every delay
 *    notice. Its type is `message/rfc822` (`text/rfc822-headers`), unless
 *    the original's header section has 8-bit bytes: then it is
 *    `message/global` (`message/global-headers`), as RFC 6533 §6.3 and
 *    §6.4 ask, so a reader does not take UTF-8 headers for a broken
 *    RFC 5322 message.
 *
 * `Status` is `5.0.0` for permanent failures and `4.0.0` for time-outs and
 * delays, or the enhanced code of the error when it starts with an SMTP
 * reply of the same class (`550 5.1.1 …` gives `5.1.1`).
 *
 * Every line ends in CRLF, including the returned original (a bare CR or
 * LF in it becomes CRLF). Header values never carry CR, LF or other
 * controls from the inputs: addresses lose them, errors are folded to one
 * line. The boundary is derived from the id and re-derived until it occurs
 * in none of the parts.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { rfc1123z } from "../smtpsrv/received.ts";

/** How much of the original message a failure DSN returns (DSN-05). */
export const MAX_RETURNED_BYTES = 256 * 1024;

/** One recipient the notice reports on. */
export interface DsnRecipient {
  /** The final address (after aliases), or a pipe's command line. */
  readonly address: string;
  /** The RCPT TO address it came from. */
  readonly originalAddress: string;
  readonly type: "email" | "pipe" | "forward";
  /** `failed`: permanent error; `timeout`: gave up; `delayed`: still trying. */
  readonly status: "failed" | "timeout" | "delayed";
  /** The last delivery error, as the courier reported it. */
  readonly error: string;
}

/** Everything a notice is made of. */
export interface DsnInput {
  /** A new Q-01 id, for the Message-ID and the boundary. */
  readonly id: string;
  /** The domain the notice comes from (DSN-01, see {@linkcode reportingDomain}). */
  readonly reportingDomain: string;
  /** The original MAIL FROM; the notice goes to it. */
  readonly sender: string;
  readonly recipients: readonly DsnRecipient[];
  /** The original message, CRLF. */
  readonly original: Uint8Array;
  readonly date: Date;
  /** `failure` is a bounce; `delay` a B-13 delay notice (always headers only). */
  readonly kind: "failure" | "delay";
  /** Return only the original's header section (RET=HDRS). @default false */
  readonly headersOnly?: boolean;
}

/**
 * The domain a notice comes from (DSN-01): the sender's domain if it is
 * local, else the domain of the first local original recipient, else
 * `unknown`.
 *
 * @example
 * ```ts
 * const local = (d: string) => d === "example.com";
 * reportingDomain("a@elsewhere.net", ["b@example.com"], local); // "example.com"
 * ```
 */
export function reportingDomain(
  sender: string,
  originalRecipients: readonly string[],
  isLocal: (domain: string) => boolean,
): string {
  for (const addr of [sender, ...originalRecipients]) {
    const at = addr.lastIndexOf("@");
    const domain = at < 0 ? "" : addr.slice(at + 1);
    if (domain !== "" && isLocal(domain)) return domain;
  }
  return "unknown";
}

/**
 * The `<msg-id>` of the original's Message-ID header, angle brackets
 * included, for In-Reply-To and References; null when there is none.
 *
 * @example
 * ```ts
 * const msg = new TextEncoder().encode("Message-ID: <a@b>\r\n\r\nhi\r\n");
 * originalMessageId(msg); // "<a@b>"
 * ```
 */
export function originalMessageId(original: Uint8Array): string | null {
  const headers = latin1(headerSection(original)).replace(/\r?\n[ \t]/g, " ");
  const field = /^message-id[ \t]*:(.*)$/im.exec(headers);
  if (!field) return null;
  const value = Buffer.from(field[1]!, "latin1").toString("utf8").trim();
  const bracketed = /<[^<>\s\p{Cc}]+>/u.exec(value);
  if (bracketed) return bracketed[0].length <= 900 ? bracketed[0] : null;
  // Some mailers leave the brackets out; a lone id-like token still counts.
  if (
    /^[^<>\s\p{Cc}]+@[^<>\s\p{Cc}]+$/u.test(value) &&
    value.length <= 900
  ) {
    return `<${value}>`;
  }
  return null;
}

/**
 * Builds the notice: the whole message, CRLF, ready to queue from `<>`.
 *
 * @example
 * ```ts
 * const bytes = buildDsn({
 *   id: "AbCdEfGhIjK",
 *   reportingDomain: "example.com",
 *   sender: "a@example.com",
 *   recipients: [{
 *     address: "b@remote.net",
 *     originalAddress: "b@remote.net",
 *     type: "email",
 *     status: "failed",
 *     error: "550 5.1.1 no such user",
 *   }],
 *   original: new TextEncoder().encode("Subject: hi\r\n\r\nhello\r\n"),
 *   date: new Date(),
 *   kind: "failure",
 * });
 * ```
 */
export function buildDsn(input: DsnInput): Uint8Array {
  const domain = cleanAddress(input.reportingDomain) || "unknown";
  const original = toCrlf(input.original);
  const headersOnly = input.kind === "delay" || input.headersOnly === true;
  const returned = headersOnly
    ? { bytes: headerSection(original), truncated: false }
    : truncate(original);
  const part1 = utf8(explanation(input, domain, headersOnly, returned));
  const part2 = utf8(deliveryStatus(input, domain));
  const global = hasHighBytes(headerSection(original));
  const part3Type = headersOnly
    ? (global ? "message/global-headers" : "text/rfc822-headers")
    : (global ? "message/global" : "message/rfc822");
  const boundary = pickBoundary(input.id, [original, part1, part2]);
  const out: Uint8Array[] = [
    utf8(topHeaders(input, domain, boundary, original)),
    utf8(partHead(boundary, "text/plain; charset=utf-8", true)),
    part1,
    utf8(partHead(boundary, "message/global-delivery-status", true)),
    part2,
    utf8(partHead(boundary, part3Type, hasHighBytes(returned.bytes))),
    returned.bytes,
    utf8(`\r\n--${boundary}--\r\n`),
  ];
  return new Uint8Array(Buffer.concat(out));
}

function topHeaders(
  input: DsnInput,
  domain: string,
  boundary: string,
  original: Uint8Array,
): string {
  const delay = input.kind === "delay";
  const h: string[] = [
    `From: Mail Delivery Reports <postmaster-dsn@${domain}>`,
    `To: <${cleanAddress(input.sender)}>`,
    delay
      ? "Subject: Delivery delayed: your message has not arrived yet"
      : "Subject: Undeliverable: your message could not be delivered",
    `Date: ${rfc1123z(input.date)}`,
    `Message-ID: <chaski-dsn-${cleanAddress(input.id)}@${domain}>`,
  ];
  const ref = originalMessageId(original);
  if (ref !== null) h.push(`In-Reply-To: ${ref}`, `References: ${ref}`);
  const failed = unique(
    input.recipients.filter((r) => r.status !== "delayed")
      .map((r) => cleanAddress(r.originalAddress)),
  );
  if (!delay && failed.length > 0) {
    h.push(fold("X-Failed-Recipients", failed.join(", ")));
  }
  h.push(
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    "Content-Transfer-Encoding: 8bit",
    "",
    "This is a delivery status report in MIME format.",
  );
  return h.join("\r\n") + "\r\n";
}

function partHead(boundary: string, type: string, eightBit: boolean): string {
  const cte = eightBit ? "Content-Transfer-Encoding: 8bit\r\n" : "";
  return `\r\n--${boundary}\r\nContent-Type: ${type}\r\n${cte}\r\n`;
}

function explanation(
  input: DsnInput,
  domain: string,
  headersOnly: boolean,
  returned: { truncated: boolean },
): string {
  const delay = input.kind === "delay";
  const lines = [
    `This is the mail server at ${domain}.`,
    "",
    delay
      ? "Your message has not been delivered yet to these recipients:"
      : "Your message could not be delivered to these recipients:",
    "",
    ...unique(input.recipients.map((r) => cleanAddress(r.originalAddress)))
      .map((a) => `  - ${a}`),
    "",
    delay
      ? "We are still trying, so there is no need to send it again."
      : "We have stopped trying to deliver it.",
    headersOnly
      ? "The headers of your message are attached."
      : returned.truncated
      ? "The beginning of your message is attached: it was over 256 KiB."
      : "A copy of your message is attached.",
    "",
    "----- Technical details -----",
    "",
  ];
  for (const r of input.recipients) {
    lines.push(
      `- ${JSON.stringify(cleanAddress(r.address))} (${r.type}) ${
        OUTCOME[r.status]
      }:`,
    );
    const error = r.error.trim() === "" ? "(no details)" : r.error.trim();
    for (const l of error.split(/\r\n|\r|\n/)) {
      lines.push(`    ${l.replace(CONTROLS, " ")}`.trimEnd());
    }
    lines.push("");
  }
  return lines.join("\r\n");
}

const OUTCOME: Record<DsnRecipient["status"], string> = {
  failed: "failed with a permanent error",
  timeout: "kept failing until we gave up; the last error was",
  delayed: "is still being retried; the last error was",
};

function deliveryStatus(input: DsnInput, domain: string): string {
  const lines = [`Reporting-MTA: dns; ${domain}`, ""];
  for (const r of input.recipients) {
    lines.push(
      `Original-Recipient: utf-8; ${unitext(r.originalAddress)}`,
      `Final-Recipient: utf-8; ${unitext(r.address)}`,
      `Action: ${r.status === "delayed" ? "delayed" : "failed"}`,
      `Status: ${statusCode(r)}`,
    );
    const error = oneLine(r.error);
    if (error !== "") lines.push(fold("Diagnostic-Code", `smtp; ${error}`));
    lines.push("");
  }
  return lines.join("\r\n");
}

const REPLY = /^([245])\d\d[ -]([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/;

/**
 * The RFC 3463 status of one recipient: `5.0.0` when failed, `4.0.0` when
 * timed out or delayed, refined by an enhanced code at the start of the
 * error when its class agrees.
 *
 * @example
 * ```ts
 * statusCode({ status: "failed", error: "550 5.1.1 no such user" }); // "5.1.1"
 * ```
 */
export function statusCode(r: Pick<DsnRecipient, "status" | "error">): string {
  const cls = r.status === "failed" ? "5" : "4";
  const m = REPLY.exec(oneLine(r.error));
  if (m && m[1] === cls && m[2] === cls) {
    return `${cls}.${Number(m[3])}.${Number(m[4])}`;
  }
  return `${cls}.0.0`;
}

// Control characters (C0, DEL, C1) except tab.
const CONTROLS = /[^\P{Cc}\t]/gu;

/** An address or domain fit for a header: no controls, no edge spaces. */
function cleanAddress(s: string): string {
  return s.replace(/\p{Cc}/gu, "").trim();
}

/** Any text as one header-safe line: whitespace runs become one space. */
function oneLine(s: string): string {
  return s.replace(CONTROLS, " ").replace(/[ \t]+/g, " ").trim();
}

/** RFC 6533 `utf-8-addr-unitext`: QUCHARs as they are, the rest as `\x{HEX}`. */
function unitext(addr: string): string {
  let out = "";
  for (const ch of addr) {
    const cp = ch.codePointAt(0)!;
    const quchar = cp > 0x9f ||
      (cp >= 0x21 && cp <= 0x7e && ch !== "+" && ch !== "=" && ch !== "\\");
    out += quchar ? ch : `\\x{${cp.toString(16).toUpperCase()}}`;
  }
  return out;
}

/** `Name: value`, folded at spaces so lines stay near 78 characters. */
function fold(name: string, value: string): string {
  const lines: string[] = [];
  let line = `${name}:`;
  for (const word of value.split(" ")) {
    // A word too long for any line is cut (only pathological errors).
    for (let w = word; w !== "";) {
      const piece = w.slice(0, 900);
      w = w.slice(900);
      if (line.length + 1 + piece.length > 78 && line !== `${name}:`) {
        lines.push(line);
        line = "";
      }
      line += ` ${piece}`;
    }
  }
  lines.push(line);
  return lines.join("\r\n");
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

/** The header section, up to and including the CRLF of the last field. */
function headerSection(msg: Uint8Array): Uint8Array {
  const buf = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
  if (buf[0] === 0x0d && buf[1] === 0x0a) return new Uint8Array(0);
  if (buf[0] === 0x0a) return new Uint8Array(0);
  const crlf = buf.indexOf("\r\n\r\n");
  const lf = buf.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return msg.subarray(0, crlf + 2);
  if (lf >= 0) return msg.subarray(0, lf + 1);
  return msg;
}

/** The message cut at the last line end before {@linkcode MAX_RETURNED_BYTES}. */
function truncate(msg: Uint8Array): { bytes: Uint8Array; truncated: boolean } {
  if (msg.length <= MAX_RETURNED_BYTES) return { bytes: msg, truncated: false };
  const buf = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
  const lf = buf.lastIndexOf(0x0a, MAX_RETURNED_BYTES - 1);
  // Without any line end in the first 256 KiB, cut mid-line and end it.
  const bytes = lf >= 0
    ? msg.subarray(0, lf + 1)
    : Buffer.concat([msg.subarray(0, MAX_RETURNED_BYTES - 2), utf8("\r\n")]);
  return { bytes: new Uint8Array(bytes), truncated: true };
}

/** Every bare CR or LF as CRLF; the input itself when it is already clean. */
function toCrlf(msg: Uint8Array): Uint8Array {
  let clean = true;
  for (let i = 0; i < msg.length && clean; i++) {
    if (msg[i] === 0x0d) clean = msg[i + 1] === 0x0a;
    else if (msg[i] === 0x0a) clean = i > 0 && msg[i - 1] === 0x0d;
  }
  if (clean) return msg;
  const text = latin1(msg).replace(/\r\n|\r|\n/g, "\r\n");
  return new Uint8Array(Buffer.from(text, "latin1"));
}

/**
 * `=_chaski-<id>-<hex>`: "=_" never occurs in quoted-printable or base64
 * text, and the hash is re-derived in the rare case the delimiter is
 * found in a part anyway.
 */
function pickBoundary(id: string, parts: readonly Uint8Array[]): string {
  const safeId = id.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 22);
  for (let n = 0;; n++) {
    const hex = createHash("sha256").update(`${id}/${n}`).digest("hex");
    const boundary = `=_chaski-${safeId}-${hex.slice(0, 24)}`;
    const delimiter = `--${boundary}`;
    if (!parts.some((p) => Buffer.from(p).includes(delimiter))) return boundary;
  }
}

function hasHighBytes(b: Uint8Array): boolean {
  return b.some((x) => x >= 0x80);
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
