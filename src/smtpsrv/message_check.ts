/**
 * The light message checks done at DATA (D-02, S-44, S-45): the header
 * section must parse as RFC 5322 headers the way Go's `net/mail` reads them,
 * and the number of Received headers detects loops. The body is not parsed.
 *
 * @module
 */

/** Result of scanning the header section. */
export type HeaderScan = { ok: true; received: number } | {
  ok: false;
  reason: string;
};

const FIELD_NAME = /^[!-9;-~]+$/;

/** Scans the header section of a CRLF message without copying the body. */
export function scanHeaders(data: Uint8Array): HeaderScan {
  const end = headerEnd(data);
  const text = new TextDecoder("utf-8", { fatal: false }).decode(
    data.subarray(0, end),
  );
  if (text === "" && end === 0 && data.length === 0) {
    return { ok: false, reason: "empty message" };
  }
  let received = 0;
  let first = true;
  for (const line of text.split("\r\n")) {
    if (line === "") break;
    if (line[0] === " " || line[0] === "\t") {
      if (first) return { ok: false, reason: "malformed initial header line" };
      continue;
    }
    first = false;
    const colon = line.indexOf(":");
    if (colon <= 0 || !FIELD_NAME.test(line.slice(0, colon))) {
      return {
        ok: false,
        reason: `malformed header line ${JSON.stringify(line.slice(0, 40))}`,
      };
    }
    if (colon === 8 && line.slice(0, 8).toLowerCase() === "received") {
      received++;
    }
  }
  return { ok: true, received };
}

/** Offset of the blank line ending the headers (or the data length). */
function headerEnd(data: Uint8Array): number {
  if (data[0] === 0x0d && data[1] === 0x0a) return 0;
  for (let i = 0; i + 3 < data.length; i++) {
    if (
      data[i] === 0x0d && data[i + 1] === 0x0a && data[i + 2] === 0x0d &&
      data[i + 3] === 0x0a
    ) return i + 2;
  }
  return data.length;
}
