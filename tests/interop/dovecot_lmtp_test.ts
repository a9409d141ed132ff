/**
 * The LMTP courier against a real Dovecot LMTP server (`dovecot-lmtpd`),
 * started privately: its own base dir, a passwd-file with two users, a unix
 * socket and a TCP port on 127.0.0.1, maildirs in a temp dir. Checks the
 * per-recipient replies (Dovecot's "User doesn't exist" is 550, so
 * permanent: LM-03 fix) and the stored message. Skips, naming the reason,
 * without `dovecot` or when not root (the mail uid is `nobody`).
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
import { createNodeNet } from "../../src/runtime/node_net.ts";
import { LmtpCourier } from "../../src/courier/lmtp.ts";

const DOVECOT = "/usr/sbin/dovecot";
const SKIP = !existsSync(DOVECOT)
  ? "dovecot not installed (apt-get install dovecot-lmtpd)"
  : process.getuid?.() !== 0
  ? "needs root to run Dovecot with a nobody mail uid"
  : false;

const MESSAGE = new TextEncoder().encode(
  "From: a@b.test\r\nSubject: dovecot\r\n\r\n.dotted line\r\nbody\r\n",
);

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

/** The one message in a user's `Maildir/new`, LF line endings as stored. */
function stored(dir: string, user: string): string {
  const nd = join(dir, "mail", user, "Maildir", "new");
  const files = readdirSync(nd);
  assert.equal(files.length, 1, `one message for ${user}`);
  return readFileSync(join(nd, files[0]!), "latin1");
}

describe("LmtpCourier with Dovecot LMTP", { skip: SKIP }, () => {
  let dir = "";
  let port = 0;
  let child: ChildProcess | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "chaski-dovecot-"));
    await chmod(dir, 0o755);
    await mkdir(join(dir, "mail"), { mode: 0o777 });
    await chmod(join(dir, "mail"), 0o777);
    const home = (u: string) => join(dir, "mail", u);
    await writeFile(
      join(dir, "users"),
      `alice::65534:65534::${home("alice")}::\nbob::65534:65534::${
        home("bob")
      }::\n`,
    );
    port = await freePort();
    await writeFile(join(dir, "dovecot.conf"), config(dir, port));
    child = spawn(DOVECOT, ["-F", "-c", join(dir, "dovecot.conf")], {
      stdio: "ignore",
    });
    const deadline = Date.now() + 10_000;
    while (!existsSync(join(dir, "lmtp.sock"))) {
      if (Date.now() > deadline) throw new Error("Dovecot did not start");
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child!.once("exit", r));
      child.kill("SIGTERM");
      await gone;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers per recipient over the unix socket; unknown users are permanent", async () => {
    const c = new LmtpCourier({
      net: createNodeNet(),
      address: join(dir, "lmtp.sock"),
      hostname: "mx.chaski.test",
    });
    const rs = await c.deliverBatch(
      "a@b.test",
      ["alice", "ghost", "bob"],
      MESSAGE,
    );
    assert.deepEqual(
      rs.map((r) => r.status),
      ["sent", "permanent", "sent"],
      rs.map((r) => r.status === "sent" ? "" : r.error.message).join("; ") +
        readFileSync(join(dir, "dovecot.log"), "utf8"),
    );
    const err = rs[1]!.status === "permanent" ? rs[1]!.error.message : "";
    assert.match(err, /550 5\.1\.1/);
    for (const user of ["alice", "bob"]) {
      const text = stored(dir, user);
      assert.match(text, /^Return-Path: <a@b\.test>\n/);
      assert.ok(
        text.endsWith("Subject: dovecot\n\n.dotted line\nbody\n"),
        JSON.stringify(text),
      );
    }
  });

  it("delivers over TCP", async () => {
    const c = new LmtpCourier({
      net: createNodeNet(),
      address: `127.0.0.1:${port}`,
      hostname: "mx.chaski.test",
    });
    const r = await c.deliver("", "alice", MESSAGE);
    assert.equal(r.status, "sent");
    const nd = join(dir, "mail", "alice", "Maildir", "new");
    assert.equal(readdirSync(nd).length, 2);
  });
});
