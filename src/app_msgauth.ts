/**
 * The session's `MessageAuth` (#4) over `src/msgauth`: SPF with our
 * resolver and hostname, DKIM signing with the keys of `domains/<d>/dkim:*.pem`
 * (loaded at start, where a bad key is fatal, and on reload, where a bad
 * key keeps the previous set), DKIM verification, DMARC and the
 * Authentication-Results header.
 *
 * @module
 */

import type { Runtime } from "./runtime/types.ts";
import type { Config } from "./config/mod.ts";
import type { Logger } from "./log/mod.ts";
import {
  authResultsHeader,
  checkDmarc,
  checkSpf,
  type DkimKey,
  fromDomain,
  loadDkimKeys,
  signMessage,
  verifyMessage,
} from "./msgauth/mod.ts";
import type { MessageAuth } from "./smtpsrv/types.ts";

/** DKIM keys by normalised domain, swapped whole on reload. */
export class DkimKeys {
  #keys = new Map<string, DkimKey[]>();

  /** Keys of a domain; empty when it has none. */
  get(domain: string): readonly DkimKey[] {
    return this.#keys.get(domain) ?? [];
  }

  /** Number of keys in all, for the start-up log. */
  get size(): number {
    let n = 0;
    for (const k of this.#keys.values()) n += k.length;
    return n;
  }

  /**
   * Loads the keys of every domain directory (`domainDirs`: domain → dir).
   * @throws {Error} naming the first bad key file; the old keys stay.
   */
  async load(
    rt: Runtime,
    configDir: string,
    domainDirs: Readonly<Record<string, string>>,
  ): Promise<void> {
    const byDir = await loadDkimKeys(
      rt.files,
      configDir,
      Object.values(domainDirs),
    );
    const next = new Map<string, DkimKey[]>();
    for (const [domain, dir] of Object.entries(domainDirs)) {
      const keys = byDir.get(dir);
      if (keys) next.set(domain, keys);
    }
    this.#keys = next;
  }
}

/** Builds the session's mail authentication. */
export function buildMessageAuth(
  rt: Runtime,
  config: Config,
  keys: DkimKeys,
  log: Logger,
): MessageAuth {
  const resolver = rt.resolver({ server: config.dns_server });
  const now = () => new Date(rt.clock.now());
  return {
    dmarcEnforce: config.dmarc_enforce,
    spf: (ip, sender, helo) =>
      checkSpf({ ip, sender, helo, mta: config.hostname, resolver }),
    sign(message, domain) {
      const k = keys.get(domain);
      return k.length === 0
        ? message
        : signMessage({ message, domain, keys: k, now: now() });
    },
    async verify(message, spf, hostname) {
      const { results } = await verifyMessage({
        message,
        resolver,
        now: now(),
      });
      const from = fromDomain(message);
      let dmarc = null;
      try {
        dmarc = from
          ? await checkDmarc({
            from,
            ...(spf ? { spf } : {}),
            dkim: results,
            resolver,
          })
          : null;
      } catch (err) {
        log.warn("DMARC evaluation failed", { from, error: err });
      }
      return {
        authResults: authResultsHeader({
          hostname,
          ...(spf ? { spf } : {}),
          dkim: results,
          ...(dmarc && dmarc.result !== "none" ? { dmarc } : {}),
        }),
        dmarcResult: dmarc?.result ?? null,
        dmarcReject: dmarc?.result === "fail" && dmarc.policy === "reject",
        dkimFound: results.length,
        dkimValid: results.filter((r) => r.result === "pass").length,
      };
    },
  };
}
