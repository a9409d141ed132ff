/**
 * `chaski serve`: runs the daemon until SIGTERM/SIGINT (graceful stop).
 *
 * @module
 */

import type { Runtime } from "../runtime/types.ts";
import { createApp } from "../app.ts";
import {
  type CliIO,
  CONFIG_OPTIONS,
  DEFAULT_CONFIG_DIR,
  parse,
  verbosity,
} from "./common.ts";

const HELP =
  `Usage: chaski serve [--config-dir DIR] [--config-overrides TEXT] [-v N]

Runs the mail server with the configuration in DIR (default ${DEFAULT_CONFIG_DIR}):
chaski.yaml, or an unchanged chasquid.conf, plus certs/, domains/ and hooks/.
--config-overrides takes text-proto ("hostname: \\"x\\"") or a YAML flow
mapping ("{hostname: x}") applied over the file. -v 1 shows debug logs.
SIGHUP reloads users, domains and certificates; SIGTERM and SIGINT stop
gracefully.
`;

/** Runs the server; resolves with the exit code once stopped. */
export async function serveCommand(
  rt: Runtime,
  io: CliIO,
  args: string[],
): Promise<number> {
  const { values } = parse(args, CONFIG_OPTIONS, false);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const app = await createApp({
    runtime: rt,
    configDir: (values["config-dir"] as string | undefined) ??
      DEFAULT_CONFIG_DIR,
    overrides: (values["config-overrides"] as string | undefined) ?? "",
    verbosity: verbosity(values.v),
  });
  for (const a of app.addresses) {
    app.log.info(`listening (${a.mode}) on ${a.host}:${a.port}`);
  }
  await app.done;
  return 0;
}
