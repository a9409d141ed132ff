/**
 * The end-to-end harness: starts a real chaski server process (from source
 * under the runtime running the tests, or `$CHASKI_BIN` when set) on
 * loopback port 0 with a temp config dir, and gives tests its ports, raw
 * connections and delivered mail.
 *
 * ```ts
 * const srv = await startServer({ users: { "user@a.test": "secret" } });
 * const c = await srv.dial("submission");
 * srv.mailbox("user@a.test"); // delivered messages, oldest first
 * await srv.close();
 * ```
 *
 * The temp dir is removed on close unless `CHASKI_KEEP_TMP=1`; its path is
 * printed when the server exits early.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { Buffer } from "node:buffer";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as net from "node:net";
import * as tls from "node:tls";
import { createDb } from "../../src/storage/mod.ts";
import { KyselyUserStore, UserDB } from "../../src/userdb/mod.ts";
import { createNodeSqlite } from "../../src/runtime/node_sqlite.ts";
import { createNodeFiles } from "../../src/runtime/node_files.ts";
import { createSystemClock } from "../../src/runtime/clock.ts";
import { nxdomainDns } from "./dns_stub.ts";
import { testCa } from "./certs.ts";

/** Repository root. */
export const ROOT: string = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../..",
);

/** The three modes and how tests name them. */
export type ModeName = "smtp" | "submission" | "submission+tls";

const MODE_OF_LOG: Record<string, ModeName> = {
  SMTP: "smtp",
  submission: "submission",
  "submission+TLS": "submission+tls",
};

/** Options for `startServer`. */
export interface ServerOptions {
  /** Extra `chaski.yaml` content (YAML lines) appended to the defaults. */
  readonly yaml?: string;
  /** The server's `hostname`. @default "mx.a.test" */
  readonly hostname?: string;
  /** Local domains to create. @default ["a.test", "b.test"] */
  readonly domains?: readonly string[];
  /** Database users and passwords; `null` makes a receive-only user. */
  readonly users?: Readonly<Record<string, string | null>>;
  /** Extra files in the config dir, by relative path. */
  readonly files?: Readonly<Record<string, string>>;
  /** Certificates to install from testdata/certs. @default ["mx.a.test", "mail.b.test"] */
  readonly certs?: readonly string[];
  /** Use this existing config dir instead of generating one (copied first). */
  readonly configDir?: string;
  /** Extra CLI arguments. */
  readonly args?: readonly string[];
  /**
   * Restart on an existing test dir (a previous server's `dir`): its config,
   * data, queue and mail are reused as they are; nothing is written.
   */
  readonly keepDir?: string;
}

/** A running test server. */
export interface TestServer {
  readonly dir: string;
  readonly configDir: string;
  port(mode: ModeName): number;
  /** A raw TCP connection (TLS already up for submission+tls). */
  dial(mode: ModeName, opts?: { servername?: string }): Promise<RawConn>;
  /** Delivered messages for an address, oldest first. */
  mailbox(address: string): string[];
  /** Waits until `address` has at least `n` messages. */
  waitMail(address: string, n?: number, timeoutMs?: number): Promise<string[]>;
  /** The mail log so far. */
  mailLog(): string;
  /** The process's stderr so far. */
  stderr(): string;
  signal(sig: NodeJS.Signals): void;
  /** Stops the server (SIGTERM) and removes the temp dir. */
  close(): Promise<void>;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number | null>;
}

/**
 * How to run chaski: the compiled binary, or the source under this runtime.
 * With `CHASKI_DENO_FLAGS=1` under Deno, a server for `serve` (the config
 * dir and CLI arguments given) runs with only the permissions
 * `chaski deno-flags` prints for that config instead of `-A`.
 */
