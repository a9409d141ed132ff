/**
 * The Received header chaski prepends (H-01, H-02): client IP only for
 * unauthenticated sessions, never the recipients (no BCC leak), the TLS
 * cipher when on TLS, and an RFC 1123Z date.
 *
 * @module
 */

import type { TlsInfo } from "../runtime/types.ts";
import type { Mode } from "./types.ts";

/** What the header describes. */
export interface ReceivedInfo {
  readonly ehloDomain: string;
  readonly remoteIp: string;
  readonly hostname: string;
  readonly esmtp: boolean;
  readonly authenticated: boolean;
  readonly tls: TlsInfo | null;
  readonly mode: Mode;
  readonly mailFrom: string;
  readonly date: Date;
}

/** Builds the full header, `Received: …` with CRLF folding and ending. */
export function receivedHeader(r: ReceivedInfo): string {
  const lines: string[] = [];
  if (r.authenticated) lines.push(`from ${r.ehloDomain}`);
  else lines.push(`from ${r.ehloDomain} ([${addrLiteral(r.remoteIp)}])`);
  let withProto = r.esmtp ? "ESMTP" : "SMTP";
  if (r.tls) withProto += "S";
  if (r.authenticated) withProto += "A";
  lines.push(`by ${r.hostname} (chaski) with ${withProto}`);
  if (r.tls) lines.push(`tls ${r.tls.cipher}`);
  const security = r.tls ? tlsVersionName(r.tls.version) : "plain text!";
  lines.push(
    `(over ${r.mode}, ${security}, envelope from ${goQuote(r.mailFrom)})`,
  );
  lines.push(`; ${rfc1123z(r.date)}`);
  return `Received: ${lines.join("\r\n\t")}\r\n`;
}

/** `1.2.3.4`, or `IPv6:…` for IPv6 (RFC 5321 §4.1.3). */
export function addrLiteral(ip: string): string {
  return ip.includes(":") ? `IPv6:${ip}` : ip;
}

/** `TLSv1.3` → `TLS-1.3`, as chasquid names versions. */
export function tlsVersionName(v: string): string {
  const m = /^TLSv(\d(?:\.\d)?)$/.exec(v);
  if (!m) return v;
  return `TLS-${m[1]!.includes(".") ? m[1] : `${m[1]}.0`}`;
}

/** Go's `%q` for the strings we log and write in headers. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || cp === 0x7f) {
      out += `\\x${cp.toString(16).padStart(2, "0")}`;
    } else out += ch;
  }
  return out + '"';
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/** RFC 1123 with a numeric zone, in local time: `Mon, 02 Jan 2006 15:04:05 -0700`. */
export function rfc1123z(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const zone = `${sign}${p(Math.floor(Math.abs(off) / 60))}${
    p(Math.abs(off) % 60)
  }`;
  return `${DAYS[d.getDay()]}, ${p(d.getDate())} ${
    MONTHS[d.getMonth()]
  } ${d.getFullYear()} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zone}`;
}
