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
 * ARC (B-08): the queue seals, at delivery time, what an alias sends to
 * remote addresses, with the first RSA `dkim:*.pem` key of the alias's
 * domain; a domain without one forwards unsealed, logged.
 *
 * @module
 */

import type { Clock, Resolver } from "./runtime/types.ts";
import type { DkimKeys } from "./app_msgauth.ts";
import type { ForwardSealer } from "./queue/mod.ts";
import { sealArc } from "./msgauth/mod.ts";
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

/** What the ARC sealer needs. */
export interface ArcSealerDeps {
  readonly resolver: Resolver;
  /** The domains' DKIM keys, as currently loaded. */
  readonly dkim: () => DkimKeys;
  /** Our hostname, the authserv-id of ARC-Authentication-Results. */
  readonly hostname: string;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The queue's `sealForward`: never throws, logs why it did not seal. */
export function buildArcSealer(deps: ArcSealerDeps): ForwardSealer {
  return async (data, aliasDomain) => {
    const key = deps.dkim().get(aliasDomain)
      .find((k) => k.algorithm === "rsa-sha256");
    if (!key) {
      deps.log.info("forward not ARC-sealed: no RSA DKIM key", {
        domain: aliasDomain,
      });
      return data;
    }
    try {
      const r = await sealArc(data, {
        resolver: deps.resolver,
        signingDomain: aliasDomain,
        selector: key.selector,
        privateKey: key.key,
        authservId: deps.hostname,
        now: new Date(deps.clock.now()),
      });
      if (!r.sealed) {
        deps.log.info("forward not ARC-sealed", {
          domain: aliasDomain,
          reason: r.error,
        });
      }
      return r.message;
    } catch (err) {
      deps.log.error("ARC sealing failed, forwarding unsealed", {
        domain: aliasDomain,
        error: err,
      });
      return data;
    }
  };
}
