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
import { createNodeNet } from "../../src/runtime/node_net.ts";
import { LmtpCourier } from "../../src/courier/lmtp.ts";
import {
  dovecotSkip,
  startDovecot,
  type TestDovecot,
} from "../harness/dovecot.ts";

const MESSAGE = new TextEncoder().encode(
  "From: a@b.test\r\nSubject: dovecot\r\n\r\n.dotted line\r\nbody\r\n",
);

/** The one message in a user's `Maildir/new`, LF line endings as stored. */
function stored(dc: TestDovecot, user: string): string {
  const msgs = dc.maildir(user);
  assert.equal(msgs.length, 1, `one message for ${user}`);
  return msgs[0]!;
}

describe("LmtpCourier with Dovecot LMTP", { skip: dovecotSkip() }, () => {
  let dc: TestDovecot;

  before(async () => {
    dc = await startDovecot(["alice", "bob"]);
  });

  after(async () => {
    await dc?.stop();
  });

  it("delivers per recipient over the unix socket; unknown users are permanent", async () => {
    const c = new LmtpCourier({
      net: createNodeNet(),
      address: dc.socket,
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
        dc.log(),
    );
    const err = rs[1]!.status === "permanent" ? rs[1]!.error.message : "";
    assert.match(err, /550 5\.1\.1/);
    for (const user of ["alice", "bob"]) {
      const text = stored(dc, user);
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
      address: `127.0.0.1:${dc.port}`,
      hostname: "mx.chaski.test",
    });
    const r = await c.deliver("", "alice", MESSAGE);
    assert.equal(r.status, "sent");
    assert.equal(dc.maildir("alice").length, 2);
  });
});
