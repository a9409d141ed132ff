/**
 * Starts the chaski under test for the bench: a temp config dir with one
 * local domain (`bench.test`) and one receive-only user, limits raised so
 * that c=50 never hits a connection or queue limit, and the server as a
 * subprocess (Deno, Bun or a compiled binary). Also reads the server's
 * resource figures from /proc and the queue length from its SQLite file.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DatabaseSync } from "node:sqlite";
import { createDb } from "../../src/storage/mod.ts";
import { KyselyUserStore, UserDB } from "../../src/userdb/mod.ts";
import { createNodeSqlite } from "../../src/runtime/node_sqlite.ts";
import { createNodeFiles } from "../../src/runtime/node_files.ts";
import { createSystemClock } from "../../src/runtime/clock.ts";

/** Repository root. */
export const ROOT: string = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../..",
);

/** The one local recipient every bench message goes to. */
export const BENCH_RCPT = "user@bench.test";

/** How to run the server and deliver its mail. */
export interface ChaskiOptions {
  /** `deno` (source under `deno run`), `bun` (source under bun) or a binary. */
  readonly runtime: "deno" | "bun";
  /** A compiled binary to run instead of the source. @default "" */
  readonly bin?: string;
  /**
   * `true` delivers to /bin/true (stdin not read); `file` uses
   * testdata/hooks/mda-file.sh (one file per delivery under
   * {@linkcode Chaski.mailDir}); `null` is `sh -c` reading stdin to
   * /dev/null and appending one byte per delivery to
   * {@linkcode Chaski.nullCounter}.
   */
  readonly mda: MdaKind;
  /** Deliver local mail over LMTP to this address instead of the MDA. */
  readonly lmtpAddress?: string;
}

/** The MDAs the bench can configure. */
export type MdaKind = "true" | "file" | "null";

/** The null MDA's shell command; it runs in the config dir. */
const NULL_MDA = "cat > /dev/null && printf x >> ../mail/delivered";

