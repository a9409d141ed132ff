/**
 * MTA-STS (RFC 8461) for outbound delivery: discovery, fetch, validation and
 * a policy cache in the database (ST-01..ST-06).
 *
 * Discovery: a TXT record at `_mta-sts.<domain>` starting `v=STSv1;` says
 * the domain has a policy; its `id=` is ignored, as chasquid does, so a
 * policy is fetched again only when the cached one expired or the background
 * refresh runs. Fetch: `GET https://mta-sts.<domain>/.well-known/mta-sts.txt`
 * (see `_https.ts`: no redirects, HTTP 200, `text/plain`, at most 10 KiB, a
 * certificate that verifies; 1 min). Validation: `policy.ts` (ST-02).
 *
 * Cache (ST-04): one row per policy domain in `sts_cache`, expiring
 * `max_age` seconds after the fetch. `policyFor()` answers from an
 * unexpired row; otherwise it fetches, stores and returns the new policy, or
 * returns `null` when the fetch fails (fail-open: without a usable policy the
 * delivery goes on without MTA-STS). The background refresh (`start()`)
 * fetches every cached domain again every 10 min with 30 s each; a failure
 * there keeps the cached policy until it expires.
 *
 * Not implemented (ST-05): TLS-RPT, publishing our own policy; a lease so
 * that only one of several instances sharing a database refreshes.
 *
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type { Clock, Net, Resolver, Timer } from "../runtime/types.ts";
import { type Counter, MetricsRegistry } from "../monitoring/mod.ts";
import { httpsGetText, StsFetchError } from "./_https.ts";
import { parsePolicy, type Policy, validatePolicy } from "./policy.ts";
import type { StsStore } from "./sts_store.ts";

export {
  matchesMx,
  MAX_MAX_AGE,
  parsePolicy,
  type Policy,
  type StsMode,
  StsPolicyError,
  validatePolicy,
} from "./policy.ts";
export { StsFetchError } from "./_https.ts";
export {
  KyselyStsStore,
  type StsCacheEntry,
  type StsStore,
} from "./sts_store.ts";

/** Largest policy body accepted (ST-01). */
export const MAX_POLICY_BYTES = 10 * 1024;
/** Fetch time limit for deliveries (ST-03). */
export const FETCH_TIMEOUT_MS = 60_000;
/** Background refresh period and per-domain time limit (ST-04). */
export const REFRESH_INTERVAL_MS = 10 * 60_000;
export const REFRESH_TIMEOUT_MS = 30_000;

const POLICY_PATH = "/.well-known/mta-sts.txt";

/** ST-06: the cache's counters under `chasquid/sts/cache/`, with their help. */
const METRICS = {
  fetches: "count of policy fetches through the cache",
  hits: "count of policies answered from the cache",
  expired: "count of cached policies found expired",
  ioErrors: "count of cache storage errors",
  failedFetch: "count of failed policy fetches",
  invalid: "count of fetched policies that were not valid",
  marshalErrors: "count of errors storing a policy",
  unmarshalErrors: "count of unreadable cached policies",
  refreshCycles: "count of background refresh cycles",
  refreshes: "count of policies refreshed in the background",
  refreshErrors: "count of background refresh failures",
} as const;

type Metrics = Record<keyof typeof METRICS, Counter>;

function declareMetrics(r: MetricsRegistry): Metrics {
  const out: Partial<Metrics> = {};
  for (const [name, help] of Object.entries(METRICS)) {
    out[name as keyof Metrics] = r.counter(`chasquid/sts/cache/${name}`, help);
  }
  return out as Metrics;
}

/** What the cache needs. */
export interface StsCacheProps {
  readonly resolver: Resolver;
  readonly net: Net;
  readonly store: StsStore;
  readonly clock: Clock;
  readonly log?: Logger;
  /** Where ST-06's counters go. @default a private registry */
  readonly metrics?: MetricsRegistry;
  /** Port of the policy host, for tests. @default 443 */
  readonly httpsPort?: number;
  /** Trusted CA (PEM) instead of the system roots, for tests. @default system roots */
  readonly tlsCa?: string;
  /** Time limit of a fetch for a delivery. @default 60000 */
  readonly fetchTimeoutMs?: number;
  /** Time limit of a background fetch. @default 30000 */
  readonly refreshTimeoutMs?: number;
  /** Period of the background refresh. @default 600000 */
  readonly refreshIntervalMs?: number;
}

/** What the SMTP courier asks of MTA-STS. */
export interface StsPolicySource {
  /** The policy of `domain` (lower-case ASCII), or `null` when it has none. */
  policyFor(domain: string): Promise<Policy | null>;
}

/**
 * The MTA-STS policy cache.
 *
 * @example
 * ```ts
 * const sts = new StsCache({ resolver, net, clock, store: new KyselyStsStore(db) });
 * sts.start();
 * const policy = await sts.policyFor("b.test"); // null: no MTA-STS
 * await sts.stop();
 * ```
 */
export class StsCache implements StsPolicySource {
  readonly #p: StsCacheProps;
  readonly #m: Metrics;
  #timer: Timer | null = null;
  #cycle: Promise<void> | null = null;

