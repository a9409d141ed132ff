/**
 * A real DNS server for tests: dnsmasq on 127.0.0.1 and a free port,
 * serving only the records given (everything else under the zones' top-level
 * domains is NXDOMAIN, other names are REFUSED).
 *
 * @example
 * ```ts
 * const dns = await startDns({ records: {
 *   "a.test": { MX: [{ exchange: "mx.a.test", priority: 10 }] },
 *   "mx.a.test": { A: ["127.0.0.1"] },
 * } });
 * try {
 *   // point the server under test at dns.addr
 * } finally {
 *   await dns.close();
 * }
 * ```
 *
 * Records go in a config file rather than on the command line because only
 * the file parser honours quotes, and TXT data (DKIM, SPF) may contain
 * commas. dnsmasq splits a TXT string longer than 255 bytes into several
 * strings of one record, as the wire format requires.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as dgram from "node:dgram";
import * as net from "node:net";
import process from "node:process";
import { createNodeResolver } from "../../src/runtime/node_dns.ts";
import { DnsError } from "../../src/runtime/types.ts";

/** Where Debian installs dnsmasq. */
export const DNSMASQ_BIN = "/usr/sbin/dnsmasq";

/** Records for one name. */
export interface DnsRecordSet {
  readonly A?: readonly string[];
  readonly AAAA?: readonly string[];
  readonly MX?: readonly { exchange: string; priority: number }[];
  /** One entry per record: a string, or the record's strings in order. */
  readonly TXT?: readonly (string | readonly string[])[];
  readonly CNAME?: string;
}

/** Options for `startDns()`. */
export interface StartDnsOptions {
  /** Records by owner name (no trailing dot). */
  readonly records: Readonly<Record<string, DnsRecordSet>>;
}

/** A running dnsmasq. */
export interface TestDns {
  /** `127.0.0.1:PORT`, for `ResolverOptions.server`. */
  readonly addr: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Why DNS tests must skip, or `null` when dnsmasq is available. */
export function dnsmasqMissing(): string | null {
  return existsSync(DNSMASQ_BIN)
    ? null
    : `dnsmasq is not installed at ${DNSMASQ_BIN} (apt-get install dnsmasq)`;
}

function quote(s: string): string {
  return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** The dnsmasq config lines serving `records`. */
export function dnsmasqConfig(
  records: Readonly<Record<string, DnsRecordSet>>,
): string {
  const lines: string[] = [];
  const tlds = new Set<string>(["test"]);
  for (const [name, rr] of Object.entries(records)) {
    tlds.add(name.slice(name.lastIndexOf(".") + 1));
    for (const a of rr.A ?? []) lines.push(`host-record=${name},${a}`);
    for (const a of rr.AAAA ?? []) lines.push(`host-record=${name},${a}`);
    for (const mx of rr.MX ?? []) {
      lines.push(`mx-host=${name},${mx.exchange},${mx.priority}`);
    }
    for (const t of rr.TXT ?? []) {
      const parts = typeof t === "string" ? [t] : t;
      lines.push(`txt-record=${name},${parts.map(quote).join(",")}`);
    }
    if (rr.CNAME) lines.push(`cname=${name},${rr.CNAME}`);
  }
  // Answer NXDOMAIN for unknown names in our zones instead of forwarding.
  for (const tld of tlds) lines.push(`local=/${tld}/`);
  return lines.join("\n") + "\n";
}

/** A port free on 127.0.0.1 for both UDP and TCP, at the time of asking. */
async function freePort(): Promise<number> {
  const udp = dgram.createSocket("udp4");
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", r));
  const port = udp.address().port;
  const tcp = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(port, "127.0.0.1", resolve);
    });
  } finally {
    await new Promise<void>((r) => udp.close(() => r()));
    await new Promise<void>((r) => tcp.close(() => r()));
  }
  return port;
}

/** Starts dnsmasq and waits until it answers. */
export async function startDns(opts: StartDnsOptions): Promise<TestDns> {
  const missing = dnsmasqMissing();
  if (missing) throw new Error(missing);
  const dir = await mkdtemp(join(tmpdir(), "chaski-dns-"));
  const conf = join(dir, "dnsmasq.conf");
  await writeFile(conf, dnsmasqConfig(opts.records));
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let port: number;
    try {
      port = await freePort();
    } catch (err) {
      lastError = err as Error;
      continue;
    }
    try {
      return await launch(conf, dir, port);
    } catch (err) {
      // Most likely someone took the port between freePort() and bind.
      lastError = err as Error;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error("dnsmasq did not start", { cause: lastError });
}

async function launch(
  conf: string,
  dir: string,
  port: number,
): Promise<TestDns> {
  const child = spawn(DNSMASQ_BIN, [
    `--conf-file=${conf}`,
    `--port=${port}`,
    "--listen-address=127.0.0.1",
    "--bind-interfaces",
    "--no-resolv",
    "--no-hosts",
    "--keep-in-foreground",
    "--pid-file=",
    "--log-facility=-",
    // As root dnsmasq drops to "nobody", which may not read our temp dir.
    ...(process.getuid?.() === 0 ? ["--user=root", "--group=root"] : []),
  ], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on(
    "data",
    (c: Uint8Array) => stderr += new TextDecoder().decode(c),
  );
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let alive = true;
  void exited.then(() => alive = false);
  async function close(): Promise<void> {
    if (alive) {
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
  const probe = createNodeResolver({
    server: `127.0.0.1:${port}`,
    timeoutMs: 100,
  });
  const deadline = Date.now() + 5000;
  for (;;) {
    if (!alive) throw new Error(`dnsmasq exited: ${stderr.trim()}`);
    try {
      await probe.a("chaski-probe.test");
      break;
    } catch (err) {
      if (err instanceof DnsError && err.code !== "ETIMEOUT") break;
    }
    if (Date.now() > deadline) {
      if (alive) child.kill("SIGKILL");
      await exited;
      throw new Error(`dnsmasq did not answer: ${stderr.trim()}`);
    }
  }
  return { addr: `127.0.0.1:${port}`, port, close };
}
