/**
 * The `DomaininfoClear` method (RPC-03, SL-06): `Domain` in, an empty
 * result out; the daemon sets both security levels of that domain back to
 * `PLAIN`. An unknown domain is an error, as in chasquid.
 *
 * @module
 */

import type { RpcHandler } from "./server.ts";

/** The method name, as chasquid-util calls it. */
export const DOMAININFO_CLEAR = "DomaininfoClear";

/**
 * The server side: clears `Domain` with `clear`, which throws for an
 * unknown domain (its message becomes the `500` text).
 */
export function domaininfoClearHandler(
  clear: (domain: string) => Promise<void>,
): RpcHandler {
  return async function domaininfoClear(query) {
    const domain = query.get("Domain") ?? "";
    if (domain === "" || /[\s@/]/.test(domain)) {
      throw new Error(`invalid domain "${domain}"`);
    }
    await clear(domain);
    return "";
  };
}