/** A running server under test. */
export interface Chaski {
  readonly pid: number;
  readonly smtpPort: number;
  /** What ran, for the table (`deno`, `bun` or the binary's name). */
  readonly label: string;
  /** Where the `file` MDA writes: one directory per recipient. */
  readonly mailDir: string;
  /** The `null` MDA's counter file: one byte per delivery. */
  readonly nullCounter: string;
  /** Messages still in the queue (the `messages` table). */
  queueLength(): number;
  /** The process's stderr so far (bounded). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after 10 s; removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Writes the config dir, starts chaski and waits for its SMTP listener. */
export async function startChaski(opts: ChaskiOptions): Promise<Chaski> {
  const dir = mkdtempSync(join(tmpdir(), "chaski-bench-"));
  try {
    const configDir = join(dir, "config");
    writeConfig(configDir, opts);
    await addUser(join(dir, "data"));
    const [cmd, ...args] = command(opts);
    const child = spawn(cmd!, [
      ...args,
      "serve",
      "--config-dir",
      configDir,
      "-v",
      "0",
    ], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    return await waitListening(child, dir, opts);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function command(opts: ChaskiOptions): string[] {
  if (opts.bin) return [opts.bin];
  const main = join(ROOT, "src/main.ts");
  if (opts.runtime === "bun") return ["bun", main];
  return [
    "deno" in process.versions ? process.execPath : "deno",
    "run",
    "-A",
    main,
  ];
}

function writeConfig(configDir: string, opts: ChaskiOptions): void {
  mkdirSync(join(configDir, "domains", "bench.test"), { recursive: true });
  mkdirSync(join(configDir, "../mail"), { recursive: true });
  cpSync(
    join(ROOT, "testdata/certs/mx.a.test"),
    join(configDir, "certs/mx.a.test"),
    { recursive: true },
  );
  const agent = opts.mda === "file"
    ? [join(ROOT, "testdata/hooks/mda-file.sh"), ["%to%"]]
    : opts.mda === "null"
    ? ["/bin/sh", ["-c", NULL_MDA]]
    : ["/bin/true", []];
  writeFileSync(
    join(configDir, "chaski.yaml"),
    [
      "hostname: mx.a.test",
      'smtp_address: ["127.0.0.1:0"]',
      "submission_address: []",
      "submission_over_tls_address: []",
      "data_dir: ../data",
      "mail_log_path: ../mail.log",
      `mail_delivery_agent_bin: ${JSON.stringify(agent[0])}`,
      `mail_delivery_agent_args: ${JSON.stringify(agent[1])}`,
      "max_connections: 1000",
      "max_connections_per_ip: 1000",
      "max_queue_items: 1000000",
      ...(opts.lmtpAddress
        ? [`lmtp_address: ${JSON.stringify(opts.lmtpAddress)}`]
        : []),
    ].join("\n") + "\n",
  );
}

async function addUser(dataDir: string): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = await createDb({ sqlite: createNodeSqlite(), url: "", dataDir });
  try {
    const udb = new UserDB({
      store: new KyselyUserStore(db),
      files: createNodeFiles(),
      clock: createSystemClock(),
      minAuthMs: 0,
    });
    await udb.add(BENCH_RCPT, { receiveOnly: true });
  } finally {
    await db.destroy();
  }
}

function waitListening(
  child: ChildProcess,
  dir: string,
  opts: ChaskiOptions,
): Promise<Chaski> {
  let err = "";
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => die("did not listen within 30 s"), 30_000);
    function die(why: string): void {
      clearTimeout(timer);
      child.kill("SIGKILL");
      fail(new Error(`chaski ${why}; stderr:\n${err}`));
    }
    child.on("error", (e) => die(`failed to start: ${e.message}`));
    void exited.then(() => die(`exited with code ${child.exitCode}`));
    child.stderr!.on("data", (b: Uint8Array) => {
      err = (err + new TextDecoder().decode(b)).slice(-20_000);
      const m = /listening \(SMTP\) on [^\s]*:(\d+)/.exec(err);
      if (!m) return;
      clearTimeout(timer);
      child.stderr!.removeAllListeners("data");
      child.stderr!.on("data", (b: Uint8Array) => {
        err = (err + new TextDecoder().decode(b)).slice(-20_000);
      });
      ok(makeChaski(child, dir, Number(m[1]), opts, () => err, exited));
    });
  });
}

function makeChaski(
  child: ChildProcess,
  dir: string,
  smtpPort: number,
  opts: ChaskiOptions,
  stderr: () => string,
  exited: Promise<void>,
): Chaski {
  let db: DatabaseSync | null = null;
  let stopping: Promise<void> | null = null;
  return {
    pid: child.pid!,
    smtpPort,
    label: opts.bin ? `bin:${opts.bin.split("/").pop()}` : opts.runtime,
    mailDir: join(dir, "mail"),
    nullCounter: join(dir, "mail/delivered"),
    stderr,
    queueLength() {
      db ??= new DatabaseSync(join(dir, "data/chaski.db"), { readOnly: true });
      const row = db.prepare("SELECT count(*) AS n FROM messages").get() as {
        n: number;
      };
      return Number(row.n);
    },
    stop() {
      stopping ??= (async () => {
        db?.close();
        db = null;
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(t);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** CPU time (user + system, own process only) and peak RSS of a process. */
export interface ProcStats {
  readonly cpuMs: number;
  /** CPU of the children the process has waited for (cutime + cstime). */
  readonly childCpuMs: number;
  /** VmHWM: the peak resident set since the process started. */
  readonly peakRssKiB: number;
}

/** Reads /proc/<pid>/stat and /proc/<pid>/status. */
export function procStats(pid: number, clkTck: number): ProcStats {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name; utime and stime are 14, 15.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(f[11]) + Number(f[12]);
  const childTicks = Number(f[13]) + Number(f[14]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return {
    cpuMs: (ticks * 1000) / clkTck,
    childCpuMs: (childTicks * 1000) / clkTck,
    peakRssKiB: hwm ? Number(hwm[1]) : 0,
  };
}