  constructor(props: StsCacheProps) {
    this.#p = props;
    this.#m = declareMetrics(props.metrics ?? new MetricsRegistry());
  }

  /** The usable policy of `domain`: cached, freshly fetched, or `null`. */
  async policyFor(domain: string): Promise<Policy | null> {
    const d = domain.toLowerCase().replace(/\.$/, "");
    const cached = await this.#cached(d);
    if (cached && cached.expiresAt > this.#p.clock.now()) {
      this.#m.hits.inc();
      return cached.policy;
    }
    if (cached) this.#m.expired.inc();
    this.#m.fetches.inc();
    try {
      return await this.#fetchAndStore(d, this.#p.fetchTimeoutMs);
    } catch (err) {
      this.#m.failedFetch.inc();
      this.#p.log?.debug("MTA-STS policy not available", {
        domain: d,
        error: err,
      });
      return null;
    }
  }

  /**
   * Fetches every cached domain's policy again (ST-04). A failure keeps the
   * cached policy; it is counted and logged, never thrown.
   */
  async refreshAll(): Promise<void> {
    this.#m.refreshCycles.inc();
    let domains: string[];
    try {
      domains = await this.#p.store.domains();
    } catch (err) {
      this.#m.ioErrors.inc();
      this.#p.log?.error("MTA-STS cache not readable", { error: err });
      return;
    }
    for (const d of domains) {
      this.#m.refreshes.inc();
      try {
        await this.#fetchAndStore(
          d,
          this.#p.refreshTimeoutMs ?? REFRESH_TIMEOUT_MS,
        );
      } catch (err) {
        this.#m.refreshErrors.inc();
        this.#p.log?.info("MTA-STS refresh failed", { domain: d, error: err });
      }
    }
  }

  /** Starts the background refresh; the first cycle runs one period from now. */
  start(): void {
    if (this.#timer) return;
    const period = this.#p.refreshIntervalMs ?? REFRESH_INTERVAL_MS;
    const tick = () => {
      this.#cycle = this.refreshAll().finally(() => {
        this.#cycle = null;
        this.#timer?.reset(period);
      });
    };
    this.#timer = this.#p.clock.setTimer(period, tick);
  }

  /** Stops the background refresh and waits for a running cycle. */
  async stop(): Promise<void> {
    const t = this.#timer;
    this.#timer = null;
    t?.cancel();
    await this.#cycle;
  }

  async #cached(
    d: string,
  ): Promise<{ policy: Policy; expiresAt: number } | null> {
    let entry;
    try {
      entry = await this.#p.store.get(d);
    } catch (err) {
      this.#m.ioErrors.inc();
      this.#p.log?.error("MTA-STS cache not readable", { error: err });
      return null;
    }
    if (!entry) return null;
    try {
      const j = JSON.parse(entry.policy);
      const policy = validatePolicy({ ...j, maxAge: j.max_age });
      return { policy, expiresAt: entry.expiresAt };
    } catch (err) {
      this.#m.unmarshalErrors.inc();
      this.#p.log?.warn("MTA-STS cached policy not readable", {
        domain: d,
        error: err,
      });
      return null;
    }
  }

  async #fetchAndStore(d: string, timeoutMs?: number): Promise<Policy> {
    const p = this.#p;
    const policy = await this.#fetch(d, timeoutMs ?? FETCH_TIMEOUT_MS);
    const now = p.clock.now();
    const json = JSON.stringify({
      version: policy.version,
      mode: policy.mode,
      mx: policy.mx,
      max_age: policy.maxAge,
    });
    try {
      await p.store.put({
        domain: d,
        policy: json,
        fetchedAt: now,
        expiresAt: now + policy.maxAge * 1000,
      });
    } catch (err) {
      // The policy is good; only caching it failed.
      this.#m.marshalErrors.inc();
      p.log?.error("MTA-STS policy not cached", { domain: d, error: err });
    }
    return policy;
  }

  async #fetch(d: string, timeoutMs: number): Promise<Policy> {
    const p = this.#p;
    if (!await hasStsRecord(p.resolver, d)) {
      throw new StsFetchError(`No MTA-STS TXT record for "${d}"`);
    }
    const text = await httpsGetText({
      net: p.net,
      resolver: p.resolver,
      clock: p.clock,
      host: `mta-sts.${d}`,
      port: p.httpsPort ?? 443,
      path: POLICY_PATH,
      ca: p.tlsCa,
      timeoutMs,
      maxBody: MAX_POLICY_BYTES,
    });
    try {
      return parsePolicy(text);
    } catch (err) {
      this.#m.invalid.inc();
      throw err;
    }
  }
}

/** ST-01: some TXT record at `_mta-sts.<domain>` starts with `v=STSv1;`. */
async function hasStsRecord(resolver: Resolver, d: string): Promise<boolean> {
  let records: string[][];
  try {
    records = await resolver.txt(`_mta-sts.${d}`);
  } catch {
    return false;
  }
  return records.some((r) => r.join("").startsWith("v=STSv1;"));
}
