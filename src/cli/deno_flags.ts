/**
 * `chaski deno-flags`: the `deno run` permission flags `chaski serve` needs
 * for a config dir, one per line, so the daemon can run under Deno with
 * least privilege:
 *
 * ```sh
 * deno run $(chaski deno-flags --config-dir /etc/chaski) src/main.ts serve --config-dir /etc/chaski
 * ```
 *
 * What each flag covers (found with `DENO_AUDIT_PERMISSIONS` over the
 * end-to-end suite, then checked by running that suite with only these
 * flags: `deno task test:deno-flags`):
 *
 * - `--allow-read`: the config dir (chaski.yaml, certs, domains, hooks), the
 *   data dir (SQLite), the mail log file, /etc/resolv.conf when
 *   `dns_server` is empty, an LMTP unix socket.
 * - `--allow-write`: the data dir, the mail log file's directory (created
 *   if missing), an LMTP unix socket.
 * - `--allow-net`: each listen address (`:25` binds `[::]:25`), the
 *   monitoring address, the local RPC socket (`unix:<data_dir>/localrpc-v1`), the DNS server (and `0.0.0.0:0`, the UDP socket's
 *   bind), the LMTP address, and `0.0.0.0/0:<outgoing_smtp_port>`: any IPv4
 *   host on the outgoing port. Deno cannot scope IPv6 ranges by port, so
 *   deliveries to IPv6-only MX hosts need a plain `--allow-net`.
 * - `--allow-run`: the MDA (exactly as configured: Deno compares the path
 *   as spawned, so `/bin/sh` does not allow `/usr/bin/sh`), the hooks in
 *   `<config_dir>/hooks/`, and the command of every pipe alias found in the
 *   aliases files now. Pipe aliases added later, or printed by the
 *   `alias-resolve` hook, need the flags regenerated (and a restart).
 * - `--allow-env`: `NODE_V8_COVERAGE` (read by `node:child_process` on every
 *   spawn), `PATH`, `USER`, `SHELL` (passed to hooks).
 * - `--ignore-env`: `LOG_TOKENS`, `LOG_STREAM` (the `yaml` package's debug
 *   switches) read as unset instead of failing.
 * - `--allow-sys=hostname`: the default `hostname` and the queue's owner.
 * - `--no-prompt`: a daemon must fail, not wait on a prompt.
 *
 * Flags are not shell-quoted: paths with spaces or commas cannot be
 * expressed in Deno's comma-separated lists anyway.
 *
 * @module
 */

import type { Runtime } from "../runtime/types.ts";
import type { Config } from "../config/mod.ts";
import { loadConfig } from "../config/mod.ts";
import { parseAliases, pipeArgv } from "../aliases/mod.ts";
import { SOCKET_NAME } from "../localrpc/mod.ts";
import {
  type CliIO,
  CONFIG_OPTIONS,
  DEFAULT_CONFIG_DIR,
  parse,
} from "./common.ts";

const HELP =
  `Usage: chaski deno-flags [--config-dir DIR] [--config-overrides TEXT]

Prints, one per line, the "deno run" permission flags that "chaski serve"
needs with this configuration (read the config dir, read and write the data
dir, net on its addresses, DNS and outgoing SMTP, run the MDA, hooks and pipe
aliases). Regenerate them after changing the config or adding pipe aliases.
`;

/** Hooks the server may run; listed whether or not they exist yet. */
const HOOKS = ["post-data", "envelope", "alias-resolve"] as const;

/** Environment variables the server reads. */
const ENV = ["NODE_V8_COVERAGE", "PATH", "USER", "SHELL"] as const;

/** Environment variables read by dependencies that may read as unset. */
const IGNORED_ENV = ["LOG_TOKENS", "LOG_STREAM"] as const;

/** What `denoFlags` needs besides the config. */
export interface FlagInputs {
  /** The DNS server when `dns_server` is empty (resolv.conf's first nameserver). */
  readonly systemDns: string;
  /** Commands (argv[0]) of the pipe aliases in the aliases files. */
  readonly pipeCommands: readonly string[];
}

/** Runs `deno-flags`. */
export async function denoFlagsCommand(
  rt: Runtime,
  io: CliIO,
  args: string[],
): Promise<number> {
  const { values } = parse(args, CONFIG_OPTIONS, false);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const { config, warnings } = await loadConfig({
    files: rt.files,
    configDir: (values["config-dir"] as string | undefined) ??
      DEFAULT_CONFIG_DIR,
    overrides: (values["config-overrides"] as string | undefined) ?? "",
    hostname: rt.process.hostname(),
  });
  for (const w of warnings) io.err(`warning: ${w}\n`);
  const inputs: FlagInputs = {
    systemDns: config.dns_server === "" ? await systemDns(rt) : "",
    pipeCommands: await pipeCommands(rt, io, config),
  };
  io.out(denoFlags(config, inputs).join("\n") + "\n");
  return 0;
}

