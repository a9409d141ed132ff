/**
 * `chaski domaininfo list|remove DOMAIN` (U-06, SL-06), and chasquid-util's
 * `domaininfo-remove DOMAIN`.
 *
 * `list` reads the database directly, so it works with the server stopped.
 * `remove` asks the running daemon (RPC `DomaininfoClear`), as chasquid
 * does; when no daemon answers on the socket it clears the database
 * directly and says so. Either way both levels go back to `PLAIN` and the
 * record stays; an unknown domain is an error.
 *
 * @module
 */

import type { Runtime } from "../runtime/types.ts";
import { type Config, loadConfig } from "../config/mod.ts";
import { createDb } from "../storage/mod.ts";
import {
  DomainInfo,
  type DomainRecord,
  KyselyDomainInfoStore,
  levelName,
} from "../domaininfo/mod.ts";
import {
  DOMAININFO_CLEAR,
  rpcCall,
  RpcConnectError,
  SOCKET_NAME,
} from "../localrpc/mod.ts";
import {
  CliError,
  type CliIO,
  CONFIG_OPTIONS,
  DEFAULT_CONFIG_DIR,
  parse,
} from "./common.ts";

const HELP = `Usage: chaski domaininfo <subcommand> [--config-dir DIR]

  list             Show each domain's incoming and outgoing security level
  remove DOMAIN    Set both levels of DOMAIN back to PLAIN (after a domain
                   stopped doing TLS on purpose), through the running server
                   or, when it is stopped, in the database directly
`;

/** Runs a domaininfo subcommand. */
export async function domaininfoCommand(
  rt: Runtime,
  io: CliIO,
  args: string[],
): Promise<number> {
  const { values, positionals } = parse(args, CONFIG_OPTIONS);
  const [sub, domain, ...extra] = positionals;
  if (values.help || sub === undefined) {
    io.out(HELP);
    return values.help ? 0 : 2;
  }
  if (sub !== "list" && sub !== "remove") {
    throw new CliError(`unknown domaininfo subcommand "${sub}"`, 2);
  }
  if (sub === "list" ? domain !== undefined : domain === undefined) {
    throw new CliError(
      sub === "list"
        ? "domaininfo list takes no arguments"
        : "domaininfo remove takes one domain",
      2,
    );
  }
  if (extra.length > 0) {
    throw new CliError("domaininfo remove takes one domain", 2);
  }
  const { config } = await loadConfig({
    files: rt.files,
    configDir: (values["config-dir"] as string | undefined) ??
      DEFAULT_CONFIG_DIR,
    overrides: (values["config-overrides"] as string | undefined) ?? "",
    hostname: rt.process.hostname(),
  });
  if (sub === "list") {
    io.out(formatRecords(await withDomainInfo(rt, config, (d) => d.list())));
    return 0;
  }
  await remove(rt, io, config, domain!);
  return 0;
}

/** One line per domain: name, then both levels by SL-01 name. */
export function formatRecords(records: readonly DomainRecord[]): string {
  return records.map((r) =>
    `${r.domain}  incoming=${levelName(r.incoming)}  outgoing=${
      levelName(r.outgoing)
    }\n`
  ).join("");
}

async function remove(
  rt: Runtime,
  io: CliIO,
  config: Config,
  domain: string,
): Promise<void> {
  const path = `${config.data_dir}/${SOCKET_NAME}`;
  try {
    await rpcCall({
      net: rt.net,
      path,
      method: DOMAININFO_CLEAR,
      query: new URLSearchParams({ Domain: domain }),
    });
    io.out(`security levels of "${domain}" cleared\n`);
    return;
  } catch (err) {
    if (!(err instanceof RpcConnectError)) {
      throw new CliError(`cannot clear "${domain}": ${(err as Error).message}`);
    }
  }
  try {
    await withDomainInfo(rt, config, (d) => d.clear(domain));
  } catch (err) {
    throw new CliError(`cannot clear "${domain}": ${(err as Error).message}`);
  }
  io.out(
    `server not running at ${path}: security levels of "${domain}" cleared in the database directly\n`,
  );
}

async function withDomainInfo<T>(
  rt: Runtime,
  config: Config,
  fn: (dinfo: DomainInfo) => Promise<T>,
): Promise<T> {
  await rt.files.mkdir(config.data_dir, 0o700);
  const db = await createDb({
    sqlite: rt.sqlite,
    url: config.database,
    dataDir: config.data_dir,
  });
  try {
    return await fn(
      new DomainInfo({ store: new KyselyDomainInfoStore(db), clock: rt.clock }),
    );
  } finally {
    await db.destroy();
  }
}
