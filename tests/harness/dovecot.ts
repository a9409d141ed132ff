/**
 * A private Dovecot LMTP server for tests: its own base dir, a passwd-file
 * of users delivering into maildirs (uid `nobody`), a TCP listener on
 * 127.0.0.1 and a unix socket, all in one temp dir removed by `stop()`.
 *
 * ```ts
 * const dc = await startDovecot(["alice", "bob"]);
 * dc.maildir("alice"); // stored messages, LF line endings
 * await dc.stop();
 * ```
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const DOVECOT = "/usr/sbin/dovecot";

/** Why Dovecot tests cannot run here, or `false` when they can. */
export function dovecotSkip(): string | false {
  if (!existsSync(DOVECOT)) {
    return "dovecot not installed (apt-get install dovecot-core dovecot-lmtpd)";
  }
  if (process.getuid?.() !== 0) {
    return "needs root to run Dovecot with a nobody mail uid";
  }
  return false;
}

/** A running private Dovecot. */
export interface TestDovecot {
  readonly dir: string;
  readonly port: number;
  readonly socket: string;
  /** Messages in `Maildir/new` of a user, sorted by name, as stored. */
  maildir(user: string): string[];
  /** Dovecot's own log so far. */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function config(dir: string, port: number): string {
  return `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = lmtp
ssl = no
listen = 127.0.0.1
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = ${dir}/users
}
userdb {
  driver = passwd-file
  args = ${dir}/users
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${port}
  }
  unix_listener lmtp {
    path = ${dir}/lmtp.sock
    mode = 0666
  }
}
`;
}

/** Starts Dovecot in the foreground with `users`; waits for its socket (10 s). */
export async function startDovecot(
  users: readonly string[],
): Promise<TestDovecot> {
  const dir = await mkdtemp(join(tmpdir(), "chaski-dovecot-"));
  await chmod(dir, 0o755);
  await mkdir(join(dir, "mail"), { mode: 0o777 });
  await chmod(join(dir, "mail"), 0o777);
  await writeFile(
    join(dir, "users"),
    users.map((u) => `${u}::65534:65534::${join(dir, "mail", u)}::\n`).join(""),
  );
  const port = await freePort();
  await writeFile(join(dir, "dovecot.conf"), config(dir, port));
  const child: ChildProcess = spawn(DOVECOT, [
    "-F",
    "-c",
    join(dir, "dovecot.conf"),
  ], { stdio: "ignore" });
  const socket = join(dir, "lmtp.sock");
  const log = () =>
    existsSync(join(dir, "dovecot.log"))
      ? readFileSync(join(dir, "dovecot.log"), "utf8")
      : "";
  async function stop(): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await gone;
    }
    await rm(dir, { recursive: true, force: true });
  }
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (Date.now() > deadline) {
      const why = log();
      await stop();
      throw new Error(`Dovecot did not start:\n${why}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    dir,
    port,
    socket,
    maildir(user) {
      const nd = join(dir, "mail", user, "Maildir", "new");
      if (!existsSync(nd)) return [];
      return readdirSync(nd).sort().map((f) =>
        readFileSync(join(nd, f), "latin1")
      );
    },
    log,
    stop,
  };
}
