/**
 * Pure helpers for envelope addresses: split and join `user@domain`, and
 * domain membership. No project imports.
 *
 * @module
 */

/** Splits at the last `@`; `["user", ""]` when there is none. */
export function split(address: string): [user: string, domain: string] {
  const at = address.lastIndexOf("@");
  if (at < 0) return [address, ""];
  return [address.slice(0, at), address.slice(at + 1)];
}

/** The user part of an address. */
export function userOf(address: string): string {
  return split(address)[0];
}

/** The domain part of an address, `""` when there is none. */
export function domainOf(address: string): string {
  return split(address)[1];
}

/** Joins a user and a domain; a missing domain gives the user alone. */
export function join(user: string, domain: string): string {
  return domain === "" ? user : `${user}@${domain}`;
}

/**
 * True when the address's domain is in `domains`. An address without a
 * domain counts as local, as in chasquid; callers never pass the null
 * sender here.
 */
export function domainIn(
  address: string,
  domains: ReadonlySet<string>,
): boolean {
  const d = domainOf(address);
  return d === "" || domains.has(d);
}
