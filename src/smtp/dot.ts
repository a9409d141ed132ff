/**
 * The writer side of DATA: dot-stuffing (RFC 5321 §4.5.2).
 *
 * @module
 */

import { concat } from "./reader.ts";

const LF = 10;
const CR = 13;
const DOT = 46;
const DOT_BYTE = new Uint8Array([DOT]);
const CRLF = new Uint8Array([CR, LF]);
const LF_ONLY = new Uint8Array([LF]);
const TERMINATOR = new Uint8Array([DOT, CR, LF]);

/**
 * Prepares a message for sending after DATA: every line starting with `.`
 * gets another `.`, a final CRLF is added when missing, then the `.CRLF`
 * terminator. Line endings are otherwise sent as they are; messages are
 * stored with CRLF already (D-01).
 *
 * @example
 * ```ts
 * dotStuff(new TextEncoder().encode(".hi\r\n")); // "..hi\r\n.\r\n"
 * ```
 */
export function dotStuff(msg: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let seg = 0;
  let lineStart = 0;
  while (lineStart < msg.length) {
    if (msg[lineStart] === DOT) {
      parts.push(msg.subarray(seg, lineStart), DOT_BYTE);
      total += lineStart - seg + 1;
      seg = lineStart;
    }
    const lf = msg.indexOf(LF, lineStart);
    if (lf < 0) break;
    lineStart = lf + 1;
  }
  parts.push(msg.subarray(seg));
  total += msg.length - seg;
  const n = msg.length;
  if (n > 0 && msg[n - 1] !== LF) {
    const tail = msg[n - 1] === CR ? LF_ONLY : CRLF;
    parts.push(tail);
    total += tail.length;
  } else if (n > 0 && (n < 2 || msg[n - 2] !== CR)) {
    // Ends with a bare LF: make the last line ending a CRLF.
    parts[parts.length - 1] = parts.at(-1)!.subarray(0, -1);
    parts.push(CRLF);
    total += 1;
  }
  parts.push(TERMINATOR);
  return concat(parts, total + TERMINATOR.length);
}
