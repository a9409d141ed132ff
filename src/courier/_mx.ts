/**
 * Where mail for a domain goes (CO-03): MX lookup with the implicit-MX
 * fallback, null MX, preference order with equal preferences shuffled, the
 * cap of five hosts, and host-to-address resolution.
 *
 * @module
 */

import { domainToAscii } from "../normalize/mod.ts";
import { DnsError, type MxRecord, type Resolver } from "../runtime/types.ts";
import { type DeliveryResult, permanent, temporary } from "./types.ts";

/** At most this many MX hosts are tried per delivery. */
export const MAX_MXS = 5;

/** The hosts to try, or the failure every recipient gets. */
export type MxLookup =
  | { readonly ok: true; readonly hosts: readonly string[] }
  | { readonly ok: false; readonly result: DeliveryResult };

/**
 * Looks up the mail servers of `domain`, best first. NXDOMAIN or a name
 * without MX records falls back to the domain itself; a null MX (RFC 7505)
 * is a permanent `5.1.10` failure; a temporary DNS error is temporary; any
 * other DNS error is a permanent "no mail server found".
 */
export async function lookupMxs(
  resolver: Resolver,
  domain: string,
  random: () => number,
): Promise<MxLookup> {
  let ascii: string;
  try {
    ascii = domainToAscii(domain);
  } catch (err) {
    return fail(permanent(`No mail server found for "${domain}"`, err));
  }
  let records: MxRecord[];
  try {
    records = await resolver.mx(ascii);
  } catch (err) {
    if (!(err instanceof DnsError)) {
      // Not an answer from DNS at all (e.g. a local failure): worth retrying.
      return fail(temporary(`MX lookup of "${ascii}" failed`, err));
    }
    if (err.code === "ENOTFOUND" || err.code === "ENODATA") {
      return { ok: true, hosts: [ascii] };
    }
    if (err.temporary) {
      return fail(
        temporary(`Temporary DNS error looking up MX of "${ascii}"`, err),
      );
    }
    return fail(permanent(`No mail server found for "${ascii}"`, err));
  }
  const real = records.filter((r) => !isNullMx(r));
  if (records.length > 0 && real.length === 0) {
    return fail(permanent(
      `556 5.1.10 Domain "${ascii}" does not accept mail (null MX)`,
    ));
  }
  // An empty answer without an error is "no mail server", with no fallback
  // to the domain itself (RFC 5321 §5.1).
  if (real.length === 0) {
    return fail(permanent(`No mail server found for "${ascii}"`));
  }
  return { ok: true, hosts: orderMxs(real, random).slice(0, MAX_MXS) };
}

function fail(result: DeliveryResult): MxLookup {
  return { ok: false, result };
}

function isNullMx(r: MxRecord): boolean {
  return r.exchange === "" || r.exchange === ".";
}

/**
 * Host names by preference, lowest first; hosts of equal preference are
 * shuffled (Fisher-Yates with `random`) to spread the load among them.
 */
export function orderMxs(
  records: readonly MxRecord[],
  random: () => number,
): string[] {
  const byPref = new Map<number, string[]>();
  for (const r of records) {
    const host = r.exchange.replace(/\.$/, "").toLowerCase();
    const group = byPref.get(r.priority) ?? [];
    group.push(host);
    byPref.set(r.priority, group);
  }
  const out: string[] = [];
  for (const pref of [...byPref.keys()].sort((a, b) => a - b)) {
    const group = byPref.get(pref)!;
    for (let i = group.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [group[i], group[j]] = [group[j]!, group[i]!];
    }
    out.push(...group);
  }
  return out;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** True for an IPv4 or IPv6 literal (optionally in brackets). */
export function isIpLiteral(host: string): boolean {
  return IPV4.test(host) || /^\[?[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\]?$/.test(host);
}

/**
 * The addresses of a mail host: IPv4 first, then IPv6. An IP literal is
 * its own address.
 * @throws {Error} when neither lookup gave an address.
 */
export async function resolveHost(
  resolver: Resolver,
  host: string,
): Promise<string[]> {
  if (isIpLiteral(host)) return [host.replace(/^\[|\]$/g, "")];
  const [a, aaaa] = await Promise.allSettled([
    resolver.a(host),
    resolver.aaaa(host),
  ]);
  const addrs = [
    ...(a.status === "fulfilled" ? a.value : []),
    ...(aaaa.status === "fulfilled" ? aaaa.value : []),
  ];
  if (addrs.length > 0) return addrs;
  const cause = a.status === "rejected"
    ? a.reason
    : aaaa.status === "rejected"
    ? aaaa.reason
    : undefined;
  throw new Error(`Could not resolve "${host}"`, { cause });
}
