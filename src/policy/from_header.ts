/**
 * The addresses of a message's `From:` header fields, for the sender
 * policy (B-02). A small RFC 5322 reader: unfolding, comments, quoted
 * strings, angle addresses, groups and obsolete source routes.
 *
 * @module
 */

const decoder = new TextDecoder();

/**
 * Every address of every `From:` field in the header of `message` (CRLF or
 * LF lines), in order. Display names and comments are dropped; an empty
 * group gives nothing. Domains are returned as written, not normalised.
 * @example fromAddresses(enc('From: "Bob" <bob@d.test>\r\n\r\nhi')) // ["bob@d.test"]
 */
export function fromAddresses(message: Uint8Array): string[] {
  const out: string[] = [];
  for (const value of headerValues(message, "from")) {
    out.push(...parseAddressList(value));
  }
  return out;
}

/** The unfolded values of the fields named `name` (lower case). */
function headerValues(message: Uint8Array, name: string): string[] {
  const text = decoder.decode(message);
  const end = text.search(/\r?\n\r?\n/);
  const header = end < 0 ? text : text.slice(0, end);
  const values: string[] = [];
  let current: string | null = null;
  for (const line of header.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (current !== null) current += line;
      continue;
    }
    if (current !== null) values.push(current);
    current = null;
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) {
      current = line.slice(colon + 1);
    }
  }
  if (current !== null) values.push(current);
  return values;
}

/** Reader state over one address list. */
interface ListState {
  out: string[];
  /** The mailbox text so far, outside comments and angle brackets. */
  text: string;
  /** The angle address of the current mailbox, if one was seen. */
  angle: string | null;
  inAngle: boolean;
}

/**
 * Splits an RFC 5322 address list into addr-specs: `a@b, "N" <c@d>,
 * group: e@f;` gives `a@b`, `c@d`, `e@f`.
 */
export function parseAddressList(value: string): string[] {
  const st: ListState = { out: [], text: "", angle: null, inAngle: false };
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (c === '"') i = quoted(value, i, st);
    else if (c === "(") i = skipComment(value, i);
    else {
      step(st, c);
      i++;
    }
  }
  flush(st);
  return st.out;
}

/** One character outside quotes and comments. */
function step(st: ListState, c: string): void {
  if (st.inAngle) {
    if (c === ">") st.inAngle = false;
    else st.angle += c;
  } else if (c === "<") {
    st.inAngle = true;
    st.angle = "";
  } else if (c === ":") {
    st.text = ""; // A group's display name.
  } else if (c === "," || c === ";") {
    flush(st);
  } else {
    st.text += c;
  }
}

/** Copies a quoted string into the current text; returns the next index. */
function quoted(value: string, start: number, st: ListState): number {
  let i = start + 1;
  let s = '"';
  while (i < value.length && value[i] !== '"') {
    if (value[i] === "\\" && i + 1 < value.length) s += value[i++];
    s += value[i++];
  }
  s += '"';
  if (st.inAngle) st.angle += s;
  else st.text += s;
  return i + 1;
}

/** Skips a (possibly nested) comment; returns the next index. */
function skipComment(value: string, start: number): number {
  let depth = 0;
  let i = start;
  for (; i < value.length; i++) {
    const c = value[i];
    if (c === "\\") i++;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i + 1;
  }
  return i;
}

function flush(st: ListState): void {
  let addr = st.angle !== null ? st.angle : st.text;
  // Obsolete source route: `<@relay1,@relay2:user@d>`.
  const route = addr.lastIndexOf(":");
  if (st.angle !== null && route >= 0) addr = addr.slice(route + 1);
  addr = addr.replace(/\s+/g, "");
  if (addr !== "") st.out.push(addr);
  st.text = "";
  st.angle = null;
  st.inAngle = false;
}
