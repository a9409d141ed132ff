/**
 * Command-line parsing: the verb and its argument, and the MAIL FROM / RCPT
 * TO arguments with their ESMTP parameters (S-13, S-15, S-17..S-19, S-25,
 * S-27, S-29). Limits that depend on the session (address length after
 * IDNA, recipient count, AUTH on submission) stay with the session.
 *
 * @module
 */

import { AddressError, parseAddress } from "./address.ts";
import { SmtpError } from "./errors.ts";

/** A command line split into its verb and argument. */
export interface Command {
  /** The verb, upper-cased: `MAIL`, `EHLO`, … */
  readonly verb: string;
  /** Everything after the first space, unchanged; `""` when none. */
  readonly arg: string;
}

/** The parsed argument of MAIL FROM or RCPT TO. */
export interface PathArg {
  /**
   * The address as Go's `mail.ParseAddress` returns it (`local@domain`,
   * local part unquoted), or `""` for the null sender `<>`.
   */
  readonly address: string;
  /** The address token as the client sent it, e.g. `<a@b>`. */
  readonly raw: string;
  /**
   * ESMTP parameters by upper-case keyword; the value is `""` for a
   * keyword without `=value` (e.g. `SMTPUTF8`).
   */
  readonly params: ReadonlyMap<string, string>;
}

/**
 * Splits a command line at its first space, as chasquid does: the verb is
 * upper-cased and the argument kept as sent.
 *
 * @example
 * ```ts
 * parseCommand("mail FROM:<a@b> SIZE=10"); // { verb: "MAIL", arg: "FROM:<a@b> SIZE=10" }
 * ```
 */
export function parseCommand(line: string): Command {
  const sp = line.indexOf(" ");
  if (sp < 0) return { verb: line.toUpperCase(), arg: "" };
  return { verb: line.slice(0, sp).toUpperCase(), arg: line.slice(sp + 1) };
}

/**
 * Parses the argument of `MAIL`: `FROM:` (any case), the sender token and
 * ESMTP parameters. `<>` is the null sender (`address: ""`).
 *
 * @throws {SmtpError} `500 5.5.2` without `FROM:`, `500 5.5.4` with nothing
 *   after it, `501 5.1.7` for an unparseable sender, `501 5.1.8` for one
 *   without a domain, `501 5.5.4` for malformed parameters.
 */
export function parseMailFrom(arg: string): PathArg {
  const { raw, rest } = splitPath(arg, "FROM:");
  if (raw.replaceAll(" ", "") === "<>") {
    return { address: "", raw, params: parseParams(rest) };
  }
  const address = tryParse(raw, 501, "5.1.7", "Malformed sender address");
  if (!address.includes("@")) {
    throw new SmtpError(501, "5.1.8", "Sender address needs a domain");
  }
  return { address, raw, params: parseParams(rest) };
}

/**
 * Parses the argument of `RCPT`: `TO:` (any case), the recipient token and
 * ESMTP parameters. The null address is not a recipient.
 *
 * @throws {SmtpError} `500 5.5.2` without `TO:`, `500 5.5.4` with nothing
 *   after it, `501 5.1.3` for an unparseable recipient (`<>` included),
 *   `501 5.5.4` for malformed parameters.
 */
export function parseRcptTo(arg: string): PathArg {
  const { raw, rest } = splitPath(arg, "TO:");
  const address = tryParse(raw, 501, "5.1.3", "Malformed recipient address");
  if (!address.includes("@")) {
    throw new SmtpError(501, "5.1.3", "Malformed recipient address");
  }
  return { address, raw, params: parseParams(rest) };
}

/**
 * Checks the `FROM:`/`TO:` keyword and takes the first whitespace-separated
 * token after it (leading spaces allowed, as Go's `Sscanf("%s")` does).
 */
function splitPath(
  arg: string,
  keyword: string,
): { raw: string; rest: string } {
  if (arg.slice(0, keyword.length).toUpperCase() !== keyword) {
    throw new SmtpError(500, "5.5.2", `Syntax error: ${keyword} expected`);
  }
  const tokens = arg.slice(keyword.length).split(/[ \t]+/).filter((t) =>
    t !== ""
  );
  const raw = tokens.shift();
  if (raw === undefined) {
    throw new SmtpError(500, "5.5.4", "Malformed command: address expected");
  }
  return { raw, rest: tokens.join(" ") };
}

function tryParse(
  raw: string,
  code: number,
  enhanced: string,
  text: string,
): string {
  try {
    const address = parseAddress(raw);
    if (address === "") throw new AddressError("mail: empty address");
    return address;
  } catch (e) {
    if (e instanceof AddressError) {
      throw new SmtpError(code, enhanced, text, { cause: e });
    }
    throw e;
  }
}

const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
// RFC 5321 esmtp-value (no "=", no controls, no space), widened to UTF-8
// as RFC 6531 does.
const VALUE = /^[\x21-\x3c\x3e-\x7e\u0080-\u{10ffff}]+$/u;

/**
 * Parses space-separated `KEYWORD[=VALUE]` parameters. Unknown keywords are
 * returned too; the session decides what to ignore (S-05).
 *
 * @throws {SmtpError} `501 5.5.4` for a malformed or repeated parameter.
 */
export function parseParams(s: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const tok of s.split(/[ \t]+/)) {
    if (tok === "") continue;
    const eq = tok.indexOf("=");
    const key = (eq < 0 ? tok : tok.slice(0, eq)).toUpperCase();
    const value = eq < 0 ? "" : tok.slice(eq + 1);
    if (!KEYWORD.test(key) || (eq >= 0 && !VALUE.test(value))) {
      throw new SmtpError(501, "5.5.4", "Malformed parameter", {
        cause: new Error(`bad parameter "${tok}"`),
      });
    }
    if (params.has(key)) {
      throw new SmtpError(501, "5.5.4", "Duplicate parameter", {
        cause: new Error(`repeated parameter "${key}"`),
      });
    }
    params.set(key, value);
  }
  return params;
}
