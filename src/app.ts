/**
 * The composition root: turns a config dir and a `Runtime` into a running
 * server, in chasquid's start-up order (P-05): load config, chdir to the
 * config dir, open the mail log, scan certificates and domains, open the
 * database (migrations), sync users files, start the queue, listen. It also
 * owns reload (SIGHUP and the periodic check) and graceful shutdown.
 *
 * @module
 */

import { buildMessageAuth } from "./app_msgauth.ts";
import type { Kysely } from "kysely";
import type { Runtime } from "./runtime/types.ts";
import { type Config, loadConfig } from "./config/mod.ts";
import { createLogger, type Logger } from "./log/mod.ts";
import { MailLog } from "./maillog/mod.ts";
import { createDb, type Database } from "./storage/mod.ts";
import { KyselyUserStore, UserDB } from "./userdb/mod.ts";
import { createQueueStore, Queue } from "./queue/mod.ts";
import { SmtpServer } from "./smtpsrv/server.ts";
import type { Mode } from "./smtpsrv/types.ts";
import { buildCouriers, ServerState, startLocalRpc } from "./app_parts.ts";
import { openMailLogSink } from "./maillog/sinks.ts";
import { MetricsRegistry } from "./monitoring/mod.ts";
import { daemonEnvFrom, Hooks } from "./hooks/mod.ts";
import { KyselyStsStore, StsCache } from "./sts/mod.ts";
import { DomainInfo, KyselyDomainInfoStore } from "./domaininfo/mod.ts";
import { SenderPolicy } from "./policy/mod.ts";
import { buildArcSealer, buildSrs, srsRouting } from "./app_forward.ts";
import { KyselySrsKeyStore, type Srs } from "./srs/mod.ts";

/** Options for `createApp`. */
export interface AppOptions {
  readonly runtime: Runtime;
  readonly configDir: string;
  /** `--config-overrides`. @default "" */
  readonly overrides?: string;
  /** chasquid's `-v`. @default 0 */
  readonly verbosity?: number;
  /** Debug log destination. @default standard error */
  readonly logSink?: (line: string) => void;
  /** Start without certificates (try mode brings its own). @default false */
  readonly allowNoCerts?: boolean;
  /** Change the process cwd to the config dir (P-04). @default true */
  readonly chdir?: boolean;
  /** React to SIGHUP/SIGTERM/SIGINT. @default true */
  readonly handleSignals?: boolean;
}

/** A running server. */
export interface App {
  readonly config: Config;
  readonly log: Logger;
  /** Bound addresses per mode. */
  readonly addresses: readonly { mode: Mode; host: string; port: number }[];
  /** Re-reads users files, certificates and domains; keeps the old state on error. */
  reload(): Promise<void>;
  /** Graceful stop (B-06). */
  shutdown(): Promise<void>;
  /** Resolves when the app has stopped. */
  readonly done: Promise<void>;
  /** The queue, for tests and tools. */
  readonly queue: Queue;
  readonly db: Kysely<Database>;
  /** The server's metrics (§22), for `/metrics` and `/debug/vars`. */
  readonly metrics: MetricsRegistry;
  /**
   * Per-domain security levels (SL-01..SL-07): the SMTP courier checks
   * outgoing levels with it; the session's inbound check uses
   * `incomingCheck()` / `incomingSkipped()`.
   */
  readonly domainInfo: DomainInfo;
}

const MODES: {
  key: "smtp_address" | "submission_address" | "submission_over_tls_address";
  mode: Mode;
}[] = [
  { key: "smtp_address", mode: "SMTP" },
  { key: "submission_address", mode: "submission" },
  { key: "submission_over_tls_address", mode: "submission+TLS" },
];

