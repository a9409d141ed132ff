/**
 * Our `Resolver` in the shape mailauth calls: `(name, rrtype) => records`,
 * rejecting with an error whose `code` is `ENOTFOUND` or `ENODATA` when
 * there is nothing (its SPF void-lookup counting and DKIM key errors
 * depend on those codes). TXT records come back as arrays of strings and MX
 * records as `{ exchange, priority }`, as `node:dns` gives them.
 *
 * @module
 */
import type { Resolver, RRType } from "../runtime/types.ts";

/** What mailauth calls to look names up. */
export type MailauthResolver = (
  name: string,
  rrtype: string,
) => Promise<unknown[]>;

const SUPPORTED = new Set<string>(["A", "AAAA", "MX", "TXT", "CNAME", "PTR"]);

/** An error shaped like the ones `node:dns` rejects with. */
function codedError(code: string, name: string, cause?: unknown): Error {
  const err = new Error(`DNS lookup of "${name}" failed: ${code}`, { cause });
  return Object.assign(err, { code, hostname: name });
}

/**
 * Adapts `resolver` for mailauth. An error without a `code` becomes
 * `ESERVFAIL` (a temporary failure); a record type we cannot ask for
 * becomes `ENODATA`.
 */
export function mailauthResolver(resolver: Resolver): MailauthResolver {
  return async function resolve(name, rrtype) {
    const type = rrtype.toUpperCase();
    if (!SUPPORTED.has(type)) throw codedError("ENODATA", name);
    try {
      return await resolver.resolve(name, type as RRType);
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (typeof code === "string" && code) throw err;
      throw codedError("ESERVFAIL", name, err);
    }
  };
}
