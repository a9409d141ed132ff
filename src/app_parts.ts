/**
 * Pieces of the composition root: the reloadable per-domain state
 * (certificates, local domains, aliases, users files) and the couriers.
 * Reload builds the new state completely, then swaps it in; a failure keeps
 * the old state and logs why (P-10).
 *
 * @module
 */

import { DkimKeys } from "./app_msgauth.ts";
import type { Runtime, ServerTls } from "./runtime/types.ts";
import { type Config, scanConfigDir, type ScanResult } from "./config/mod.ts";
import type { Logger } from "./log/mod.ts";
import type { UserDB } from "./userdb/mod.ts";
import { AliasResolver } from "./aliases/mod.ts";
import { MdaCourier } from "./courier/mda.ts";
import { LmtpCourier } from "./courier/lmtp.ts";
import { PipeCourier } from "./courier/pipe.ts";
import { SmtpCourier } from "./courier/smtp.ts";
import type { Couriers } from "./queue/mod.ts";
import type { MetricsRegistry } from "./monitoring/mod.ts";
import type { StsPolicySource } from "./sts/mod.ts";
import type { DomainInfo } from "./domaininfo/mod.ts";
import {
  ALIAS_RESOLVE,
  aliasResolveHandler,
  DOMAININFO_CLEAR,
  domaininfoClearHandler,
  RpcServer,
  SOCKET_NAME,
} from "./localrpc/mod.ts";

const HOOK_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Certificates, local domains, aliases and users files, reloadable as a whole. */
export class ServerState {
  scan: ScanResult;
  domains: ReadonlySet<string>;
  tls: ServerTls | null;
  readonly aliases: AliasResolver;
  /** `domains/<d>/dkim:*.pem` keys (DK-01, F-05). */
  readonly dkim: DkimKeys = new DkimKeys();
  readonly #rt: Runtime;
  readonly #config: Config;
  readonly #users: UserDB;
  readonly #log: Logger;
  readonly #allowNoCerts: boolean;

  private constructor(
    rt: Runtime,
    config: Config,
    users: UserDB,
    log: Logger,
    allowNoCerts: boolean,
    metrics: MetricsRegistry | undefined,
  ) {
    this.#rt = rt;
    this.#config = config;
    this.#users = users;
    this.#log = log;
    this.#allowNoCerts = allowNoCerts;
    this.scan = { domains: [], certs: [], domainDirs: {}, warnings: [] };
    this.domains = new Set();
    this.tls = null;
    this.aliases = new AliasResolver({
      files: rt.files,
      spawner: rt.spawner,
      clock: rt.clock,
      log: log.child({ component: "aliases" }),
      configDir: config.config_dir,
      dropChars: config.drop_characters,
      suffixSeps: config.suffix_separators,
      hookEnv: hookEnv(rt),
      userExists: (addr) => users.exists(addr),
      isLocal: (d) => this.domains.has(d),
      ...(metrics ? { metrics } : {}),
    });
  }

  /**
   * Loads everything for start-up; any error is fatal (P-06), the broken
   * aliases file included (AL-02).
   */
  static async load(
    rt: Runtime,
    config: Config,
    deps: {
      users: UserDB;
      log: Logger;
      allowNoCerts: boolean;
      metrics?: MetricsRegistry;
    },
  ): Promise<ServerState> {
    const st = new ServerState(
      rt,
      config,
      deps.users,
      deps.log,
      deps.allowNoCerts,
      deps.metrics,
    );
    st.#swap(await st.#scan());
    await st.dkim.load(rt, config.config_dir, st.scan.domainDirs);
    await st.syncUsers();
    const { errors } = await st.aliases.load(st.#aliasDomains());
    if (errors.length > 0) throw errors[0];
    for (const c of st.scan.certs) {
      deps.log.info(`loaded certificate ${c.name}`);
    }
    deps.log.info(`local domains: ${st.scan.domains.join(", ")}`);
    deps.log.info(`DKIM keys loaded: ${st.dkim.size}`);
    return st;
  }

  /** SIGHUP: certificates, domains, users files and aliases; keeps the old state on errors. */
  async reload(): Promise<void> {
    try {
      this.#swap(await this.#scan());
    } catch (err) {
      this.#log.error(
        "reload failed, keeping the previous certificates and domains",
        { error: err },
      );
    }
    try {
      await this.dkim.load(
        this.#rt,
        this.#config.config_dir,
        this.scan.domainDirs,
      );
    } catch (err) {
      this.#log.error("DKIM keys not reloaded, keeping the previous ones", {
        error: err,
      });
    }
    await this.periodic();
  }

  /** The 30 s check: users files and aliases. */
  async periodic(): Promise<void> {
    await this.syncUsers();
    const { errors } = await this.aliases.load(this.#aliasDomains());
    for (const e of errors) {
      this.#log.error(
        `aliases not reloaded, keeping the previous ones: ${e.message}`,
      );
    }
  }

  /** Syncs every `domains/<d>/users` file into the database; the sync logs its errors. */
  async syncUsers(): Promise<void> {
    try {
      await this.#users.syncUsersFiles(
        this.#config.config_dir,
        Object.values(this.scan.domainDirs),
      );
    } catch (err) {
      this.#log.error("users sync failed", { error: err });
    }
  }

  async #scan(): Promise<ScanResult> {
    const scan = await scanConfigDir({
      files: this.#rt.files,
      configDir: this.#config.config_dir,
      allowNoCerts: this.#allowNoCerts,
      log: this.#log,
    });
    for (const w of scan.warnings) this.#log.warn(w);
    return scan;
  }

  #swap(scan: ScanResult): void {
    const tls = scan.certs.length ? this.#rt.net.serverTls(scan.certs) : null;
    this.scan = scan;
    this.domains = new Set(scan.domains);
    this.tls = tls;
  }

  #aliasDomains(): { domain: string; dir: string }[] {
    return Object.entries(this.scan.domainDirs).map(([domain, dir]) => ({
      domain,
      dir,
    }));
  }
}

