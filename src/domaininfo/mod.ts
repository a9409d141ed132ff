/**
 * Per-domain security levels (SL-01..SL-07): the TLS a domain has shown it
 * can do, so that a later connection with less is refused rather than
 * trusted. chasquid's `internal/domaininfo`.
 *
 * **Levels** (SL-01): `PLAIN=0 < TLS_CLIENT=1 < TLS_INSECURE=2 <
 * TLS_SECURE=3`. Each domain has an incoming level (`PLAIN` or
 * `TLS_CLIENT`: did its servers reach us over TLS) and an outgoing level
 * (`PLAIN`, `TLS_INSECURE` or `TLS_SECURE`: how well did its MXs do TLS).
 *
 * **Checks.** `incomingCheck(domain, level)` and `outgoingCheck(domain,
 * level)` compare a connection's level with the recorded one: lower fails
 * (`false`); equal passes; higher passes and is recorded. An unknown domain
 * starts at `PLAIN`, so its first check passes and creates its record
 * (SL-02). Levels never go down except through `clear()`.
 *
 * - Inbound (SL-02): the SMTP session checks the MAIL FROM domain only when
 *   SPF gave `pass` (spoofers must not raise a level), with `PLAIN` or
 *   `TLS_CLIENT`; a failure is `550 5.7.3` (S-22). When it does not check,
 *   it calls `incomingSkipped()` for the metric.
 * - Outbound (SL-03): the SMTP courier checks each recipient domain after
 *   EHLO/STARTTLS with an MX; a failure is a temporary error
 *   `security level check failed (level:<L>)` and the next MX is tried.
 *
 * **Manual override** (SL-06): `clear(domain)` sets both levels of a known
 * domain to `PLAIN`, keeping the record (`chaski domaininfo remove`, RPC
 * `DomaininfoClear`); an unknown domain is an error.
 *
 * **Storage** (SL-05, chaski differs): records are rows of the
 * `domaininfo` table, shared by every instance on one database. There is no
 * cache: each check reads the row, and raising is one statement that cannot
 * lower a level, so instances never downgrade each other and SIGHUP has
 * nothing to drop.
 *
 * **Metrics** (SL-07): `chasquid/smtpIn/securityLevelChecks{result=pass|fail|skip}`
 * and `chasquid/smtpOut/securityLevelChecks{result=pass|fail}`.
 *
 * Domain names are compared in lower case; callers pass normalised
 * (IDNA) domains.
 *
 * @module
 */

import type { Clock } from "../runtime/types.ts";
import type { Logger } from "../log/mod.ts";
import { type Counter, MetricsRegistry } from "../monitoring/mod.ts";
import {
  type Direction,
  type DomainInfoStore,
  type DomainRecord,
  levelName,
  SecLevel,
} from "./types.ts";

export {
  type Direction,
  type DomainInfoStore,
  type DomainRecord,
  levelName,
  SecLevel,
} from "./types.ts";
export { KyselyDomainInfoStore } from "./domaininfo_store.ts";

/** SL-07: the checks' counters, declared against the registry given. */
function declareMetrics(
  registry: MetricsRegistry,
): Record<Direction, Counter> {
  return {
    incoming: registry.counter(
      "chasquid/smtpIn/securityLevelChecks",
      "incoming security level check results",
      "result",
    ),
    outgoing: registry.counter(
      "chasquid/smtpOut/securityLevelChecks",
      "outgoing security level check results",
      "result",
    ),
  };
}

/** What `DomainInfo` needs. */
export interface DomainInfoProps {
  readonly store: DomainInfoStore;
  readonly clock: Clock;
  readonly log?: Logger;
  /** Where SL-07's counters go. @default a private registry */
  readonly metrics?: MetricsRegistry;
}

/** Thrown by `clear()` for a domain without a record. */
export class UnknownDomainError extends Error {
  readonly domain: string;
  constructor(domain: string) {
    super(`unknown domain "${domain}"`);
    this.name = "UnknownDomainError";
    this.domain = domain;
  }
}

/**
 * Security levels per domain.
 *
 * @example
 * ```ts
 * const dinfo = new DomainInfo({ store: new KyselyDomainInfoStore(db), clock });
 * if (!(await dinfo.outgoingCheck("b.test", SecLevel.PLAIN))) {
 *   // b.test did TLS before: do not deliver in plain text.
 * }
 * ```
 */
export class DomainInfo {
  readonly #p: DomainInfoProps;
  readonly #m: Record<Direction, Counter>;

  constructor(props: DomainInfoProps) {
    this.#p = props;
    this.#m = declareMetrics(props.metrics ?? new MetricsRegistry());
  }

  /** SL-02: may mail from `domain` arrive at `level` (`PLAIN` or `TLS_CLIENT`)? */
  incomingCheck(domain: string, level: SecLevel): Promise<boolean> {
    return this.#check("incoming", domain, level);
  }

  /** SL-07: counts an inbound connection that was not checked (SPF not `pass`). */
  incomingSkipped(): void {
    this.#m.incoming.inc("skip");
  }

  /** SL-03: may mail to `domain` go over a connection at `level`? */
  outgoingCheck(domain: string, level: SecLevel): Promise<boolean> {
    return this.#check("outgoing", domain, level);
  }

  /** Every record, by domain. */
  list(): Promise<DomainRecord[]> {
    return this.#p.store.list();
  }

  /** The record of one domain, `null` when unknown. */
  get(domain: string): Promise<DomainRecord | null> {
    return this.#p.store.get(domain.toLowerCase());
  }

  /**
   * SL-06: sets both levels of `domain` back to `PLAIN`, keeping the record.
   * @throws {UnknownDomainError} when the domain has no record.
   */
  async clear(domain: string): Promise<void> {
    const d = domain.toLowerCase();
    if (!(await this.#p.store.clear(d, this.#p.clock.now()))) {
      throw new UnknownDomainError(domain);
    }
    this.#p.log?.info("security levels cleared", { domain: d });
  }

  async #check(
    direction: Direction,
    domain: string,
    level: SecLevel,
  ): Promise<boolean> {
    const d = domain.toLowerCase();
    const rec = await this.#p.store.get(d);
    const current = rec?.[direction] ?? SecLevel.PLAIN;
    if (level < current) {
      this.#m[direction].inc("fail");
      this.#p.log?.info("security level check failed", {
        domain: d,
        direction,
        level: levelName(level),
        recorded: levelName(current),
      });
      return false;
    }
    if (rec === null || level > current) {
      await this.#p.store.raise(d, {
        direction,
        level,
        now: this.#p.clock.now(),
      });
      this.#p.log?.debug("security level raised", {
        domain: d,
        direction,
        level: levelName(level),
      });
    }
    this.#m[direction].inc("pass");
    return true;
  }
}
