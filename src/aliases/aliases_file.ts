/**
 * The parser of `domains/<d>/aliases` files and of alias right sides (the
 * same grammar the `alias-resolve` hook prints). See `mod.ts` for the
 * format.
 *
 * @module
 */

import { join, split } from "../envelope/mod.ts";
import {
  addr as normalizeAddr,
  removeDropChars,
  removeSuffix,
  user as normalizeUser,
} from "../normalize/mod.ts";

/** How a resolved recipient is delivered. */
export type RecipientType = "email" | "pipe" | "forward";

/** One target of an alias, or one final recipient after resolution. */
export interface Recipient {
  /**
   * `email`: an address (local or remote); `pipe`: a command line fed the
   * message; `forward`: an address delivered through the `via` servers.
   */
  readonly type: RecipientType;
  /** The address, or the command line of a pipe alias. */
  readonly address: string;
  /** Servers to deliver through, in order; empty unless `forward`. */
  readonly via: readonly string[];
}

/** Aliases of one domain: lookup key (`user@domain`) → targets. */
export type AliasTable = ReadonlyMap<string, readonly Recipient[]>;

/**
 * A malformed aliases file. The message is `<file>:<line>: <reason>`;
 * `reason` holds the part after the line number.
 */
export class AliasesFileError extends SyntaxError {
  /** Path of the file, as given to the parser. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** What is wrong, without the location. */
  readonly reason: string;
  constructor(
    file: string,
    line: number,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`${file}:${line}: ${reason}`, options);
    this.name = "AliasesFileError";
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/**
 * A malformed alias line or right side, without a location. The file
 * parser turns it into an `AliasesFileError`; the resolver reports it as a
 * hook failure.
 */
export class AliasSyntaxError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AliasSyntaxError";
  }
}

/** How user parts are cleaned before they become lookup keys. */
export interface KeyOptions {
  /** Characters ignored in the user part before the first suffix separator. @default "" */
  readonly dropChars?: string;
  /** Characters that start a suffix. @default "" */
  readonly suffixSeps?: string;
}

/** Options for `parseAliases`. */
export interface ParseOptions extends KeyOptions {
  /** The file's domain, normalised: added to targets without `@`, and to left sides. */
  readonly domain: string;
  /** Path used in error messages. @default "aliases" */
  readonly file?: string;
}

/**
 * The key an address is stored and looked up under: drop characters removed
 * from the user part up to the first suffix separator (the suffix is kept),
 * then the user PRECIS-normalised (N-07, N-10). A user that cannot be
 * normalised is kept as it is, so a lookup simply misses.
 * @example aliasKey("Juana.Perez+Fruta@d", { dropChars: ".", suffixSeps: "+" }) === "juanaperez+fruta@d"
 */
export function aliasKey(address: string, opts: KeyOptions = {}): string {
  const [u, d] = split(address);
  const dropped = removeDropChars(
    u,
    opts.dropChars ?? "",
    opts.suffixSeps ?? "",
  );
  try {
    return join(normalizeUser(dropped), d);
  } catch {
    return join(dropped, d);
  }
}

/**
 * Removes the suffix (from the first occurrence of each separator) and then
 * the drop characters from the user part, as the user lookup does (N-09).
 * The user is not normalised.
 * @example cleanAddress("Juan.Perez+news@d", ".", "+") === "JuanPerez@d"
 */
export function cleanAddress(
  address: string,
  dropChars: string,
  suffixSeps: string,
): string {
  const [u, d] = split(address);
  return join(
    removeDropChars(removeSuffix(u, suffixSeps), dropChars, suffixSeps),
    d,
  );
}

/**
 * Parses an aliases file into its table. A left side given more than once
 * keeps its last right side (AL-04).
 * @throws {AliasesFileError} on the first malformed line (AL-02).
 */
export function parseAliases(
  text: string,
  opts: ParseOptions,
): Map<string, Recipient[]> {
  const file = opts.file ?? "aliases";
  const table = new Map<string, Recipient[]>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (line === "" || line.startsWith("#")) continue;
    try {
      const [key, targets] = parseLine(line, opts);
      table.set(key, targets);
    } catch (e) {
      if (!(e instanceof AliasSyntaxError)) throw e;
      throw new AliasesFileError(file, i + 1, e.message, { cause: e });
    }
  }
  return table;
}

