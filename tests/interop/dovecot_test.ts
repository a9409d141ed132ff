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
import { sendMail, startServer, type TestServer } from "../harness/server.ts";
import {
  dovecotSkip,
  startDovecot,
  type TestDovecot,
} from "../harness/dovecot.ts";

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

describe("chaski with Dovecot LMTP", { skip: dovecotSkip() }, () => {
  let dc: TestDovecot | undefined;
  let srv: TestServer | undefined;

  before(async () => {
    dc = await startDovecot(["alice@a.test", "user@a.test"]);
    srv = await startServer({
      users: {
        "user@a.test": "secret",
        "alice@a.test": null,
        "ghost@a.test": null,
      },
      yaml: `lmtp_address: "127.0.0.1:${dc.port}"`,
    });
  });

  after(async () => {
    await srv?.close();
    await dc?.stop();
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
    const d = dc!;

    await waitFor(
      () => `alice's maildir; mail log:\n${s.mailLog()}\n${d.log()}`,
      () => d.maildir("alice@a.test").length === 1,
    );
    const got = d.maildir("alice@a.test")[0]!;
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
      () => d.maildir("user@a.test").length === 1,
    );
    const dsn = d.maildir("user@a.test")[0]!;
    assert.match(dsn, /^Return-Path: <>\n/);
    assert.match(dsn, /^Final-Recipient: utf-8; ghost@a\.test$/m);
    assert.match(dsn, /^Action: failed$/m);
    assert.doesNotMatch(dsn, /Final-Recipient: utf-8; alice@/);
  });
});
