/**
 * DSNs end to end (BEHAVIOUR.md §19, CO-02): one message from an
 * authenticated local sender to a recipient whose MDA fails permanently
 * and to a normal user. The normal user gets the message; the sender gets
 * exactly one DSN (multipart/report, `Action: failed`, the original
 * attached) naming only the failed recipient. Null-sender mail that fails
 * gets no DSN (DSN-06).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import {
  queueId,
  sendMail,
  startServer,
  type TestServer,
  waitLog,
} from "../harness/server.ts";

/** Every delivered message, by mailbox. */
function allMail(srv: TestServer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const box of readdirSync(join(srv.dir, "mail"))) {
    out[box] = srv.mailbox(box).length;
  }
  return out;
}

/** How many DSNs the process log says were queued. */
function dsnQueued(srv: TestServer): number {
  return (srv.stderr().match(/DSN queued/g) ?? []).length;
}

/** The headers of a message (before the first empty line). */
function headers(m: string): string {
  return m.slice(0, m.indexOf("\r\n\r\n") + 2);
}

describe("DSN", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      users: {
        "user@a.test": "secret",
        "permfail@a.test": null,
        "other@a.test": null,
      },
    });
  });
  after(async () => await srv.close());

  it("sends one DSN for the failed recipient only, with the original attached", async () => {
    const data = "From: user@a.test\r\nTo: permfail@a.test, other@a.test\r\n" +
      "Subject: will bounce\r\nMessage-ID: <orig-1@a.test>\r\n\r\n" +
      "the original body\r\n";
    const reply = await sendMail(srv, {
      mode: "submission",
      auth: { user: "user@a.test", password: "secret" },
      from: "user@a.test",
      to: ["permfail@a.test", "other@a.test"],
      data,
    });
    const id = queueId(reply);

    const [delivered] = await srv.waitMail("other@a.test");
    assert.ok(delivered!.endsWith(data));

    const log = await waitLog(
      srv,
      new RegExp(` ${id} from=user@a\\.test all done$`, "m"),
    );
    assert.match(
      log,
      new RegExp(
        ` ${id} from=user@a\\.test to=permfail@a\\.test failed \\(permanent\\): `,
        "m",
      ),
    );
    assert.match(
      log,
      new RegExp(` ${id} from=user@a\\.test to=other@a\\.test sent$`, "m"),
    );
    // The DSN is queued from <> and delivered to the sender.
    // The null sender shows as an empty from= (ML-04).
    await waitLog(
      srv,
      / from= to=user@a\.test sent$[\s\S]* from= all done$/m,
    );
    assert.equal(dsnQueued(srv), 1);

    const dsns = await srv.waitMail("user@a.test");
    assert.equal(dsns.length, 1, "exactly one DSN");
    const dsn = dsns[0]!;
    const h = headers(dsn);
    assert.match(h, /^From: .*<postmaster-dsn@a\.test>\r$/m);
    assert.match(h, /^To: <?user@a\.test>?\r$/m);
    assert.match(h, /^Auto-Submitted: auto-replied\r$/m);
    assert.match(h, /^X-Failed-Recipients: permfail@a\.test\r$/m);
    assert.match(h, /^In-Reply-To: <orig-1@a\.test>\r$/m);
    assert.match(
      h,
      /^Content-Type: multipart\/report; report-type=delivery-status;/m,
    );
    assert.doesNotMatch(h, /other@a\.test/);

    const status =
      /Content-Type: message\/global-delivery-status\r\n[\s\S]*?\r\n--/
        .exec(dsn)?.[0];
    assert.ok(status, `no delivery-status part in\n${dsn}`);
    assert.match(status, /^Reporting-MTA: dns; a\.test\r$/m);
    assert.match(status, /^Action: failed\r$/m);
    assert.match(status, /^Final-Recipient: utf-8; permfail@a\.test\r$/m);
    assert.match(status, /^Status: 5\.\d{1,3}\.\d{1,3}\r$/m);
    assert.equal((status.match(/^Final-Recipient:/gm) ?? []).length, 1);
    assert.doesNotMatch(status, /other@a\.test/);

    const original = /Content-Type: message\/rfc822\r\n\r\n([\s\S]*)/
      .exec(dsn)?.[1];
    assert.ok(original, `no message/rfc822 part in\n${dsn}`);
    assert.ok(
      original.includes(data),
      `the original message is attached:\n${original}`,
    );

    // The delivered recipient never gets a DSN, and the sender got one.
    assert.deepEqual(allMail(srv), { "other@a.test": 1, "user@a.test": 1 });
  });

  it("sends no DSN for null-sender mail (DSN-06)", async () => {
    const before = allMail(srv);
    const reply = await sendMail(srv, {
      from: "",
      to: ["permfail@a.test"],
      data: "From: mailer-daemon@example.org\r\nSubject: bounce\r\n\r\nx\r\n",
    });
    const id = queueId(reply);
    const log = await waitLog(
      srv,
      new RegExp(` ${id} from= all done$`, "m"),
    );
    assert.match(
      log,
      new RegExp(
        ` ${id} from= to=permfail@a\\.test failed \\(permanent\\): `,
        "m",
      ),
    );
    // A DSN is queued before its item is done: none was, beyond the first test's.
    assert.equal(dsnQueued(srv), 1, srv.stderr());
    assert.deepEqual(allMail(srv), before);
  });
});