/** One non-blank, non-comment line. */
function parseLine(line: string, opts: ParseOptions): [string, Recipient[]] {
  const colon = line.indexOf(":");
  if (colon < 0) {
    throw new AliasSyntaxError('missing ":" between alias and targets');
  }
  const left = line.slice(0, colon).trim();
  const right = line.slice(colon + 1).trim();
  if (left === "" || right === "") {
    throw new AliasSyntaxError("alias or targets missing");
  }
  if (left.includes("@")) {
    throw new AliasSyntaxError(`alias "${left}" must not contain "@"`);
  }
  const dropped = removeDropChars(
    left,
    opts.dropChars ?? "",
    opts.suffixSeps ?? "",
  );
  let key: string;
  try {
    key = join(normalizeUser(dropped), opts.domain);
  } catch (e) {
    throw new AliasSyntaxError(`alias "${left}" cannot be normalised`, {
      cause: e,
    });
  }
  return [key, parseRightSide(right, opts.domain)];
}

/**
 * Parses a right side: `| command args`, or comma-separated items that are
 * addresses (`user` gets `@domain`) or `address via s1/s2`. Empty items and
 * an empty right side give no recipients.
 * @throws {AliasSyntaxError} when the right side is malformed.
 * @example parseRightSide("a, b@x via mx1/mx2", "d")
 */
export function parseRightSide(right: string, domain: string): Recipient[] {
  const rhs = right.trim();
  if (rhs.startsWith("|")) {
    const command = rhs.slice(1).trim();
    if (command === "") {
      throw new AliasSyntaxError("pipe alias without a command");
    }
    return [{ type: "pipe", address: command, via: [] }];
  }
  const out: Recipient[] = [];
  for (const raw of rhs.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    out.push(parseItem(item, domain));
  }
  return out;
}

function parseItem(item: string, domain: string): Recipient {
  let address = item;
  let via: string[] = [];
  // Searching with a leading space also catches "via s1" with no address.
  const at = ` ${item}`.indexOf(" via ");
  if (at >= 0) {
    address = item.slice(0, Math.max(at - 1, 0)).trim();
    if (address === "") {
      throw new AliasSyntaxError(`forwarding alias "${item}" has no address`);
    }
    via = item.slice(at + "via ".length).split("/").map((s) => s.trim());
    if (via.includes("")) {
      throw new AliasSyntaxError(`empty server in the via list of "${item}"`);
    }
  }
  if (!address.includes("@")) address = `${address}@${domain}`;
  try {
    address = normalizeAddr(address);
  } catch (e) {
    throw new AliasSyntaxError(`address "${address}" cannot be normalised`, {
      cause: e,
    });
  }
  return { type: at >= 0 ? "forward" : "email", address, via };
}

/**
 * The argument vector of a pipe alias: its command line split on whitespace,
 * with no quoting or expansion (AL-05).
 * @example pipeArgv("/usr/bin/cmd  -a b") // ["/usr/bin/cmd", "-a", "b"]
 */
export function pipeArgv(command: string): string[] {
  return command.trim().split(/\s+/).filter((s) => s !== "");
}

/**
 * The `aliases-resolve` listing (AL-12): one `(type)  address` line per
 * recipient, sorted by type (stable). Via servers are shown as
 * `(forward)  a@b via s1/s2` only with `opts.via` (chasquid never shows them).
 * @example formatRecipients([{ type: "pipe", address: "cmd", via: [] }]) === "(pipe)  cmd\n"
 */
export function formatRecipients(
  rcpts: readonly Recipient[],
  opts: { readonly via?: boolean } = {},
): string {
  return [...rcpts]
    .sort((a, b) => a.type < b.type ? -1 : a.type > b.type ? 1 : 0)
    .map((r) => {
      const via = opts.via && r.via.length > 0 ? ` via ${r.via.join("/")}` : "";
      return `(${r.type})  ${r.address}${via}\n`;
    })
    .join("");
}
