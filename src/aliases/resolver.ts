/**
 * The alias resolver: per-domain tables loaded from the aliases files and
 * swapped whole on reload, the lookup sequence of N-09, recursion, the
 * catch-all and the `alias-resolve` hook. See `mod.ts` for the rules.
 *
 * @module
 */

import { domainOf, split } from "../envelope/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Clock, Files, Spawner, SpawnResult } from "../runtime/types.ts";
import {
  aliasKey,
  type AliasTable,
  cleanAddress,
  parseAliases,
  parseRightSide,
  type Recipient,
} from "./aliases_file.ts";
import { type Counter, MetricsRegistry } from "../monitoring/mod.ts";

/**
 * K-10: the resolver's metric, declared against the registry it is given.
 * Results are `resolve:skip` (no hook file), `resolve:fail`,
 * `resolve:parse_err` and `resolve:success`; chasquid's `resolve:notset`
 * (no hook path configured) cannot happen here, the path is fixed.
 */
function declareMetrics(registry: MetricsRegistry): { hookResults: Counter } {
  return {
    hookResults: registry.counter(
      "chasquid/aliases/hookResults",
      "count of alias hook results, by hook and result",
      "result",
    ),
  };
}

/** How many addresses deep a resolution may go (AL-09). */
export const RECURSION_LIMIT = 10;

const DEFAULT_HOOK_TIMEOUT_MS = 5_000;

/** Resolution failed: recursion limit, or the `alias-resolve` hook failed. */
export class AliasResolveError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AliasResolveError";
  }
}

/** A local domain and its directory name under `<configDir>/domains/`. */
export interface AliasDomain {
  /** Normalised domain (U-labels). */
  readonly domain: string;
  /** Directory name under `domains/`. */
  readonly dir: string;
}

/** What the resolver needs. */
export interface AliasResolverProps {
  readonly files: Files;
  /** Runs the `alias-resolve` hook. */
  readonly spawner: Spawner;
  /** Times hook runs for the debug log. @default none */
  readonly clock?: Clock;
  /** @default no logging */
  readonly log?: Logger;
  /** The config directory: holds `domains/` and `hooks/`, and is the hook's cwd. */
  readonly configDir: string;
  /** `drop_characters` (N-07). */
  readonly dropChars: string;
  /** `suffix_separators` (N-08). */
  readonly suffixSeps: string;
  /** Kill the hook after this many milliseconds (K-06). @default 5000 */
  readonly hookTimeoutMs?: number;
  /**
   * The hook's whole environment; `PWD` is always set to the config dir.
   * @default {}
   */
  readonly hookEnv?: Readonly<Record<string, string>>;
  /**
   * True when the cleaned address (drops and suffix removed) is a user.
   * Errors propagate.
   */
  readonly userExists: (address: string) => Promise<boolean>;
  /**
   * Whether a domain is local; addresses in other domains are final.
   * @default the domains given to the last `load()`
   */
  readonly isLocal?: (domain: string) => boolean;
  /** Where K-10's `hookResults` is counted. @default a private registry */
  readonly metrics?: MetricsRegistry;
}

/** The outcome of `load()`. */
export interface LoadResult {
  /** One per domain whose file could not be read or parsed. */
  readonly errors: Error[];
}

/** Memo of one resolution pass (K-08 fixed). */
interface Pass {
  readonly hook: Map<string, Promise<Recipient[]>>;
  hookPresent?: Promise<boolean>;
  /** Skip the catch-all (N-09 step 4). */
  noCatchAll?: boolean;
}

/** What the N-09 sequence found for a local address. */
type Found =
  | {
    kind: "alias";
    /** The address whose alias matched: itself, cleaned, or `*@domain`. */
    from: string;
    targets: Recipient[];
    hooked: boolean;
  }
  | { kind: "user" | "none"; address: string };

/**
 * Resolves local addresses through the aliases files and the hook. Tables
 * are immutable; `load()` builds new ones and swaps them in.
 */
export class AliasResolver {
  #p: AliasResolverProps;
  #tables: ReadonlyMap<string, AliasTable> = new Map();
  readonly #m: ReturnType<typeof declareMetrics>;

  constructor(props: AliasResolverProps) {
    this.#p = props;
    this.#m = declareMetrics(props.metrics ?? new MetricsRegistry());
  }

