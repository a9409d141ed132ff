/**
 * Sender policy end to end against a real chaski process (B-02, A-09 and
 * D-03, chaski differs): `report` (the default) accepts and writes one
 * mail-log line; `enforce` refuses another user's MAIL FROM with 553 5.7.1
 * and a forged `From:` with 550 5.7.1 after DATA, and accepts the user's
 * own address, a suffix, an alias of theirs and a `send_as` grant. The
 * catch-all does not make addresses theirs.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  sendMail,
  startServer,
  type TestServer,
  waitLog,
} from "../harness/server.ts";

const USERS = { "bob@a.test": "bobpass", "alice@a.test": "alicepass" };
const ALIASES = "sales: bob\nboss: alice\n*: bob\n";
const BOB = { user: "bob@a.test", password: "bobpass" };

function msg(from: string, subject: string): string {
  return `From: ${from}\r\nTo: alice@a.test\r\nSubject: ${subject}\r\n\r\nhi\r\n`;
}

/** Authenticates as bob and returns the replies to MAIL and to the end of DATA. */
async function attempt(
  srv: TestServer,
  envFrom: string,
  headerFrom: string,
): Promise<{ mail: string; data: string | null }> {
  const c = await srv.dial("submission");
  try {
    await c.reply();
    await c.cmd("EHLO client.test");
    await c.cmd("STARTTLS");
    await c.startTls();
    await c.cmd("EHLO client.test");
    const b64 = Buffer.from(`\0${BOB.user}\0${BOB.password}`).toString(
      "base64",
    );
    assert.match((await c.cmd(`AUTH PLAIN ${b64}`)).at(-1)!, /^235 /);
    const mail = (await c.cmd(`MAIL FROM:<${envFrom}>`)).at(-1)!;
    if (!mail.startsWith("250 ")) return { mail, data: null };
    assert.match((await c.cmd("RCPT TO:<alice@a.test>")).at(-1)!, /^250 /);
    assert.match((await c.cmd("DATA")).at(-1)!, /^354 /);
    c.send(msg(headerFrom, "policy") + ".\r\n");
    const data = (await c.reply()).at(-1)!;
    c.line("QUIT");
    return { mail, data };
  } finally {
    c.close();
  }
}

describe("sender policy: report (the default)", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      users: USERS,
      files: { "domains/a.test/aliases": ALIASES },
    });
  });
  after(async () => await srv.close());

  it("accepts another user's addresses and logs one line", async () => {
    const end = await sendMail(srv, {
      mode: "submission",
      auth: BOB,
      from: "alice@a.test",
      to: ["alice@a.test"],
      data: msg("Alice <alice@a.test>, boss@a.test", "forged"),
    });
    assert.match(end, /^250 2\.0\.0 /);
    const log = await waitLog(
      srv,
      /sender policy violation user=bob@a\.test from=alice@a\.test not_theirs=\[alice@a\.test alice@a\.test boss@a\.test\] - reported/,
    );
    assert.equal(log.match(/sender policy violation/g)?.length, 1);
  });

  it("logs nothing for the user's own addresses", async () => {
    const end = await sendMail(srv, {
      mode: "submission",
      auth: BOB,
      from: "bob+list@a.test",
      to: ["alice@a.test"],
      data: msg("Sales <sales@a.test>", "own"),
    });
    assert.match(end, /^250 2\.0\.0 /);
    await srv.waitMail("alice@a.test", 2);
    assert.equal(srv.mailLog().match(/sender policy violation/g)?.length, 1);
  });
});

describe("sender policy: enforce", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      users: USERS,
      files: { "domains/a.test/aliases": ALIASES },
      yaml:
        'sender_policy: enforce\nsend_as: {bob@a.test: ["*@other.example"]}\n',
    });
  });
  after(async () => await srv.close());

  it("refuses another user's MAIL FROM with 553 5.7.1", async () => {
    const r = await attempt(srv, "alice@a.test", "bob@a.test");
    assert.match(r.mail, /^553 5\.7\.1 /);
    await waitLog(srv, /rejected from=alice@a\.test - sender policy/);
  });

  it("refuses an address only the catch-all gives bob", async () => {
    const r = await attempt(srv, "nobody@a.test", "bob@a.test");
    assert.match(r.mail, /^553 5\.7\.1 /);
  });

  it("refuses a forged From: with 550 5.7.1 after DATA", async () => {
    const r = await attempt(srv, "bob@a.test", '"Bob" <boss@a.test>');
    assert.match(r.mail, /^250 /);
    assert.match(r.data ?? "", /^550 5\.7\.1 /);
    await waitLog(
      srv,
      /rejected from=bob@a\.test to=\[alice@a\.test\] - sender policy/,
    );
  });

  const good: [name: string, envFrom: string, headerFrom: string][] = [
    ["own address", "bob@a.test", "Bob <bob@a.test>"],
    ["suffix and drop characters", "b.ob+x@a.test", "b.o.b+y@a.test"],
    ["owned alias", "sales@a.test", "Sales <sales@a.test>"],
    ["send_as wildcard", "news@other.example", "news@other.example"],
    ["null sender", "", "bob@a.test"],
  ];
  for (const [name, envFrom, headerFrom] of good) {
    it(`accepts: ${name}`, async () => {
      const r = await attempt(srv, envFrom, headerFrom);
      assert.match(r.mail, /^250 /);
      assert.match(r.data ?? "", /^250 2\.0\.0 /);
    });
  }

  it("delivered only the accepted messages", async () => {
    const box = await srv.waitMail("alice@a.test", good.length);
    assert.equal(box.length, good.length);
  });
});