/** The flags for a config, in a stable order. */
export function denoFlags(config: Config, inputs: FlagInputs): string[] {
  const read = [config.config_dir, config.data_dir];
  const write = [config.data_dir];
  const net: string[] = [];
  const run: string[] = [];
  const listen = [
    ...config.smtp_address,
    ...config.submission_address,
    ...config.submission_over_tls_address,
    ...(config.monitoring_address ? [config.monitoring_address] : []),
  ];
  for (const a of listen) net.push(listenEntry(a));
  net.push(`unix:${config.data_dir}/${SOCKET_NAME}`);
  const dns = hostPort(config.dns_server || inputs.systemDns, 53);
  net.push(dns, dns.startsWith("[") ? "[::]:0" : "0.0.0.0:0");
  if (config.dns_server === "") read.push("/etc/resolv.conf");
  net.push(`0.0.0.0/0:${config.outgoing_smtp_port}`);
  if (config.lmtp_address.startsWith("/")) {
    net.push(`unix:${config.lmtp_address}`);
    read.push(config.lmtp_address);
    write.push(config.lmtp_address);
  } else if (config.lmtp_address !== "") {
    net.push(hostPort(config.lmtp_address, 24));
  } else {
    run.push(config.mail_delivery_agent_bin);
  }
  if (!/^<(syslog|stdout|stderr)>$/.test(config.mail_log_path)) {
    // The mail log sink creates the file's directory (mkdir -p), which
    // Deno checks as a write to that directory.
    read.push(config.mail_log_path);
    write.push(dirOf(config.mail_log_path));
  }
  for (const h of HOOKS) run.push(`${config.config_dir}/hooks/${h}`);
  run.push(...inputs.pipeCommands);
  return [
    `--allow-read=${unique(read)}`,
    `--allow-write=${unique(write)}`,
    `--allow-net=${unique(net)}`,
    `--allow-run=${unique(run)}`,
    `--allow-env=${ENV.join(",")}`,
    `--ignore-env=${IGNORED_ENV.join(",")}`,
    "--allow-sys=hostname",
    "--no-prompt",
  ];
}

/** A listen address as Deno checks it: `:25` binds `::`. */
function listenEntry(address: string): string {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address);
  const host = m ? (m[1] ?? m[2] ?? "") : address;
  const port = m ? m[3] : "";
  const h = host === "" ? "::" : host;
  return h.includes(":") ? `[${h}]:${port}` : `${h}:${port}`;
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address, with a port. */
function hostPort(spec: string, port: number): string {
  const s = spec.trim();
  if (/^\[[^\]]+\]:\d+$/.test(s) || /^[^:]+:\d+$/.test(s)) return s;
  if (/^\[[^\]]+\]$/.test(s)) return `${s}:${port}`;
  if (s.includes(":")) return `[${s}]:${port}`;
  return `${s}:${port}`;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i > 0 ? path.slice(0, i) : "/";
}

function unique(items: readonly string[]): string {
  return [...new Set(items)].join(",");
}

/** The first nameserver of /etc/resolv.conf, as the resolver picks it. */
async function systemDns(rt: Runtime): Promise<string> {
  let text = "";
  try {
    text = await rt.files.readText("/etc/resolv.conf");
  } catch {
    // No resolv.conf: the resolver falls back to 127.0.0.1.
  }
  const m = /^\s*nameserver\s+(\S+)/m.exec(text);
  return m?.[1]?.replace(/%.*$/, "") ?? "127.0.0.1";
}

/** argv[0] of every pipe alias in `domains/<d>/aliases`. */
async function pipeCommands(
  rt: Runtime,
  io: CliIO,
  config: Config,
): Promise<string[]> {
  const domainsDir = `${config.config_dir}/domains`;
  let domains: string[] = [];
  try {
    domains = await rt.files.readDir(domainsDir);
  } catch {
    return [];
  }
  const cmds: string[] = [];
  for (const d of domains.sort()) {
    const file = `${domainsDir}/${d}/aliases`;
    let text: string;
    try {
      text = await rt.files.readText(file);
    } catch {
      continue;
    }
    try {
      const table = parseAliases(text, { domain: d, file });
      for (const targets of table.values()) {
        for (const t of targets) {
          const cmd = t.type === "pipe" ? pipeArgv(t.address)[0] : undefined;
          if (cmd) cmds.push(cmd);
        }
      }
    } catch (e) {
      io.err(`warning: ${(e as Error).message}\n`);
    }
  }
  return cmds;
}
