/**
 * `chaski user add|remove|list|check|count` (U-01..U-04). Users live in
 * the database in the data dir; the command opens it directly, so it works
 * with the server running (SQLite WAL) or stopped.
 *
 * @module
 */

import type { Runtime } from "../runtime/types.ts";
import { loadConfig } from "../config/mod.ts";
import { createDb } from "../storage/mod.ts";
import { KyselyUserStore, UserDB } from "../userdb/mod.ts";
import * as normalize from "../normalize/mod.ts";
import { split } from "../envelope/mod.ts";
import {
  CliError,
  type CliIO,
  CONFIG_OPTIONS,
  DEFAULT_CONFIG_DIR,
  parse,
} from "./common.ts";

const HELP = `Usage: chaski user <subcommand> [--config-dir DIR]

  add ADDR [--password P | --password-stdin | --receive-only]
      Add a user. Without a password option, prompts twice on the terminal.
  remove ADDR        Remove a user (users from a chasquid users file are
                     refused: edit that file instead)
  list [DOMAIN]      List users with their source
  check ADDR [--password P | --password-stdin]
                     Check a password the way the server does (exit 1 if wrong)
  count DOMAIN       Count the users of a domain
`;

const OPTIONS = {
  ...CONFIG_OPTIONS,
  password: { type: "string" },
  "password-stdin": { type: "boolean" },
  "receive-only": { type: "boolean" },
  receive_only: { type: "boolean" },
} as const;

/** Runs a user subcommand. */
export async function userCommand(
  rt: Runtime,
  io: CliIO,
  args: string[],
): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  const [sub, target] = positionals;
  if (values.help || sub === undefined) {
    io.out(HELP);
    return values.help ? 0 : 2;
  }
  const { config } = await loadConfig({
    files: rt.files,
    configDir: (values["config-dir"] as string | undefined) ??
      DEFAULT_CONFIG_DIR,
    overrides: (values["config-overrides"] as string | undefined) ?? "",
    hostname: rt.process.hostname(),
  });
  await rt.files.mkdir(config.data_dir, 0o700);
  const db = await createDb({
    sqlite: rt.sqlite,
    url: config.database,
    dataDir: config.data_dir,
  });
  try {
    const users = new UserDB({
      store: new KyselyUserStore(db),
      files: rt.files,
      clock: rt.clock,
    });
    await users.syncUsersFiles(
      config.config_dir,
      await domainDirs(rt, config.config_dir),
    );
    return await run(
      { rt, io, users, configDir: config.config_dir, v: values },
      sub,
      target,
    );
  } finally {
    await db.destroy();
  }
}

type Values = Record<string, string | boolean | undefined>;

interface RunContext {
  readonly rt: Runtime;
  readonly io: CliIO;
  readonly users: UserDB;
  readonly configDir: string;
  readonly v: Values;
}

async function run(
  ctx: RunContext,
  sub: string,
  target: string | undefined,
): Promise<number> {
  const { rt, io, users, configDir, v } = ctx;
  switch (sub) {
    case "add": {
      const addr = need(target, "add needs an address");
      const receiveOnly = Boolean(v["receive-only"] || v.receive_only);
      if (receiveOnly && (v.password !== undefined || v["password-stdin"])) {
        throw new CliError(
          "--password and --receive-only cannot be used together",
          2,
        );
      }
      await ensureDomainDir(rt, io, configDir, addr);
      if (receiveOnly) await users.add(addr, { receiveOnly: true });
      else await users.add(addr, { password: await password(rt, v, true) });
      io.out(`user added: ${normalize.addr(addr)}\n`);
      return 0;
    }
    case "remove": {
      const addr = need(target, "remove needs an address");
      await users.remove(addr);
      io.out(`user removed: ${normalize.addr(addr)}\n`);
      return 0;
    }
    case "list": {
      for (
        const u of await users.list(
          target ? normalize.domain(target) : undefined,
        )
      ) {
        const from = u.source === "file" ? `file ${u.sourceFile}` : "database";
        io.out(
          `${u.address}\t${
            u.scheme === "denied" ? "receive-only" : u.scheme
          }\t${from}\n`,
        );
      }
      return 0;
    }
    case "check": {
      const addr = need(target, "check needs an address");
      const [user, domain] = split(addr);
      const r = await users.authenticate(
        normalize.user(user),
        normalize.domain(domain),
        await password(rt, v, false),
      );
      if (r === "ok") {
        io.out("authentication succeeded (database)\n");
        return 0;
      }
      io.err(
        `authentication failed${r === "unknown" ? ": unknown user" : ""}\n`,
      );
      return 1;
    }
    case "count": {
      const domain = normalize.domain(need(target, "count needs a domain"));
      io.out(`database loaded (${(await users.list(domain)).length} users)\n`);
      return 0;
    }
    default:
      throw new CliError(`unknown user subcommand "${sub}"`, 2);
  }
}

function need(v: string | undefined, msg: string): string {
  if (v === undefined || v === "") throw new CliError(msg, 2);
  return v;
}

async function password(
  rt: Runtime,
  v: Values,
  confirm: boolean,
): Promise<string> {
  if (typeof v.password === "string") return v.password;
  if (v["password-stdin"]) {
    const text = new TextDecoder().decode(await rt.process.readStdin());
    const line = text.split(/\r?\n/)[0] ?? "";
    if (line === "") throw new CliError("no password on standard input");
    return line;
  }
  const p1 = await rt.process.promptSecret("Password: ");
  if (p1 === null) {
    throw new CliError(
      "no terminal to ask for a password: use --password or --password-stdin",
    );
  }
  if (confirm) {
    const p2 = await rt.process.promptSecret("Confirm password: ");
    if (p1 !== p2) throw new CliError("passwords do not match");
  }
  if (p1 === "") throw new CliError("empty password");
  return p1;
}

async function domainDirs(rt: Runtime, configDir: string): Promise<string[]> {
  const st = await rt.files.stat(`${configDir}/domains`);
  if (!st?.isDirectory) return [];
  const out: string[] = [];
  for (const name of await rt.files.readDir(`${configDir}/domains`)) {
    if ((await rt.files.stat(`${configDir}/domains/${name}`))?.isDirectory) {
      out.push(name);
    }
  }
  return out;
}

/** U-01: a user of a new domain makes the domain local, as chasquid-util does. */
async function ensureDomainDir(
  rt: Runtime,
  io: CliIO,
  configDir: string,
  addr: string,
): Promise<void> {
  const domain = normalize.domain(split(addr)[1]);
  if (domain === "") return;
  const dir = `${configDir}/domains/${domain}`;
  if (await rt.files.stat(dir)) return;
  await rt.files.mkdir(dir, 0o755);
  io.out(`created directory ${dir} (new local domain)\n`);
}
