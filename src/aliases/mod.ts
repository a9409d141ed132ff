/**
 * Aliases: the per-domain `aliases` files, the `alias-resolve` hook and the
 * rules that turn one local address into its final recipients
 * (BEHAVIOUR.md §13, N-07..N-10, K-06..K-08, R-03).
 *
 * ## The file
 *
 * Each local domain may have `<config>/domains/<dir>/aliases`, a text file
 * read line by line. Surrounding whitespace is trimmed; blank lines and
 * lines starting with `#` are ignored. Every other line is
 *
 * ```
 * user: right side
 * ```
 *
 * split at the first `:`. The left side is a user of the file's domain and
 * must not contain `@`. It is stored with the drop characters removed up to
 * the first suffix separator (the suffix itself is kept) and then
 * PRECIS-normalised, so `Juana.Perez+Fruta` and `juanaperez+fruta` are the
 * same alias. When a left side appears more than once, the last line wins.
 *
 * The right side is either a pipe or a list:
 *
 * - `| /path/cmd arg1 arg2`: a **pipe** recipient. The command line is
 *   split on whitespace when run, with no quoting, escaping or expansion
 *   (`pipeArgv`). The message goes to its stdin.
 * - Otherwise comma-separated items; empty items are skipped (`a: b,` is
 *   fine). An item is an **email** address, or `address via s1/s2` for a
 *   **forward** recipient, delivered through those servers, in order. An
 *   address without `@` gets the file's domain. Addresses are normalised
 *   (PRECIS user, Unicode domain).
 *
 * The left side `*` is the **catch-all**. A target whose user is `*` (for
 * instance `*: *@other.example`) stands for the user of the address being
 * resolved, copied as given (not cleaned).
 *
 * A malformed line stops the parse with an `AliasesFileError`
 * (`<file>:<line>: <reason>`): a line without `:`, an empty left or right
 * side, `@` in the left side, a pipe without a command, a forward without
 * an address, an empty server in a via list, or an address (left or right)
 * that cannot be normalised.
 *
 * ## Resolution
 *
 * An address in a domain that is not local is final: it is returned as it
 * is, for remote delivery. For a local address the lookup goes:
 *
 * 1. the alias of the address with drop characters removed before the
 *    first suffix separator, suffix kept (`ju.an+x` finds `juan+x`);
 * 2. the alias of the **cleaned** address: suffix cut at the first
 *    separator, drop characters removed (`ju.an+x` finds `juan`);
 * 3. the cleaned address, when it is a user: final;
 * 4. the catch-all `*` of the domain;
 * 5. otherwise the cleaned address is returned as final, and delivery
 *    fails there (so one bad target does not sink its siblings).
 *
 * Targets of an alias are resolved again: email targets recursively (which
 * is how an alias may point at another alias or at a remote address),
 * pipe and forward targets are final. Resolution goes at most
 * `RECURSION_LIMIT` (10) addresses deep; deeper, the whole resolution fails
 * with "recursion limit exceeded", which catches alias loops.
 *
 * ## The `alias-resolve` hook
 *
 * When `<config>/hooks/alias-resolve` exists, every lookup above (the exact
 * address, the cleaned one, `*@domain`) also runs it with the address as
 * its only argument: a clean environment (`hookEnv` plus `PWD`), the config
 * dir as cwd, a 5 second timeout. Its stdout is read as a right side (an
 * empty output means nothing) and its recipients are **appended** to the
 * file's. A non-zero exit, a timeout or unparsable output fails the
 * resolution; at RCPT time that is a temporary error, never "no such
 * user". Within one call to `resolve()`, `exists()` or `checkRecipient()`
 * each distinct address is asked once.
 *
 * ## RCPT checks
 *
 * `exists()` is true when steps 1 to 4 find something. `checkRecipient()`
 * adds chaski's R-03: an alias (or catch-all) whose every target is an
 * email address in a local domain that is neither a user nor an alias
 * answers `"unknown"` (a target that only finds the same alias again, such
 * as a catch-all's own missing target, counts as missing); any pipe,
 * forward, remote or hook-given target makes it `"ok"`.
 *
 * ## Reload
 *
 * `AliasResolver.load()` reads every domain's file and swaps the new
 * tables in whole. A missing file means no aliases; a broken one keeps
 * that domain's previous table and is reported in `errors` (start-up
 * treats those as fatal, a reload logs them and keeps going).
 *
 * @example
 * ```ts
 * const aliases = new AliasResolver({
 *   files, spawner, configDir: "/etc/chaski", dropChars: ".",
 *   suffixSeps: "+", userExists: (a) => users.exists(a),
 * });
 * const { errors } = await aliases.load([{ domain: "d.test", dir: "d.test" }]);
 * await aliases.resolve("juan+news@d.test");
 * ```
 *
 * @module
 */

export {
  AliasesFileError,
  aliasKey,
  AliasSyntaxError,
  type AliasTable,
  cleanAddress,
  formatRecipients,
  type KeyOptions,
  parseAliases,
  type ParseOptions,
  parseRightSide,
  pipeArgv,
  type Recipient,
  type RecipientType,
} from "./aliases_file.ts";
export {
  type AliasDomain,
  AliasResolveError,
  AliasResolver,
  type AliasResolverProps,
  type LoadResult,
  RECURSION_LIMIT,
} from "./resolver.ts";