/** K-03: hooks get USER, SHELL and PATH from the daemon (PWD is added per run). */
function hookEnv(rt: Runtime): Record<string, string> {
  const env: Record<string, string> = {
    PATH: rt.process.env("PATH") ?? HOOK_PATH,
  };
  for (const name of ["USER", "SHELL"]) {
    const v = rt.process.env(name);
    if (v !== undefined) env[name] = v;
  }
  return env;
}

/** Builds the couriers from the config: MDA or LMTP locally, SMTP remotely, pipes. */
export function buildCouriers(
  rt: Runtime,
  config: Config,
  log: Logger,
  opts: {
    metrics?: MetricsRegistry;
    sts?: StsPolicySource;
    secLevels?: DomainInfo;
  } = {},
): Couriers {
  const local = config.lmtp_address
    ? new LmtpCourier({
      net: rt.net,
      address: config.lmtp_address,
      hostname: config.hostname,
      clock: rt.clock,
    })
    : new MdaCourier({
      spawner: rt.spawner,
      bin: config.mail_delivery_agent_bin,
      args: config.mail_delivery_agent_args,
      cwd: config.config_dir,
      timeoutMs: config.mda_timeout,
    });
  return {
    local,
    ...(local instanceof LmtpCourier
      ? { localBatch: (from, to, data) => local.deliverBatch(from, to, data) }
      : {}),
    remote: new SmtpCourier({
      net: rt.net,
      resolver: rt.resolver({ server: config.dns_server }),
      hostname: config.hostname,
      port: config.outgoing_smtp_port,
      clock: rt.clock,
      log: log.child({ component: "smtp-out" }),
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(opts.sts ? { sts: opts.sts } : {}),
      ...(opts.secLevels ? { secLevels: opts.secLevels } : {}),
    }),
    pipe: new PipeCourier({
      spawner: rt.spawner,
      cwd: config.config_dir,
      path: HOOK_PATH,
    }),
  };
}

/**
 * Starts the local RPC server at `<data_dir>/localrpc-v1` (RPC-01). A
 * failure is logged, not fatal: mail matters more than the CLI's view of it.
 * The returned `close` also removes the socket file.
 */
export async function startLocalRpc(
  rt: Runtime,
  config: Config,
  deps: { state: ServerState; log: Logger; domainInfo: DomainInfo },
): Promise<{ close(): Promise<void> }> {
  const path = `${config.data_dir}/${SOCKET_NAME}`;
  const log = deps.log.child({ component: "localrpc" });
  const rpc = new RpcServer({
    net: rt.net,
    path,
    handlers: {
      [ALIAS_RESOLVE]: aliasResolveHandler((a) =>
        deps.state.aliases.resolve(a)
      ),
      [DOMAININFO_CLEAR]: domaininfoClearHandler((d) =>
        deps.domainInfo.clear(d)
      ),
    },
    log,
    clock: rt.clock,
  });
  try {
    await rpc.start();
  } catch (err) {
    log.error(`local RPC not available at ${path}`, { error: err });
    return { close: () => Promise.resolve() };
  }
  return {
    async close() {
      await rpc.close();
      await rt.files.remove(path).catch(() => {});
    },
  };
}
