/**
 * Splitting a message into header fields, shared by signing, verifying
 * and the From: helper. Works on latin1 strings so that bytes survive.
 *
 * @module
 */

/** One header field: its name and everything after the colon, folds kept. */
export interface HeaderField {
  readonly name: string;
  readonly value: string;
  /** The field as it appears, folds and final line break included. */
  readonly raw: string;
}

/** The header block (without the empty line) and the body. */
export function headerBlock(text: string): { header: string; body: string } {
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) return { header: text, body: "" };
  return {
    header: text.slice(0, m.index),
    body: text.slice(m.index + m[0].length),
  };
}

/** The fields of a header block; lines without a colon are skipped. */
export function parseHeaderFields(header: string): HeaderField[] {
  const out: HeaderField[] = [];
  const lines = header.split(/(?<=\n)/);
  let cur = "";
  function flush(): void {
    if (!cur) return;
    const colon = cur.indexOf(":");
    if (colon > 0) {
      out.push({
        name: cur.slice(0, colon).trim(),
        value: cur.slice(colon + 1).replace(/\r?\n$/, ""),
        raw: cur,
      });
    }
    cur = "";
  }
  for (const line of lines) {
    if (line === "") continue;
    if (line[0] === " " || line[0] === "\t") cur += line;
    else {
      flush();
      cur = line;
    }
  }
  flush();
  return out;
}
