/**
 * Runs SMTP dialogs written as data (`testdata/dialogs/*.dlg`) against a
 * test server. The grammar, one directive per line:
 *
 * ```
 * # comment (blank lines are ignored too)
 * connect MODE [SNI]   open a connection: smtp | submission | submission+tls
 * c -> TEXT            send TEXT and CRLF
 * c => TEXT            send TEXT exactly, after unescaping \r \n \t \\ \xNN (no CRLF added)
 * c bulk N             send N bytes of message body lines (for size limits)
 * c <- TEXT            the next line is exactly TEXT
 * c <~ REGEX           the next line matches REGEX
 * c <* REGEX           read a whole reply (multi-line too); its last line matches REGEX
 * c <? REGEX           read a whole reply; some line of it matches REGEX
 * c <! REGEX           read a whole reply; no line of it matches REGEX
 * c tls [SNI]          start TLS on the connection (after the server's 220)
 * c closed             the server closes the connection
 * mail ADDR N          ADDR has at least N delivered messages (waits)
 * ```
 *
 * @module
 */

import type { RawConn, TestServer } from "./server.ts";

/** A failed expectation, with the file and line. */
export class DialogError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = "DialogError";
  }
}

/** Unescapes `\r \n \t \\ \xNN`. */
export function unescape(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|[rnt\\])/g, (_, e: string) => {
    if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ r: "\r", n: "\n", t: "\t", "\\": "\\" } as Record<
      string,
      string
    >)[e]!;
  });
}

/** Runs one dialog text. */
export async function runDialog(
  srv: TestServer,
  file: string,
  text: string,
): Promise<void> {
  let conn: RawConn | null = null;
  const lines = text.split("\n");
  try {
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!.replace(/\r$/, "");
      if (raw.trim() === "" || raw.trimStart().startsWith("#")) continue;
      const fail = (msg: string) => new DialogError(file, i + 1, msg);
      conn = await step(srv, conn, raw, fail);
    }
  } finally {
    conn?.close();
  }
}

async function step(
  srv: TestServer,
  conn: RawConn | null,
  raw: string,
  fail: (m: string) => Error,
): Promise<RawConn | null> {
  const connect = /^connect (smtp|submission|submission\+tls)(?: (\S+))?$/.exec(
    raw,
  );
  if (connect) {
    conn?.close();
    return await srv.dial(
      connect[1] as "smtp",
      connect[2] ? { servername: connect[2] } : {},
    );
  }
  const mail = /^mail (\S+) (\d+)$/.exec(raw);
  if (mail) {
    await srv.waitMail(mail[1]!, Number(mail[2]));
    return conn;
  }
  const m = /^c (->|=>|<-|<~|<\*|<\?|<!|bulk|tls|closed)(?: (.*))?$/.exec(raw);
  if (!m) throw fail(`bad directive: ${raw}`);
  if (!conn) throw fail("no connection: use connect first");
  const [, op, arg = ""] = m;
  switch (op) {
    case "->":
      conn.line(arg);
      break;
    case "=>":
      conn.send(unescape(arg));
      break;
    case "bulk":
      sendBulk(conn, Number(arg));
      break;
    case "<-":
    case "<~": {
      const got = await conn.readLine();
      if (got === null) throw fail(`connection closed, expected ${arg}`);
      if (op === "<-" ? got !== arg : !new RegExp(arg).test(got)) {
        throw fail(`got ${JSON.stringify(got)}, expected ${arg}`);
      }
      break;
    }
    case "<*":
    case "<?":
    case "<!":
      await expectReply(conn, op, new RegExp(arg), fail);
      break;
    case "tls":
      await conn.startTls(arg || "mx.a.test");
      break;
    case "closed": {
      const got = await conn.readLine();
      if (got !== null) {
        throw fail(`expected close, got ${JSON.stringify(got)}`);
      }
      break;
    }
  }
  return conn;
}

async function expectReply(
  conn: RawConn,
  op: string,
  re: RegExp,
  fail: (m: string) => Error,
): Promise<void> {
  let reply: string[];
  try {
    reply = await conn.reply();
  } catch (err) {
    throw fail((err as Error).message);
  }
  const ok = op === "<*"
    ? re.test(reply.at(-1)!)
    : op === "<?"
    ? reply.some((l) => re.test(l))
    : !reply.some((l) => re.test(l));
  if (!ok) {
    throw fail(
      `reply ${JSON.stringify(reply)} does not satisfy ${op} ${re.source}`,
    );
  }
}

function sendBulk(conn: RawConn, n: number): void {
  const line = "x".repeat(998) + "\r\n";
  let left = n;
  while (left >= line.length) {
    conn.send(line);
    left -= line.length;
  }
  if (left > 2) conn.send("y".repeat(left - 2) + "\r\n");
}
