/**
 * `chaski aliases resolve ADDR` (and chasquid-util's `aliases-resolve ADDR`,
 * U-05): asks the running server over the local RPC socket how it would
 * resolve an address, and prints one `(type)  target` line per recipient,
 * sorted by type (AL-12). Unlike chasquid, a forward shows its servers.
 *
 * @module
 */

import type { Runtime } from "../runtime/types.ts";
import { loadConfig } from "../config/mod.ts";
import { formatRecipients } from "../aliases/mod.ts";
import {
  addressProblem,
  ALIAS_RESOLVE,
  rpcCall,
  RpcConnectError,
  SOCKET_NAME,
  valuesToRecipients,
} from "../localrpc/mod.ts";
import {
  CliError,
  type CliIO,
  CONFIG_OPTIONS,
  DEFAULT_CONFIG_DIR,
  parse,
} from "./common.ts";

const HELP = `Usage: chaski aliases resolve ADDR [--config-dir DIR]

  resolve ADDR   Show how the running server resolves ADDR: one line per
                 recipient, "(email)", "(forward)" or "(pipe)" first
`;

/** Runs an aliases subcommand. */
export async function aliasesCommand(
  rt: Runtime,
  io: CliIO,
  args: string[],
): Promise<number> {
  const { values, positionals } = parse(args, CONFIG_OPTIONS);
  const [sub, address, ...extra] = positionals;
  if (values.help || sub === undefined) {
    io.out(HELP);
    return values.help ? 0 : 2;
  }
  if (sub !== "resolve") {
    throw new CliError(`unknown aliases subcommand "${sub}"`, 2);
  }
  if (address === undefined || extra.length > 0) {
    throw new CliError("aliases resolve takes one address", 2);
  }
  const problem = addressProblem(address);
  if (problem) throw new CliError(problem);
  const { config } = await loadConfig({
    files: rt.files,
    configDir: (values["config-dir"] as string | undefined) ??
      DEFAULT_CONFIG_DIR,
    overrides: (values["config-overrides"] as string | undefined) ?? "",
    hostname: rt.process.hostname(),
  });
  const path = `${config.data_dir}/${SOCKET_NAME}`;
  try {
    const result = await rpcCall({
      net: rt.net,
      path,
      method: ALIAS_RESOLVE,
      query: new URLSearchParams({ Address: address }),
    });
    io.out(formatRecipients(valuesToRecipients(result), { via: true }));
    return 0;
  } catch (err) {
    if (err instanceof RpcConnectError) {
      throw new CliError(
        `cannot reach the running server at ${path}: is chaski running?`,
      );
    }
    throw new CliError(
      `cannot resolve "${address}": ${(err as Error).message}`,
    );
  }
}
