/**
 * A private Postfix instance for interop tests: its own config, queue and
 * data directories in a temp dir, smtpd on 127.0.0.1 and a free port, mail
 * for `domain` delivered by virtual(8) into one Maildir per user, and its
 * log in `<dir>/maillog`. The system Postfix is never touched.
 *
 * ```ts
 * const pf = await startPostfix({ domain: "pf.test", users: ["carl"] });
 * try {
 *   pf.port; // smtpd
 *   await pf.waitMail("carl");
 * } finally {
 *   await pf.stop();
 * }
 * ```
 *
 * Postfix needs root (master drops privileges to `postfix`); without it,
 * or without the binaries, `postfixMissing()` names the reason.
 *
 * @module
 */
import { execFile } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { CERTS_DIR } from "./certs.ts";

export const POSTFIX_BIN = "/usr/sbin/postfix";
export const SENDMAIL_BIN = "/usr/sbin/sendmail";

/** Why Postfix tests must skip, or `null` when they can run. */
export function postfixMissing(): string | null {
  if (!existsSync(POSTFIX_BIN)) {
    return `postfix is not installed at ${POSTFIX_BIN} (apt-get install postfix)`;
  }
  if (process.getuid?.() !== 0) return "a private postfix needs root";
  return null;
}

/** Options for `startPostfix`. */
export interface PostfixOptions {
  /** Domain delivered locally into Maildirs. @default "pf.test" */
  readonly domain?: string;
  /** Local parts with a mailbox in `domain`. */
  readonly users?: readonly string[];
  /** Extra main.cf settings (override the defaults). */
  readonly main?: Readonly<Record<string, string>>;
}

/** A running private Postfix. */
export interface TestPostfix {
  readonly dir: string;
  /** smtpd's port on 127.0.0.1. */
  readonly port: number;
  /** Delivered messages for a local part of `domain`, oldest first. */
  mailbox(user: string): string[];
  waitMail(user: string, n?: number, timeoutMs?: number): Promise<string[]>;
  /** Postfix's own log so far. */
  log(): string;
  /** Injects a message with Postfix's sendmail(1). */
  sendmail(from: string, to: readonly string[], data: string): Promise<void>;
  /** Stops Postfix and removes the temp dir. */
  stop(): Promise<void>;
}

/** Postfix could not start; `message` carries its log. */
export class PostfixStartError extends Error {
  override name = "PostfixStartError";
}

function run(
  cmd: string,
  args: readonly string[],
  stdin?: string,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      [...args],
      { timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, out: `${stdout}${stderr}` });
      },
    );
    child.stdin?.on("error", () => {});
    child.stdin?.end(stdin ?? "");
  });
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function idOf(flag: "-u" | "-g", name: string): Promise<number> {
  const { code, out } = await run("/usr/bin/id", [flag, name]);
  if (code !== 0) throw new PostfixStartError(`no ${name} account: ${out}`);
  return Number(out.trim());
}

const SERVICES = [
  "pickup unix n - n 60 1 pickup",
  "cleanup unix n - n - 0 cleanup",
  "qmgr unix n - n 300 1 qmgr",
  "tlsmgr unix - - n 1000? 1 tlsmgr",
  "rewrite unix - - n - - trivial-rewrite",
  "bounce unix - - n - 0 bounce",
  "defer unix - - n - 0 bounce",
  "trace unix - - n - 0 bounce",
  "verify unix - - n - 1 verify",
  "flush unix n - n 1000? 0 flush",
  "proxymap unix - - n - - proxymap",
  "proxywrite unix - - n - 1 proxymap",
  "smtp unix - - n - - smtp",
  "relay unix - - n - - smtp",
  "showq unix n - n - - showq",
  "error unix - - n - - error",
  "retry unix - - n - - error",
  "discard unix - - n - - discard",
  "local unix - n n - - local",
  "virtual unix - n n - - virtual",
  "anvil unix - - n - 1 anvil",
  "scache unix - - n - 1 scache",
  "postlog unix-dgram n - n - 1 postlogd",
];