/** Loads the config and starts everything. Throws on any start-up error (P-06). */
export async function createApp(opts: AppOptions): Promise<App> {
  const rt = opts.runtime;
  const log = createLogger({
    verbosity: opts.verbosity ?? 0,
    ...(opts.logSink ? { sink: opts.logSink } : {}),
  });
  const { config, warnings } = await loadConfig({
    files: rt.files,
    configDir: opts.configDir,
    overrides: opts.overrides ?? "",
    hostname: rt.process.hostname(),
  });
  for (const w of warnings) log.warn(w);
  const metrics = new MetricsRegistry();
  // Hooks get the config dir as PWD (K-03): absolute, before the chdir.
  const configDirAbs = rt.files.resolve(config.config_dir);
  if (opts.chdir ?? true) rt.files.chdir(config.config_dir);

  const maillog = new MailLog(
    await openMailLogSink(config.mail_log_path, rt, log),
  );
  await rt.files.mkdir(config.data_dir, 0o700);
  const db = await createDb({
    sqlite: rt.sqlite,
    url: config.database,
    dataDir: config.data_dir,
  });
  const users = new UserDB({
    store: new KyselyUserStore(db),
    files: rt.files,
    clock: rt.clock,
    log: log.child({ component: "userdb" }),
  });
  let state: ServerState;
  let srs: Srs;
  try {
    srs = await buildSrs(new KyselySrsKeyStore(db), rt.clock);
    state = await ServerState.load(rt, config, {
      users,
      log,
      allowNoCerts: opts.allowNoCerts ?? false,
      metrics,
    });
  } catch (err) {
    await db.destroy();
    throw err;
  }

  const sts = new StsCache({
    resolver: rt.resolver({ server: config.dns_server }),
    net: rt.net,
    store: new KyselyStsStore(db),
    clock: rt.clock,
    log: log.child({ component: "sts" }),
    metrics,
  });
  const domainInfo = new DomainInfo({
    store: new KyselyDomainInfoStore(db),
    clock: rt.clock,
    log: log.child({ component: "domaininfo" }),
    metrics,
  });
  const msgAuth = buildMessageAuth(
    rt,
    config,
    state.dkim,
    log.child({ component: "msgauth" }),
  );
  const routing = srsRouting({
    srs,
    aliases: () => state.aliases,
    isLocal: (d) => state.domains.has(d),
    log: log.child({ component: "srs" }),
  });
  const queue = new Queue({
    store: createQueueStore(db),
    signNotice: (message, domain) => msgAuth.sign(message, domain),
    couriers: buildCouriers(rt, config, log, {
      metrics,
      sts,
      secLevels: domainInfo,
    }),
    localDomains: () => state.domains,
    expand: routing.expand,
    rewriteSender: (sender, domain) => srs.forward(sender, domain),
    sealForward: buildArcSealer({
      resolver: rt.resolver({ server: config.dns_server }),
      dkim: () => state.dkim,
      hostname: config.hostname,
      clock: rt.clock,
      log: log.child({ component: "arc" }),
    }),
    clock: rt.clock,
    log: log.child({ component: "queue" }),
    maillog,
    maxItems: config.max_queue_items,
    owner: `${rt.process.hostname()}:${config.data_dir}`,
    giveUpAfterMs: config.give_up_send_after,
    metrics,
  });
  queue.start();
  sts.start();

  const server = new SmtpServer({
    net: rt.net,
    maxConnections: config.max_connections,
    maxConnectionsPerIp: config.max_connections_per_ip,
    ctx: {
      hostname: config.hostname,
      tls: () => state.tls,
      localDomains: () => state.domains,
      maxDataSize: config.max_data_size_mb * 1024 * 1024,
      maxReceivedHeaders: config.max_received_headers,
      commandTimeoutMs: config.command_timeout,
      connectionTimeoutMs: config.connection_timeout,
      authenticator: {
        authenticate: async (user, domain, password) =>
          (await users.authenticate(user, domain, password)) === "ok"
            ? "ok"
            : "bad",
      },
      recipients: { exists: routing.exists },
      queue,
      clock: rt.clock,
      log: log.child({ component: "smtp" }),
      maillog,
      metrics,
      msgAuth,
      secLevels: domainInfo,
      senderPolicy: new SenderPolicy({
        mode: config.sender_policy,
        overrides: config.sender_policy_overrides,
        sendAs: config.send_as,
        dropChars: config.drop_characters,
        suffixSeps: config.suffix_separators,
        resolve: (a) => state.aliases.resolve(a, { catchAll: false }),
        isLocal: (d) => state.domains.has(d),
        metrics,
      }),
      hooks: new Hooks({
        spawner: rt.spawner,
        files: rt.files,
        configDir: configDirAbs,
        daemonEnv: daemonEnvFrom((name) => rt.process.env(name)),
        log: log.child({ component: "hooks" }),
      }),
    },
  });
  for (const { key, mode } of MODES) {
    if (config[key].length === 0) {
      log.warn(`no ${mode} listeners configured (${key} is empty)`);
    }
    for (const address of config[key]) {
      const bound = await server.listen({ mode, address });
      maillog.listening(formatAddr(bound.host, bound.port));
    }
  }
  const rpc = await startLocalRpc(rt, config, { state, log, domainInfo });

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping: Promise<void> | null = null;
  const unsubscribe: (() => void)[] = [];

  async function reload(): Promise<void> {
    await state.reload();
    await maillog.reopen();
  }

  function shutdown(): Promise<void> {
    stopping ??= (async () => {
      log.info("shutting down");
      reloadTimer.cancel();
      for (const u of unsubscribe) u();
      await rpc.close();
      await server.shutdown(config.shutdown_timeout);
      await queue.stop();
      await sts.stop();
      await db.destroy();
      log.info("stopped");
      resolveDone();
    })();
    return stopping;
  }

  // Users and aliases files are re-read periodically (F-03, AL-11); the
  // timer re-arms itself once a pass is done.
  const reloadTimer = rt.clock.setTimer(
    config.reload_every,
    function periodicReload() {
      void state.periodic().finally(() => {
        if (!stopping) reloadTimer.reset(config.reload_every);
      });
    },
  );
  if (opts.handleSignals ?? true) {
    unsubscribe.push(rt.signals.on("SIGHUP", () => void reload()));
    unsubscribe.push(rt.signals.on("SIGTERM", () => void shutdown()));
    unsubscribe.push(rt.signals.on("SIGINT", () => void shutdown()));
  }

  return {
    config,
    log,
    addresses: server.addresses,
    reload,
    shutdown,
    done,
    queue,
    db,
    metrics,
    domainInfo,
  };
}

function formatAddr(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
