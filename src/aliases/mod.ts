/**
 * Aliases (BEHAVIOUR.md §13). For now only the address cleaning that the
 * user lookup shares with alias resolution: drop characters and suffixes
 * (N-07, N-08). The aliases file, hooks and resolution come with issue #3.
 *
 * @module
 */

import { join, split } from "../envelope/mod.ts";
import { removeDropChars, removeSuffix } from "../normalize/mod.ts";

/**
 * Removes the suffix (from the first occurrence of each separator) and then
 * the drop characters from the user part, as the user lookup does (N-09).
 * @example cleanAddress("Juan.Perez+news@d", ".", "+") === "JuanPerez@d"
 */
export function cleanAddress(
  address: string,
  dropChars: string,
  suffixSeps: string,
): string {
  const [user, domain] = split(address);
  return join(
    removeDropChars(removeSuffix(user, suffixSeps), dropChars, suffixSeps),
    domain,
  );
}
