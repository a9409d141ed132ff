/**
 * `chaski config print|check`: the effective configuration as YAML (C-19),
 * or a validation that reads the config dir as `serve` would, without
 * starting anything.
 *
 * @module
 */

import type { Runtime } from "../runtime/types.ts";
import { formatConfig, loadConfig, scanConfigDir } from "../config/mod.ts";
import {
  CliError,
  type CliIO,
  CONFIG_OPTIONS,
  DEFAULT_CONFIG_DIR,
  parse,
} from "./common.ts";

const HELP =
  `Usage: chaski config print|check [--config-dir DIR] [--config-overrides TEXT]

  print   Print the effective configuration (defaults, file, overrides) as YAML
  check   Validate the configuration, certificates and domains; exit 1 on error
`;

/** Runs `config print` or `config check`. */
export async function configCommand(
  rt: Runtime,
  io: CliIO,
  args: string[],
): Promise<number> {
  const { values, positionals } = parse(args, CONFIG_OPTIONS);
  const sub = positionals[0];
  if (values.help || sub === undefined) {
    io.out(HELP);
    return sub === undefined && !values.help ? 2 : 0;
  }
  const { config, warnings } = await loadConfig({
    files: rt.files,
    configDir: (values["config-dir"] as string | undefined) ??
      DEFAULT_CONFIG_DIR,
    overrides: (values["config-overrides"] as string | undefined) ?? "",
    hostname: rt.process.hostname(),
  });
  for (const w of warnings) io.err(`warning: ${w}\n`);
  if (sub === "print") {
    io.out(formatConfig(config));
    return 0;
  }
  if (sub === "check") {
    const scan = await scanConfigDir({
      files: rt.files,
      configDir: config.config_dir,
    });
    for (const w of scan.warnings) io.err(`warning: ${w}\n`);
    io.out(
      `config ok: ${scan.domains.length} domains, ${scan.certs.length} certificates\n`,
    );
    return 0;
  }
  throw new CliError(`unknown config subcommand "${sub}"`, 2);
}
