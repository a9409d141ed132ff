/**
 * Forwarding in the composition root. SRS (B-09): the keys from the database, the
 * sender rewrite the queue applies to forwards, and SRS bounces in front
 * of the aliases at RCPT and at enqueue.
 *
 * A recipient of a local domain whose local part is SRS-shaped is checked
 * with our keys: a valid one is accepted (there is no such user) and
 * expanded to the address it encodes, so the bounce goes to the original
 * sender (or, for SRS1, to the first forwarder); a bad or expired one is
 * unknown (`550 5.1.1`). Any other recipient goes to the aliases as before,
 * including old `+fwd_from=` addresses, which resolve by suffix removal.
 *
 * @module
 */

import type { Clock } from "./runtime/types.ts";
import type { Logger } from "./log/mod.ts";
import type { AliasResolver } from "./aliases/mod.ts";
import type { ExpandedRecipient } from "./queue/mod.ts";
import { domainOf } from "./envelope/mod.ts";
import { isSrs, loadSrsKeys, Srs, type SrsKeyStore } from "./srs/mod.ts";

/** Loads (at first start, makes) the SRS keys and builds the rewriter. */
export async function buildSrs(
  store: SrsKeyStore,
  clock: Clock,
): Promise<Srs> {
  const keys = await loadSrsKeys(store, { now: clock.now() });
  return new Srs({ keys, now: () => clock.now() });
}

/** What SRS routing needs from the server state. */
export interface SrsRoutingDeps {
  readonly srs: Srs;
  readonly aliases: () => AliasResolver;
  readonly isLocal: (domain: string) => boolean;
  readonly log: Logger;
}

/** The RCPT check and the queue's expansion, with SRS bounces first. */
export function srsRouting(deps: SrsRoutingDeps): {
  exists: (addr: string) => Promise<boolean>;
  expand: (rcpt: string) => Promise<readonly ExpandedRecipient[]>;
} {
  const ours = (a: string) => isSrs(a) && deps.isLocal(domainOf(a));
  return {
    async exists(addr) {
      if (!ours(addr)) {
        return (await deps.aliases().checkRecipient(addr)) === "ok";
      }
      const r = deps.srs.reverse(addr);
      if (!r.ok) {
        deps.log.info("SRS address refused", { addr, reason: r.reason });
      }
      return r.ok;
    },
    async expand(rcpt) {
      if (ours(rcpt)) {
        const r = deps.srs.reverse(rcpt);
        if (r.ok) return [{ type: "email", address: r.address, via: [] }];
      }
      return await deps.aliases().resolve(rcpt);
    },
  };
}
