/**
 * The `chaski` command line. `chaski serve` runs the daemon; with no
 * subcommand, chasquid's own spelling (`chaski --config_dir=DIR`,
 * `-config_dir DIR`) also serves. chasquid-util's subcommand names work
 * too (`user-add`, `user-remove`, `authenticate`, `check-userdb`,
 * `print-config`, `aliases-resolve`, `domaininfo-remove`). Errors print
 * one line and exit non-zero.
 *
 * @module
 */

import type { Runtime } from "../runtime/types.ts";
import { serveCommand } from "./serve.ts";
import { userCommand } from "./user.ts";
import { configCommand } from "./config_cmd.ts";
import { denoFlagsCommand } from "./deno_flags.ts";
import { tryCommand } from "./try.ts";
import { aliasesCommand } from "./aliases.ts";
import { domaininfoCommand } from "./domaininfo.ts";
import { CliError, type CliIO, normalizeArgs } from "./common.ts";

export { CliError, type CliIO } from "./common.ts";

/** chaski's version string (P-01). */
export const VERSION = "0.1.0";

const USAGE = `Usage: chaski <command> [options]

Commands:
  serve     Run the mail server (--config-dir DIR, default /etc/chaski)
  try       Run a ready-to-use test server on loopback ports
  user      Manage users: add, remove, list, check
  config    print | check the effective configuration
  aliases   resolve ADDR: how the running server resolves an address
  domaininfo  list | remove DOMAIN: per-domain TLS security levels
  deno-flags  Print the "deno run" permission flags serve needs
  version   Print the version

chasquid-util spellings also work: user-add, user-remove, authenticate,
check-userdb, print-config, aliases-resolve, domaininfo-remove. Run "chaski <command> --help" for details.
`;

type Command = (rt: Runtime, io: CliIO, args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  try: tryCommand,
  user: userCommand,
  "user-add": (rt, io, a) => userCommand(rt, io, ["add", ...a]),
  "user-remove": (rt, io, a) => userCommand(rt, io, ["remove", ...a]),
  authenticate: (rt, io, a) => userCommand(rt, io, ["check", ...a]),
  "check-userdb": (rt, io, a) => userCommand(rt, io, ["count", ...a]),
  config: configCommand,
  aliases: aliasesCommand,
  "aliases-resolve": (rt, io, a) => aliasesCommand(rt, io, ["resolve", ...a]),
  domaininfo: domaininfoCommand,
  "domaininfo-remove": (rt, io, a) =>
    domaininfoCommand(rt, io, ["remove", ...a]),
  "deno-flags": denoFlagsCommand,
  "print-config": (rt, io, a) => configCommand(rt, io, ["print", ...a]),
  // Loaded on use (kept to one edit of this table); bun build bundles it.
  dkim: async (rt, io, a) => (await import("./dkim.ts")).dkimCommand(rt, io, a),
  "dkim-keygen": (rt, io, a) => COMMANDS.dkim!(rt, io, ["keygen", ...a]),
  "dkim-dns": (rt, io, a) => COMMANDS.dkim!(rt, io, ["dns", ...a]),
  version: (rt, io) => {
    io.out(
      `chaski ${VERSION} (${rt.process.runtime} ${rt.process.runtimeVersion})\n`,
    );
    return Promise.resolve(0);
  },
};

/** Runs the CLI; resolves with the exit code. */
export async function runCli(
  rt: Runtime,
  argv: readonly string[],
  io?: CliIO,
): Promise<number> {
  const out = io ??
    {
      out: (t) => rt.process.writeStdout(t),
      err: (t) => rt.process.writeStderr(t),
    };
  const args = commandFirst(normalizeArgs(argv), Object.keys(COMMANDS));
  const first = args[0];
  try {
    if (first === undefined || first.startsWith("-")) {
      if (first === "--help" || first === "-h") {
        out.out(USAGE);
        return 0;
      }
      if (first === "--version" || first === "-version") {
        return await COMMANDS.version!(rt, out, []);
      }
      return await serveCommand(rt, out, args);
    }
    const cmd = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
    if (!cmd) {
      out.err(`chaski: unknown command "${first}"\n\n${USAGE}`);
      return 1;
    }
    return await cmd(rt, out, args.slice(1));
  } catch (err) {
    out.err(`chaski: ${oneLine(err)}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

/** Options that take a separate value (`--config-dir DIR`). */
const VALUE_OPTIONS = new Set(["--config-dir", "--config-overrides", "-v"]);

/**
 * chasquid-util puts global options before the command
 * (`-C=DIR aliases-resolve ADDR`): move a known command that follows
 * leading options to the front. Without one, the arguments are left as
 * they are (chasquid's `chaski --config_dir=DIR` serves).
 */
export function commandFirst(
  args: readonly string[],
  commands: readonly string[],
): string[] {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("-")) {
      if (i === 0 || !commands.includes(a)) return [...args];
      return [a, ...args.slice(0, i), ...args.slice(i + 1)];
    }
    if (VALUE_OPTIONS.has(a)) i++;
  }
  return [...args];
}

function oneLine(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0]!;
  return String(err);
}