function mainCf(
  dir: string,
  domain: string,
  uid: number,
  gid: number,
  extra: Readonly<Record<string, string>>,
): string {
  const cert = join(CERTS_DIR, "mail.b.test");
  const settings: Record<string, string> = {
    compatibility_level: "3.6",
    queue_directory: join(dir, "queue"),
    data_directory: join(dir, "data"),
    meta_directory: "/etc/postfix",
    maillog_file: join(dir, "maillog"),
    maillog_file_prefixes: dir,
    myhostname: `mx.${domain}`,
    mydomain: domain,
    myorigin: domain,
    mydestination: "",
    inet_interfaces: "127.0.0.1",
    inet_protocols: "ipv4",
    mynetworks: "127.0.0.0/8",
    alias_maps: "",
    alias_database: "",
    local_recipient_maps: "",
    smtp_dns_support_level: "disabled",
    smtp_host_lookup: "native",
    smtpd_tls_security_level: "may",
    smtpd_tls_cert_file: join(cert, "fullchain.pem"),
    smtpd_tls_key_file: join(cert, "privkey.pem"),
    smtp_tls_security_level: "may",
    virtual_mailbox_domains: domain,
    virtual_mailbox_base: join(dir, "vmail"),
    virtual_mailbox_maps: `texthash:${join(dir, "vmailbox")}`,
    virtual_uid_maps: `static:${uid}`,
    virtual_gid_maps: `static:${gid}`,
    biff: "no",
    // Try again soon after a failure; tests are short.
    queue_run_delay: "2s",
    minimal_backoff_time: "2s",
    maximal_backoff_time: "4s",
    ...extra,
  };
  return Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join("\n") +
    "\n";
}

/** Starts a private Postfix; throws `PostfixStartError` with its log. */
export async function startPostfix(
  opts: PostfixOptions = {},
): Promise<TestPostfix> {
  const domain = opts.domain ?? "pf.test";
  const dir = mkdtempSync(join(tmpdir(), "chaski-postfix-"));
  chmodSync(dir, 0o755);
  const conf = join(dir, "etc");
  const port = await freePort();
  let started = false;
  async function stop(): Promise<void> {
    if (started) {
      const r = await run(POSTFIX_BIN, ["-c", conf, "stop"]);
      if (r.code !== 0) await run(POSTFIX_BIN, ["-c", conf, "abort"]);
      await waitMasterGone(dir);
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const logOf = () => {
    const f = join(dir, "maillog");
    return existsSync(f) ? readFileSync(f, "utf8") : "";
  };
  try {
    const uid = await idOf("-u", "postfix");
    const gid = await idOf("-g", "postfix");
    mkdirSync(conf);
    mkdirSync(join(dir, "queue"), { mode: 0o755 });
    mkdirSync(join(dir, "data"), { mode: 0o700 });
    chownSync(join(dir, "data"), uid, gid);
    const vmail = join(dir, "vmail");
    mkdirSync(vmail);
    chownSync(vmail, uid, gid);
    writeFileSync(
      join(dir, "vmailbox"),
      (opts.users ?? []).map((u) => `${u}@${domain} ${u}/\n`).join(""),
    );
    writeFileSync(
      join(conf, "main.cf"),
      mainCf(dir, domain, uid, gid, opts.main ?? {}),
    );
    writeFileSync(
      join(conf, "master.cf"),
      [`127.0.0.1:${port} inet n - n - - smtpd`, ...SERVICES].join("\n") +
        "\n",
    );
    const r = await run(POSTFIX_BIN, ["-c", conf, "start"]);
    started = true;
    if (r.code !== 0) {
      throw new PostfixStartError(
        `postfix start exited ${r.code}: ${r.out.trim()}\nlog:\n${logOf()}`,
      );
    }
    await waitListening(port, logOf);
  } catch (err) {
    await stop();
    throw err;
  }

  const mailbox = (user: string): string[] => {
    const d = join(dir, "vmail", user, "new");
    if (!existsSync(d)) return [];
    return readdirSync(d).sort().map((f) => readFileSync(join(d, f), "utf8"));
  };
  return {
    dir,
    port,
    mailbox,
    log: logOf,
    async waitMail(user, n = 1, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const m = mailbox(user);
        if (m.length >= n) return m;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(
        `timed out waiting for ${n} message(s) to ${user}; postfix log:\n${logOf()}`,
      );
    },
    async sendmail(from, to, data) {
      const r = await run(
        SENDMAIL_BIN,
        ["-C", conf, "-f", from, "--", ...to],
        data,
      );
      if (r.code !== 0) {
        throw new Error(
          `sendmail exited ${r.code}: ${r.out}\nlog:\n${logOf()}`,
        );
      }
    },
    stop,
  };
}

async function waitListening(port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        r(true);
      });
      s.on("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) {
      throw new PostfixStartError(
        `postfix smtpd is not listening on ${port}; log:\n${log()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits (bounded) until master's pid file is gone after a stop. */
async function waitMasterGone(dir: string): Promise<void> {
  const pidFile = join(dir, "queue", "pid", "master.pid");
  const deadline = Date.now() + 10_000;
  while (existsSync(pidFile) && Date.now() < deadline) {
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    try {
      if (pid > 0) process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
