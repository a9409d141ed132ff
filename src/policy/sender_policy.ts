/**
 * `SenderPolicy`: which addresses an authenticated user may send as, and
 * how strictly that is applied (B-02). See `mod.ts` for the rules.
 *
 * @module
 */

import * as normalize from "../normalize/mod.ts";
import { domainOf, split } from "../envelope/mod.ts";
import { type Counter, MetricsRegistry } from "../monitoring/mod.ts";

/** `sender_policy`: off, report (log and count) or enforce (reject). */
export type PolicyMode = "off" | "report" | "enforce";

/** An alias target as the resolver returns it. */
export interface PolicyTarget {
  readonly type: string;
  readonly address: string;
}

/** What the policy needs. */
export interface SenderPolicyProps {
  /** `sender_policy`. @default "report" */
  readonly mode?: PolicyMode;
  /** `sender_policy_overrides`: `user@domain` or `domain` → mode. @default {} */
  readonly overrides?: Readonly<Record<string, string>>;
  /** `send_as`: `user@domain` or `domain` → addresses or `*@domain`. @default {} */
  readonly sendAs?: Readonly<Record<string, readonly string[]>>;
  /** `drop_characters` (N-07). */
  readonly dropChars: string;
  /** `suffix_separators` (N-08). */
  readonly suffixSeps: string;
  /**
   * Resolves a local address through the aliases **without** the
   * catch-all (`AliasResolver.resolve(a, { catchAll: false })`). Errors
   * propagate to the caller of `notOwned()`.
   */
  readonly resolve: (address: string) => Promise<readonly PolicyTarget[]>;
  /** Whether a domain is local; only local addresses are resolved. */
  readonly isLocal: (domain: string) => boolean;
  /** Where `chaski/senderPolicy{result}` is counted. @default a private registry */
  readonly metrics?: MetricsRegistry;
}

/** The policy's metric, declared against the registry it is given. */
function declareMetrics(registry: MetricsRegistry): { result: Counter } {
  return {
    result: registry.counter(
      "chaski/senderPolicy",
      "count of sender policy checks of authenticated mail, by result",
      "result",
    ),
  };
}

/** Normalises an address or a domain key; `*@d` keeps its star. */
function normalizeKey(key: string): string {
  if (!key.includes("@")) return normalize.domain(key);
  const [u, d] = split(key);
  return u === "*" ? `*@${normalize.domain(d)}` : normalize.addr(key);
}

function normalizeMap<T>(
  map: Readonly<Record<string, T>>,
  what: string,
): Map<string, T> {
  const out = new Map<string, T>();
  for (const [k, v] of Object.entries(map)) {
    try {
      out.set(normalizeKey(k), v);
    } catch (err) {
      throw new TypeError(`${what}: "${k}" is not a valid address`, {
        cause: err,
      });
    }
  }
  return out;
}

/**
 * Decides which MAIL FROM and `From:` addresses belong to an authenticated
 * user. Config maps are normalised once, at construction.
 * @throws {TypeError} from the constructor when a key or grant does not
 *   normalise (bad IDNA).
 */
export class SenderPolicy {
  readonly #p: SenderPolicyProps;
  readonly #overrides: Map<string, string>;
  readonly #sendAs: Map<string, Set<string>>;
  readonly #m: ReturnType<typeof declareMetrics>;

  constructor(props: SenderPolicyProps) {
    this.#p = props;
    this.#overrides = normalizeMap(props.overrides ?? {}, "sender policy");
    this.#sendAs = new Map();
    for (const [k, grants] of normalizeMap(props.sendAs ?? {}, "send_as")) {
      const set = this.#sendAs.get(k) ?? new Set();
      for (const g of normalizeMap(asKeys(grants), "send_as").keys()) {
        set.add(g);
      }
      this.#sendAs.set(k, set);
    }
    this.#m = declareMetrics(props.metrics ?? new MetricsRegistry());
  }

  /** The mode for `user` (`user@domain`): the user's, else the domain's, else the global one. */
  modeFor(user: string): PolicyMode {
    const u = safeAddr(user);
    return (this.#overrides.get(u) ?? this.#overrides.get(domainOf(u)) ??
      this.#p.mode ?? "report") as PolicyMode;
  }

  /**
   * The addresses in `addresses` that do not belong to `user`, in order;
   * `""` (the null sender) always belongs.
   * @throws the resolver's errors (`AliasResolveError`).
   */
  async notOwned(
    user: string,
    addresses: readonly string[],
  ): Promise<string[]> {
    const out: string[] = [];
    for (const a of addresses) {
      if (a !== "" && !(await this.owns(user, a))) out.push(a);
    }
    return out;
  }

  /** True when `address` is one of `user`'s identities (see `mod.ts`). */
  async owns(user: string, address: string): Promise<boolean> {
    const u = this.#clean(safeAddr(user));
    let a: string;
    try {
      a = normalize.addr(address);
    } catch {
      return false; // Nobody owns what cannot be normalised.
    }
    if (!a.includes("@")) return false;
    if (this.#clean(a) === u) return true;
    if (this.#granted(u, a)) return true;
    if (!this.#p.isLocal(domainOf(a))) return false;
    const targets = await this.#p.resolve(a);
    return targets.some((t) =>
      t.type === "email" && this.#clean(safeAddr(t.address)) === u
    );
  }

  /** Counts one checked message (`chaski/senderPolicy{result}`). */
  count(result: "ok" | "violation"): void {
    this.#m.result.inc(result);
  }

  #granted(user: string, address: string): boolean {
    const star = `*@${domainOf(address)}`;
    for (const key of [user, domainOf(user)]) {
      const grants = this.#sendAs.get(key);
      if (grants?.has(address) || grants?.has(star)) return true;
    }
    return false;
  }

  /** Suffix cut, drop characters removed: the user the address means (N-07, N-08). */
  #clean(address: string): string {
    const [u, d] = split(address);
    const { dropChars, suffixSeps } = this.#p;
    const bare = normalize.removeSuffix(u, suffixSeps);
    return `${normalize.removeDropChars(bare, dropChars, suffixSeps)}@${d}`;
  }
}

function asKeys(list: readonly string[]): Record<string, true> {
  return Object.fromEntries(list.map((g) => [g, true]));
}

function safeAddr(a: string): string {
  try {
    return normalize.addr(a);
  } catch {
    return a;
  }
}