  /**
   * (Re)loads `<configDir>/domains/<dir>/aliases` for each domain. A
   * missing file means no aliases; a broken one keeps that domain's
   * previous table and is reported. Domains not listed are dropped.
   */
  async load(domains: readonly AliasDomain[]): Promise<LoadResult> {
    const errors: Error[] = [];
    const next = new Map<string, AliasTable>();
    for (const { domain, dir } of domains) {
      const path = `${this.#p.configDir}/domains/${dir}/aliases`;
      try {
        next.set(domain, await this.#readTable(path, domain));
      } catch (e) {
        errors.push(e as Error);
        next.set(domain, this.#tables.get(domain) ?? new Map());
        this.#p.log?.error("aliases file not loaded, keeping the old one", {
          file: path,
          error: e,
        });
      }
    }
    this.#tables = next;
    return { errors };
  }

  async #readTable(path: string, domain: string): Promise<AliasTable> {
    if (!(await this.#p.files.stat(path))) return new Map();
    const text = await this.#p.files.readText(path);
    return parseAliases(text, { ...this.#keyOpts(), domain, file: path });
  }

  /**
   * The final recipients of an address (N-09, AL-06..AL-10). Non-local
   * addresses come back as themselves; a local address with no alias, no
   * user and no catch-all comes back cleaned, for delivery to fail later.
   * `catchAll: false` skips step 4 at every level, for the sender policy
   * (B-02): an address only caught by a catch-all belongs to nobody.
   * @throws {AliasResolveError} on a loop deeper than `RECURSION_LIMIT` or
   * a hook failure.
   */
  async resolve(
    address: string,
    opts: { catchAll?: boolean } = {},
  ): Promise<Recipient[]> {
    const pass = newPass();
    pass.noCatchAll = opts.catchAll === false;
    return await this.#resolve(address, 0, pass);
  }

  /**
   * True when a local address is an alias, a user or caught by a
   * catch-all: the RCPT check.
   * @throws {AliasResolveError} when the hook fails (K-07: 451 4.4.3).
   */
  async exists(address: string): Promise<boolean> {
    return (await this.#find(address, newPass())).kind !== "none";
  }

  /**
   * The RCPT check with R-03 (chaski): `"unknown"` when the address does not
   * exist, or when it is an alias (or caught by a catch-all) whose every
   * target is a local address that is neither a user nor an alias (a
   * target that only finds the same alias again counts as missing). A
   * pipe, remote, via or hook-given target makes it `"ok"`.
   * @throws {AliasResolveError} when the hook fails.
   */
  async checkRecipient(address: string): Promise<"ok" | "unknown"> {
    const pass = newPass();
    const found = await this.#find(address, pass);
    if (found.kind !== "alias") return found.kind === "user" ? "ok" : "unknown";
    if (found.hooked) return "ok";
    const user = split(address)[0];
    for (const t of found.targets) {
      if (t.type !== "email" || !this.#isLocal(domainOf(t.address))) {
        return "ok";
      }
      const f = await this.#find(starTarget(t, user).address, pass);
      // A target that only leads back to the same alias (say, a catch-all
      // pointing at a missing user of its own domain) is a loop: missing.
      if (f.kind === "user" || (f.kind === "alias" && f.from !== found.from)) {
        return "ok";
      }
    }
    return "unknown";
  }

  async #resolve(
    address: string,
    depth: number,
    pass: Pass,
  ): Promise<Recipient[]> {
    if (depth >= RECURSION_LIMIT) {
      throw new AliasResolveError("recursion limit exceeded");
    }
    if (!this.#isLocal(domainOf(address))) return [email(address)];
    const found = await this.#find(address, pass);
    if (found.kind !== "alias") return [email(found.address)];
    const user = split(address)[0];
    const out: Recipient[] = [];
    for (const t of found.targets) {
      if (t.type === "pipe") out.push(t);
      else if (t.type === "forward") out.push(starTarget(t, user));
      else {out.push(
          ...await this.#resolve(starTarget(t, user).address, depth + 1, pass),
        );}
    }
    return out;
  }

  /**
   * N-09: exact alias (drops removed, suffix kept), cleaned alias, user,
   * catch-all. Each lookup adds the hook's answer for that address.
   */
  async #find(address: string, pass: Pass): Promise<Found> {
    const exact = await this.#lookup(address, pass);
    if (exact.targets.length > 0) {
      return { kind: "alias", from: address, ...exact };
    }
    const cleaned = this.#clean(address);
    if (cleaned !== address) {
      const byClean = await this.#lookup(cleaned, pass);
      if (byClean.targets.length > 0) {
        return { kind: "alias", from: cleaned, ...byClean };
      }
    }
    if (await this.#p.userExists(cleaned)) {
      return { kind: "user", address: cleaned };
    }
    if (pass.noCatchAll) return { kind: "none", address: cleaned };
    const star = `*@${domainOf(address)}`;
    const all = await this.#lookup(star, pass);
    if (all.targets.length > 0) return { kind: "alias", from: star, ...all };
    return { kind: "none", address: cleaned };
  }

  async #lookup(
    address: string,
    pass: Pass,
  ): Promise<{ targets: Recipient[]; hooked: boolean }> {
    const table = this.#tables.get(domainOf(address));
    const own = table?.get(aliasKey(address, this.#keyOpts())) ?? [];
    const hooked = await this.#hook(address, pass);
    return { targets: [...own, ...hooked], hooked: hooked.length > 0 };
  }

  #hook(address: string, pass: Pass): Promise<Recipient[]> {
    let p = pass.hook.get(address);
    if (!p) {
      p = this.#runHook(address, pass);
      pass.hook.set(address, p);
    }
    return p;
  }

  async #runHook(address: string, pass: Pass): Promise<Recipient[]> {
    const path = `${this.#configDir()}/hooks/alias-resolve`;
    pass.hookPresent ??= this.#p.files.stat(path).then((s) => s !== null);
    if (!(await pass.hookPresent)) {
      this.#m.hookResults.inc("resolve:skip");
      return [];
    }
    const started = this.#p.clock?.monotonic();
    const res = await this.#p.spawner.run({
      cmd: path,
      args: [address],
      env: { ...this.#p.hookEnv, PWD: this.#configDir() },
      cwd: this.#configDir(),
      timeoutMs: this.#p.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
    });
    const ended = this.#p.clock?.monotonic();
    const stdout = new TextDecoder().decode(res.stdout);
    this.#p.log?.debug("alias-resolve hook ran", () => ({
      address,
      code: res.code,
      timedOut: res.timedOut,
      stdout,
      ...(started !== undefined && ended !== undefined
        ? { ms: ended - started }
        : {}),
    }));
    const why = hookFailure(res);
    if (why) {
      this.#m.hookResults.inc("resolve:fail");
      throw new AliasResolveError(
        `alias-resolve hook for "${address}" failed: ${why}`,
      );
    }
    let targets: Recipient[];
    try {
      targets = parseRightSide(stdout, domainOf(address));
    } catch (e) {
      this.#m.hookResults.inc("resolve:parse_err");
      throw new AliasResolveError(
        `alias-resolve hook for "${address}" printed bad output`,
        { cause: e },
      );
    }
    this.#m.hookResults.inc("resolve:success");
    return targets;
  }

  #clean(address: string): string {
    const c = cleanAddress(address, this.#p.dropChars, this.#p.suffixSeps);
    return aliasKey(c);
  }

  #configDir(): string {
    return this.#p.files.resolve(this.#p.configDir);
  }

  #isLocal(domain: string): boolean {
    return this.#p.isLocal ? this.#p.isLocal(domain) : this.#tables.has(domain);
  }

  #keyOpts(): { dropChars: string; suffixSeps: string } {
    return { dropChars: this.#p.dropChars, suffixSeps: this.#p.suffixSeps };
  }
}

/** Why a hook run failed, or `""` when it succeeded. */
function hookFailure(res: SpawnResult): string {
  if (res.startError) return `could not start: ${res.startError.message}`;
  if (res.timedOut) return "timed out";
  if (res.code !== 0) return `exited with ${res.code ?? res.signal}`;
  return "";
}

function newPass(): Pass {
  return { hook: new Map() };
}

function email(address: string): Recipient {
  return { type: "email", address, via: [] };
}

/** AL-07: a `*` target user becomes the original user, as given. */
function starTarget(t: Recipient, user: string): Recipient {
  const [tu, td] = split(t.address);
  if (tu !== "*") return t;
  return { ...t, address: `${user}@${td}` };
}