export function chaskiCommand(
  serve?: { configDir: string; args: readonly string[] },
): string[] {
  const bin = process.env.CHASKI_BIN;
  if (bin) return [bin];
  const main = join(ROOT, "src/main.ts");
  if ("Bun" in globalThis) return [process.execPath, main];
  if (serve && process.env.CHASKI_DENO_FLAGS === "1") {
    return [process.execPath, "run", ...denoFlags(serve), main];
  }
  return [process.execPath, "run", "-A", main];
}

function denoFlags(
  serve: { configDir: string; args: readonly string[] },
): string[] {
  const main = join(ROOT, "src/main.ts");
  const r = spawnSync(process.execPath, [
    "run",
    "-A",
    main,
    "deno-flags",
    "--config-dir",
    serve.configDir,
    ...serve.args,
  ], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`chaski deno-flags: ${r.stderr}`);
  return r.stdout.split("\n").filter((l) => l !== "");
}

/** Starts a server and waits until every listener is bound. */
export async function startServer(
  opts: ServerOptions = {},
): Promise<TestServer> {
  const dir = opts.keepDir ?? mkdtempSync(join(tmpdir(), "chaski-e2e-"));
  const configDir = join(dir, "config");
  if (!opts.keepDir) await prepareDir(dir, configDir, opts);

  const [cmd, ...pre] = chaskiCommand({ configDir, args: opts.args ?? [] });
  const child = spawn(cmd!, [
    ...pre,
    "serve",
    "--config-dir",
    configDir,
    "-v",
    "1",
    ...(opts.args ?? []),
  ], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  return await waitReady(child, dir, configDir, opts);
}

async function prepareDir(
  dir: string,
  configDir: string,
  opts: ServerOptions,
): Promise<void> {
  mkdirSync(join(dir, "mail"), { recursive: true });
  if (opts.configDir) cpSync(opts.configDir, configDir, { recursive: true });
  else writeConfigDir(configDir, opts, await nxdomainDns());
  for (const [path, text] of Object.entries(opts.files ?? {})) {
    mkdirSync(dirname(join(configDir, path)), { recursive: true });
    writeFileSync(join(configDir, path), text, {
      mode: path.startsWith("hooks/") ? 0o755 : 0o644,
    });
  }
  await addUsers(configDir, opts.users ?? {});
}

/**
 * Writes the default test config. Unless the test sets `dns_server`, the
 * server asks a local stub that answers NXDOMAIN at once (SPF, DKIM and MX
 * lookups of test names never wait on the network).
 */
function writeConfigDir(
  configDir: string,
  opts: ServerOptions,
  dnsStub: string,
): void {
  for (const d of opts.domains ?? ["a.test", "b.test"]) {
    mkdirSync(join(configDir, "domains", d), { recursive: true });
  }
  for (const c of opts.certs ?? ["mx.a.test", "mail.b.test"]) {
    cpSync(join(ROOT, "testdata/certs", c), join(configDir, "certs", c), {
      recursive: true,
    });
  }
  writeFileSync(
    join(configDir, "chaski.yaml"),
    [
      `hostname: ${opts.hostname ?? "mx.a.test"}`,
      'smtp_address: ["127.0.0.1:0"]',
      'submission_address: ["127.0.0.1:0"]',
      'submission_over_tls_address: ["127.0.0.1:0"]',
      "data_dir: ../data",
      "mail_log_path: ../mail.log",
      `mail_delivery_agent_bin: ${
        JSON.stringify(join(ROOT, "testdata/hooks/mda-file.sh"))
      }`,
      'mail_delivery_agent_args: ["%to%"]',
      /^dns_server:/m.test(opts.yaml ?? "") ? "" : `dns_server: "${dnsStub}"`,
      opts.yaml ?? "",
    ].join("\n") + "\n",
  );
}

async function addUsers(
  configDir: string,
  users: Readonly<Record<string, string | null>>,
): Promise<void> {
  if (Object.keys(users).length === 0) return;
  const dataDir = join(configDir, "../data");
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = await createDb({ sqlite: createNodeSqlite(), url: "", dataDir });
  try {
    const udb = new UserDB({
      store: new KyselyUserStore(db),
      files: createNodeFiles(),
      clock: createSystemClock(),
      minAuthMs: 0,
    });
    for (const [addr, pw] of Object.entries(users)) {
      await udb.add(
        addr,
        pw === null ? { receiveOnly: true } : { password: pw },
      );
    }
  } finally {
    await db.destroy();
  }
}

function waitReady(
  child: ChildProcess,
  dir: string,
  configDir: string,
  opts: ServerOptions,
): Promise<TestServer> {
  const ports = new Map<ModeName, number>();
  let err = "";
  let out = "";
  const exited = new Promise<number | null>((r) =>
    child.on("exit", (code) => r(code))
  );
  return new Promise((resolveReady, reject) => {
    const expected = 3 -
      ["smtp", "submission", "submission_over_tls"].filter((k) =>
        (opts.yaml ?? "").includes(`${k}_address: []`)
      ).length;
    const timer = setTimeout(
      () => fail("server did not start within 30 s"),
      30_000,
    );
    function fail(why: string) {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(
        new Error(`${why} (dir ${dir})\nstderr:\n${err}\nstdout:\n${out}`),
      );
    }
    child.stdout!.on(
      "data",
      (b: Uint8Array) => (out += new TextDecoder().decode(b)),
    );
    child.stderr!.on("data", (b: Uint8Array) => {
      err += new TextDecoder().decode(b);
      for (
        const m of err.matchAll(
          /listening \((SMTP|submission|submission\+TLS)\) on [^\s]*:(\d+)/g,
        )
      ) {
        ports.set(MODE_OF_LOG[m[1]!]!, Number(m[2]));
      }
      if (ports.size >= expected) {
        clearTimeout(timer);
        resolveReady(
          makeServer(child, dir, configDir, ports, () => err, exited),
        );
      }
    });
    void exited.then((code) => fail(`server exited with code ${code}`));
  });
}

function makeServer(
  child: ChildProcess,
  dir: string,
  configDir: string,
  ports: Map<ModeName, number>,
  stderr: () => string,
  exited: Promise<number | null>,
): TestServer {
  const mailbox = (address: string) => {
    const d = join(dir, "mail", address);
    if (!existsSync(d)) return [];
    return readdirSync(d).filter((f) => !f.startsWith(".")).sort().map((f) =>
      readFileSync(join(d, f), "utf8")
    );
  };
  return {
    dir,
    configDir,
    exited,
    port(mode) {
      const p = ports.get(mode);
      if (p === undefined) throw new Error(`no ${mode} listener`);
      return p;
    },
    dial(mode, o = {}) {
      return RawConn.connect(
        ports.get(mode)!,
        mode === "submission+tls",
        o.servername ?? "mx.a.test",
      );
    },
    mailbox,
    async waitMail(address, n = 1, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const m = mailbox(address);
        if (m.length >= n) return m;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(
        `timed out waiting for ${n} message(s) to ${address}; mail log:\n${this.mailLog()}`,
      );
    },
    mailLog: () =>
      existsSync(join(dir, "mail.log"))
        ? readFileSync(join(dir, "mail.log"), "utf8")
        : "",
    stderr,
    // process.kill, not child.kill: Deno's node:child_process reports a
    // child it signalled through child.kill as killed by that signal
    // (code null) even when the child handled it and exited 0.
    signal: (sig) => {
      if (child.pid !== undefined && child.exitCode === null) {
        process.kill(child.pid, sig);
      }
    },
    async close() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(t);
      }
      if (process.env.CHASKI_KEEP_TMP !== "1") {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Options for `sendMail`. */
export interface SendOptions {
  readonly mode?: ModeName;
  /** Authenticate (AUTH PLAIN, after STARTTLS when needed). */
  readonly auth?: { readonly user: string; readonly password: string };
  /** STARTTLS even without AUTH. */
  readonly tls?: boolean;
  readonly servername?: string;
  readonly from: string;
  readonly to: readonly string[];
  /** The message as it should arrive (CRLF lines); dot-stuffed here. */
  readonly data: string;
}

/**
 * Sends one message over a fresh connection and returns the reply to the
 * end of DATA (its last line). Any unexpected reply before that throws.
 */
export async function sendMail(
  srv: TestServer,
  o: SendOptions,
): Promise<string> {
  const mode = o.mode ?? "smtp";
  const c = await srv.dial(
    mode,
    o.servername ? { servername: o.servername } : {},
  );
  try {
    await expect(c.reply(), /^220 /);
    await expect(c.cmd("EHLO client.test"), /^250 /);
    if ((o.tls || o.auth) && mode !== "submission+tls") {
      await expect(c.cmd("STARTTLS"), /^220 /);
      await c.startTls(o.servername);
      await expect(c.cmd("EHLO client.test"), /^250 /);
    }
    if (o.auth) {
      const b64 = Buffer.from(`\0${o.auth.user}\0${o.auth.password}`)
        .toString("base64");
      await expect(c.cmd(`AUTH PLAIN ${b64}`), /^235 /);
    }
    await expect(c.cmd(`MAIL FROM:<${o.from}>`), /^250 /);
    for (const r of o.to) await expect(c.cmd(`RCPT TO:<${r}>`), /^250 /);
    await expect(c.cmd("DATA"), /^354 /);
    c.send(dotStuff(o.data) + ".\r\n");
    const end = (await c.reply()).at(-1)!;
    c.line("QUIT");
    return end;
  } finally {
    c.close();
  }
}

/** Dot-stuffs a CRLF message and makes sure it ends with CRLF. */
export function dotStuff(data: string): string {
  const body = data.endsWith("\r\n") ? data : data + "\r\n";
  return body.replace(/^\./gm, "..");
}

async function expect(reply: Promise<string[]>, re: RegExp): Promise<void> {
  const lines = await reply;
  if (!re.test(lines.at(-1) ?? "")) {
    throw new Error(`unexpected reply ${JSON.stringify(lines)}, want ${re}`);
  }
}

/** What a CLI run printed and how it ended. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for `runCli`. */
export interface CliOptions {
  /** Text written to the command's stdin (closed afterwards). */
  readonly stdin?: string;
  readonly cwd?: string;
  /** Kill the command (SIGKILL) after this long. @default 30_000 */
  readonly timeoutMs?: number;
}

/**
 * Runs the `chaski` CLI as a subprocess (same runtime selection as
 * `startServer`, or `$CHASKI_BIN`) and collects its output.
 */
export function runCli(
  args: readonly string[],
  opts: CliOptions = {},
): Promise<CliResult> {
  const [cmd, ...pre] = chaskiCommand();
  const child = spawn(cmd!, [...pre, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (b: Uint8Array) => (stdout += decode(b)));
  child.stderr!.on("data", (b: Uint8Array) => (stderr += decode(b)));
  child.stdin!.on("error", () => {});
  child.stdin!.end(opts.stdin ?? "");
  return new Promise((res, rej) => {
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      rej(new Error(`chaski ${args.join(" ")}: no exit within the timeout`));
    }, opts.timeoutMs ?? 30_000);
    child.on("close", (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
}

function decode(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

/** A line-oriented client socket for dialogs and raw protocol tests. */
export class RawConn {
  #sock: net.Socket;
  #buf = "";
  #waiters: (() => void)[] = [];
  #closed = false;

  private constructor(sock: net.Socket) {
    this.#sock = sock;
    this.#attach();
  }

  /** Connects to 127.0.0.1:port, with implicit TLS when asked. */
  static connect(
    port: number,
    implicitTls: boolean,
    servername: string,
  ): Promise<RawConn> {
    return new Promise((res, rej) => {
      const sock = implicitTls
        ? tls.connect(
          { host: "127.0.0.1", port, servername, ca: testCa() },
          () => res(new RawConn(sock)),
        )
        : net.connect(
          { host: "127.0.0.1", port },
          () => res(new RawConn(sock)),
        );
      sock.once("error", rej);
    });
  }

  #attach(): void {
    this.#sock.on("data", (b: Uint8Array) => {
      this.#buf += new TextDecoder().decode(b);
      this.#wake();
    });
    this.#sock.on("close", () => {
      this.#closed = true;
      this.#wake();
    });
    this.#sock.on("error", () => {});
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** True once the peer closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The TLS socket's details, when on TLS. */
  get tlsSocket(): tls.TLSSocket | null {
    return this.#sock instanceof tls.TLSSocket ? this.#sock : null;
  }

  /** Sends raw text (no CRLF added). */
  send(text: string | Uint8Array): void {
    this.#sock.write(text);
  }

  /** Sends a line with CRLF. */
  line(text: string): void {
    this.#sock.write(`${text}\r\n`);
  }

  /** Sends a line and reads the whole reply. */
  async cmd(text: string, timeoutMs = 10_000): Promise<string[]> {
    this.line(text);
    return await this.reply(timeoutMs);
  }

  /** Reads one line (without CRLF); null at EOF. */
  async readLine(timeoutMs = 10_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#buf.indexOf("\n");
      if (i >= 0) {
        const l = this.#buf.slice(0, i).replace(/\r$/, "");
        this.#buf = this.#buf.slice(i + 1);
        return l;
      }
      if (this.#closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out waiting for a line; have ${JSON.stringify(this.#buf)}`,
        );
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Reads a whole (possibly multi-line) reply; returns its lines. */
  async reply(timeoutMs = 10_000): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.readLine(timeoutMs);
      if (l === null) {
        throw new Error(
          `connection closed mid-reply after ${JSON.stringify(lines)}`,
        );
      }
      lines.push(l);
      if (!/^\d{3}-/.test(l)) return lines;
    }
  }

  /** Upgrades to TLS (after the server's 220 to STARTTLS). */
  startTls(servername = "mx.a.test"): Promise<void> {
    return new Promise((res, rej) => {
      this.#sock.removeAllListeners("data");
      this.#sock.removeAllListeners("close");
      const s = tls.connect(
        { socket: this.#sock, servername, ca: testCa() },
        () => {
          this.#sock = s;
          this.#attach();
          res();
        },
      );
      s.once("error", rej);
    });
  }

  /** Waits until the server closes the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) {
      if (Date.now() > deadline) throw new Error("connection still open");
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): void {
    this.#sock.destroy();
  }
}

/** Waits (bounded) until `read()` matches `re`; returns the text it matched. */
export async function waitText(
  read: () => string,
  re: RegExp,
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = read();
    if (re.test(text)) return text;
    if (Date.now() > deadline) {
      throw new Error(`no line matching ${re}; text:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits for a mail log line matching `re`; returns the whole mail log. */
export function waitLog(
  srv: TestServer,
  re: RegExp,
  timeoutMs = 20_000,
): Promise<string> {
  return waitText(() => srv.mailLog(), re, timeoutMs);
}

/** The queue id of a `250 2.0.0 … queued as <id>` reply. */
export function queueId(reply: string): string {
  const m = /^250 2\.0\.0 .*queued as (\S+)/.exec(reply);
  if (!m) throw new Error(`no queue id in ${JSON.stringify(reply)}`);
  return m[1]!;
}

/**
 * A delivered message without the Authentication-Results and Received-SPF
 * headers chaski puts on top of unauthenticated mail (D-04), for tests that
 * look at what follows: our Received header, then the message as sent.
 */
export function withoutAuthHeaders(message: string): string {
  return message.replace(
    /^(?:(?:Authentication-Results|Received-SPF):[^\n]*\n(?:[\t ][^\n]*\n)*)*/,
    "",
  );
}
