/**
 * Runs a shell script in a private mount, network and PID namespace whose
 * DNS is a dnsmasq on 127.0.0.1:53, for tools that cannot be pointed at
 * another DNS server (libspf2's `spfquery` reads /etc/resolv.conf and asks
 * port 53).
 *
 * Inside, only loopback exists (so nothing can leave the machine), and
 * /etc/resolv.conf is a bind mount saying `nameserver 127.0.0.1`; the mount
 * is private to the namespace. The script's shell is PID 1 of the new PID
 * namespace and `unshare --kill-child` kills it if `unshare` dies, so
 * everything started inside, dnsmasq included, is gone when the run ends,
 * however it ends. dnsmasq is also stopped explicitly.
 *
 * @example
 * ```ts
 * const skip = netnsMissing() ?? false;
 * const r = await runWithNamespaceDns({
 *   records: { "a.test": { TXT: ["v=spf1 -all"] } },
 *   script: "spfquery -ip=192.0.2.1 -sender=a@a.test",
 * });
 * ```
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DNSMASQ_BIN,
  dnsmasqConfig,
  dnsmasqMissing,
  type DnsRecordSet,
} from "./dnsmasq.ts";

/** util-linux `unshare`. */
export const UNSHARE_BIN = "/usr/bin/unshare";
/** iproute2 `ip`, to bring up loopback inside the namespace. */
export const IP_BIN = "/usr/sbin/ip";

const UNSHARE_ARGS = ["--mount", "--net", "--pid", "--fork", "--kill-child"];

/**
 * Why namespace tests must skip (a tool missing or namespaces not
 * permitted), or `null` when they can run.
 */
export function netnsMissing(): string | null {
  if (!existsSync(UNSHARE_BIN)) {
    return `${UNSHARE_BIN} is missing (apt-get install util-linux)`;
  }
  if (!existsSync(IP_BIN)) {
    return `${IP_BIN} is missing (apt-get install iproute2)`;
  }
  const dns = dnsmasqMissing();
  if (dns) return dns;
  const r = spawnSync(UNSHARE_BIN, [
    ...UNSHARE_ARGS,
    "/bin/sh",
    "-c",
    `${IP_BIN} link set lo up`,
  ], { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
  if (r.status !== 0) {
    const why = r.error?.message ?? r.stderr?.toString().trim() ?? "";
    return `mount+network namespaces are not permitted here: ${why}`;
  }
  return null;
}

/** Single-quotes `s` for /bin/sh. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Options for `runWithNamespaceDns()`. */
export interface NamespaceDnsOptions {
  /** Records dnsmasq serves on 127.0.0.1:53 (as for `startDns()`). */
  readonly records: Readonly<Record<string, DnsRecordSet>>;
  /** /bin/sh script run once dnsmasq is up. */
  readonly script: string;
  /** Kill the whole namespace after this long (default 60 s). */
  readonly timeoutMs?: number;
}

/** What the script did. */
export interface NamespaceRun {
  /** The script's exit status (null when killed). */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `opts.script` in a fresh namespace with dnsmasq serving
 * `opts.records` on 127.0.0.1:53. Throws if the namespace or dnsmasq could
 * not be set up, or on timeout.
 */
export async function runWithNamespaceDns(
  opts: NamespaceDnsOptions,
): Promise<NamespaceRun> {
  const dir = await mkdtemp(join(tmpdir(), "chaski-netns-"));
  try {
    const conf = join(dir, "dnsmasq.conf");
    const resolv = join(dir, "resolv.conf");
    const pidFile = join(dir, "dnsmasq.pid");
    const body = join(dir, "body.sh");
    await writeFile(conf, dnsmasqConfig(opts.records));
    await writeFile(resolv, "nameserver 127.0.0.1\noptions attempts:1\n");
    await writeFile(body, opts.script);
    const q = shQuote;
    // dnsmasq forks into the background only once its sockets are bound,
    // so queries made after it returns are answered.
    const wrapper = [
      "set -e",
      `${IP_BIN} link set lo up`,
      `mount --bind ${q(resolv)} /etc/resolv.conf`,
      `${DNSMASQ_BIN} --conf-file=${q(conf)} --port=53` +
      ` --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts` +
      ` --pid-file=${q(pidFile)} --user=root --group=root` +
      ` --log-facility=${q(join(dir, "dnsmasq.log"))}`,
      `trap 'kill "$(cat ${q(pidFile)})" 2>/dev/null || true' EXIT`,
      "set +e",
      `/bin/sh ${q(body)}`,
    ].join("\n");
    const child = spawn(UNSHARE_BIN, [
      ...UNSHARE_ARGS,
      "/bin/sh",
      "-c",
      wrapper,
    ], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const dec1 = new TextDecoder();
    const dec2 = new TextDecoder();
    child.stdout.on(
      "data",
      (c: Uint8Array) => stdout += dec1.decode(c, { stream: true }),
    );
    child.stderr.on(
      "data",
      (c: Uint8Array) => stderr += dec2.decode(c, { stream: true }),
    );
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // --kill-child takes the namespace's processes with it.
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 60_000);
    const status = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code) => resolve(code));
    }).finally(() => clearTimeout(timer));
    if (timedOut) {
      throw new Error(`namespace run timed out; stderr: ${stderr.trim()}`);
    }
    return { status, stdout, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
