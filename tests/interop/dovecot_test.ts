/**
 * A real chaski process delivering local mail to a private Dovecot LMTP
 * server (`lmtp_address`, LM-04): a message for a Dovecot user lands in
 * its maildir, and a recipient chaski knows but Dovecot does not ("User
 * doesn't exist", 550) fails permanently, with a DSN to the sender, itself
 * delivered into the sender's maildir. Skips, naming the reason, without
 * `dovecot` or when not root (the mail uid is `nobody`).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { sendMail, startServer, type TestServer } from "../harness/server.ts";

const DOVECOT = "/usr/sbin/dovecot";
const SKIP = !existsSync(DOVECOT)
  ? "dovecot not installed (apt-get install dovecot-core dovecot-lmtpd)"
  : process.getuid?.() !== 0
  ? "needs root to run Dovecot with a nobody mail uid"
  : false;

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

/** The messages in a Dovecot user's `Maildir/new`, as stored (LF). */
function maildir(dir: string, user: string): string[] {
  const nd = join(dir, "mail", user, "Maildir", "new");
  if (!existsSync(nd)) return [];
  return readdirSync(nd).sort().map((f) => readFileSync(join(nd, f), "latin1"));
}

async function waitFor(
  what: () => string,
  check: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("chaski with Dovecot LMTP", { skip: SKIP }, () => {
  let dir = "";
  let dovecot: ChildProcess | undefined;
  let srv: TestServer | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "chaski-dovecot-e2e-"));
    await chmod(dir, 0o755);
    await mkdir(join(dir, "mail"), { mode: 0o777 });
    await chmod(join(dir, "mail"), 0o777);
    const line = (u: string) =>
      `${u}::65534:65534::${join(dir, "mail", u)}::\n`;
    await writeFile(
      join(dir, "users"),
      line("alice@a.test") + line("user@a.test"),
    );
    const port = await freePort();
    await writeFile(join(dir, "dovecot.conf"), config(dir, port));
    dovecot = spawn(DOVECOT, ["-F", "-c", join(dir, "dovecot.conf")], {
      stdio: "ignore",
    });
    await waitFor(
      () => "Dovecot did not start",
      () => existsSync(join(dir, "lmtp.sock")),
      10_000,
    );
    srv = await startServer({
      users: {
        "user@a.test": "secret",
        "alice@a.test": null,
        "ghost@a.test": null,
      },
      yaml: `lmtp_address: "127.0.0.1:${port}"`,
    });
  });

  after(async () => {
    await srv?.close();
    if (dovecot && dovecot.exitCode === null) {
      const gone = new Promise((r) => dovecot!.once("exit", r));
      dovecot.kill("SIGTERM");
      await gone;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("stores the message in the user's maildir; an unknown user fails permanently", async () => {
    const s = srv!;
    const reply = await sendMail(s, {
      mode: "submission",
      auth: { user: "user@a.test", password: "secret" },
      from: "user@a.test",
      to: ["alice@a.test", "ghost@a.test"],
      data: "From: user@a.test\r\nSubject: to dovecot\r\n\r\n" +
        ".dotted line\r\nbody\r\n",
    });
    const id = /queued as (\S+)/.exec(reply)?.[1];
    assert.ok(id, reply);
    const dovecotLog = () =>
      existsSync(join(dir, "dovecot.log"))
        ? readFileSync(join(dir, "dovecot.log"), "utf8")
        : "";

    await waitFor(
      () => `alice's maildir; mail log:\n${s.mailLog()}\n${dovecotLog()}`,
      () => maildir(dir, "alice@a.test").length === 1,
    );
    const got = maildir(dir, "alice@a.test")[0]!;
    assert.match(got, /^Return-Path: <user@a\.test>\n/);
    assert.match(got, /\nReceived: /);
    assert.ok(
      got.endsWith("Subject: to dovecot\n\n.dotted line\nbody\n"),
      JSON.stringify(got),
    );

    await waitFor(
      () => `"all done" for ${id}; mail log:\n${s.mailLog()}`,
      () =>
        new RegExp(` ${id} from=user@a\\.test all done$`, "m").test(
          s.mailLog(),
        ),
    );
    assert.match(
      s.mailLog(),
      new RegExp(
        ` ${id} from=user@a\\.test to=ghost@a\\.test failed \\(permanent\\): .*550`,
        "m",
      ),
    );

    await waitFor(
      () => `the DSN in user's maildir; mail log:\n${s.mailLog()}`,
      () => maildir(dir, "user@a.test").length === 1,
    );
    const dsn = maildir(dir, "user@a.test")[0]!;
    assert.match(dsn, /^Return-Path: <>\n/);
    assert.match(dsn, /^Final-Recipient: utf-8; ghost@a\.test$/m);
    assert.match(dsn, /^Action: failed$/m);
    assert.doesNotMatch(dsn, /Final-Recipient: utf-8; alice@/);
  });
});
