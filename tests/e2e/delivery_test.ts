/**
 * Delivery end to end: a message sent over SMTP reaches the MDA byte-exact
 * with one Received header prepended (H-01/H-02), every recipient gets a
 * copy, MDA exit 75 keeps the item queued and exit 1 fails it (CO-02), and
 * a message accepted with a 250 survives SIGKILL and is delivered after a
 * restart on the same dir.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  queueId,
  ROOT,
  sendMail,
  startServer,
  type TestServer,
  waitLog,
  withoutAuthHeaders,
} from "../harness/server.ts";

/** A testdata message with its LF line endings turned into CRLF. */
function message(name: string): string {
  return readFileSync(join(ROOT, "testdata/messages", name), "utf8")
    .replace(/\r?\n/g, "\r\n");
}

/** Splits a delivered message into its first (Received) header and the rest. */
function splitReceived(delivered: string): { received: string; rest: string } {
  const m = withoutAuthHeaders(delivered);
  assert.match(m, /^Received: /);
  const end = m.search(/\r\n(?![\t ])/);
  return { received: m.slice(0, end + 2), rest: m.slice(end + 2) };
}

const DATE = String.raw`\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}`;

describe("delivery", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      users: {
        "user@a.test": "secret",
        "other@a.test": null,
        "bob@b.test": null,
        "tempfail@a.test": null,
        "permfail@a.test": null,
        "plain@a.test": null,
      },
    });
  });
  after(async () => await srv.close());

  it("arrives byte-exact with one Received header (unauthenticated)", async () => {
    const data = message("01-eightbit.eml");
    const reply = await sendMail(srv, {
      from: "sender@example.org",
      to: ["plain@a.test"],
      data,
    });
    assert.match(reply, /^250 /);
    const [got] = await srv.waitMail("plain@a.test");
    const { received, rest } = splitReceived(got!);
    assert.equal(rest, data);
    assert.match(
      received,
      new RegExp(
        String.raw`^Received: from client\.test \(\[127\.0\.0\.1\]\)\r\n` +
          String.raw`\tby mx\.a\.test \(chaski\) with ESMTP\r\n` +
          String
            .raw`\t\(over SMTP, plain text!, envelope from "sender@example\.org"\)\r\n` +
          String.raw`\t; ${DATE}\r\n$`,
      ),
    );
    assert.equal(got!.match(/^Received:/gim)!.length, 2);
    assert.ok(!received.includes("plain@a.test"), "recipient in Received");
  });

  it("hides the client IP when authenticated (H-02)", async () => {
    const data = message("02-plain.eml");
    const reply = await sendMail(srv, {
      mode: "submission",
      auth: { user: "user@a.test", password: "secret" },
      from: "user@a.test",
      to: ["user@a.test"],
      data,
    });
    assert.match(reply, /^250 /);
    const [got] = await srv.waitMail("user@a.test");
    const { received, rest } = splitReceived(got!);
    assert.equal(rest, data);
    assert.match(
      received,
      new RegExp(
        String.raw`^Received: from client\.test\r\n` +
          String.raw`\tby mx\.a\.test \(chaski\) with ESMTPSA\r\n` +
          String.raw`\ttls TLS_[A-Z0-9_]+\r\n` +
          String
            .raw`\t\(over submission, TLS-1\.[23], envelope from "user@a\.test"\)\r\n` +
          String.raw`\t; ${DATE}\r\n$`,
      ),
    );
    assert.ok(!received.includes("127.0.0.1"), "client IP in Received");
  });

  it("gives each recipient its own copy", async () => {
    const data = "Subject: three\r\n\r\nfor three recipients\r\n";
    const reply = await sendMail(srv, {
      from: "sender@example.org",
      to: ["other@a.test", "bob@b.test", "user@a.test"],
      data,
    });
    const id = queueId(reply);
    for (const rcpt of ["other@a.test", "bob@b.test"]) {
      const [got] = await srv.waitMail(rcpt);
      assert.equal(splitReceived(got!).rest, data);
    }
    const mine = await waitFor(() =>
      srv.mailbox("user@a.test").filter((m) => m.endsWith(data))
    );
    assert.equal(mine.length, 1);
    await waitLog(srv, new RegExp(`${id} from=\\S+ all done`));
    assert.equal(
      srv.mailLog().split("\n").filter((l) =>
        l.includes(`${id} from=`) && l.endsWith(" sent")
      ).length,
      3,
    );
  });

  it("keeps the item queued when the MDA exits 75", async () => {
    const reply = await sendMail(srv, {
      from: "sender@example.org",
      to: ["tempfail@a.test"],
      data: "Subject: later\r\n\r\ntry later\r\n",
    });
    const id = queueId(reply);
    const log = await waitLog(
      srv,
      new RegExp(`${id} from=\\S+ completed loop, next in \\S+`),
    );
    assert.match(
      log,
      new RegExp(
        `${id} from=sender@example\\.org to=tempfail@a\\.test failed \\(temporary\\): `,
      ),
    );
    assert.doesNotMatch(log, new RegExp(`${id} from=\\S+ all done`));
  });

  it("fails permanently when the MDA exits 1", async () => {
    const reply = await sendMail(srv, {
      from: "sender@example.org",
      to: ["permfail@a.test"],
      data: "Subject: never\r\n\r\nno such mailbox\r\n",
    });
    const id = queueId(reply);
    const log = await waitLog(srv, new RegExp(`${id} from=\\S+ all done`));
    assert.match(
      log,
      new RegExp(
        `${id} from=sender@example\\.org to=permfail@a\\.test failed \\(permanent\\): .*no such mailbox`,
      ),
    );
  });
});

/** Polls `f` until it returns a non-empty list (bounded). */
async function waitFor<T>(f: () => T[], timeoutMs = 15_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v.length > 0) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("durability", () => {
  it("delivers a message accepted before SIGKILL after a restart", async () => {
    // The MDA tempfails until the file ../gate exists, so the accepted
    // message can only be in the queue when the server is killed. Like
    // chasquid, a restart tries unfinished items at once.
    const mda = join(ROOT, "testdata/hooks/mda-file.sh");
    const script = `[ -e ../gate ] || { echo "gate closed"; exit 75; }\n` +
      `exec ${JSON.stringify(mda)} "$1"`;
    const overrides = JSON.stringify({
      mail_delivery_agent_bin: "/bin/sh",
      mail_delivery_agent_args: ["-c", script, "mda", "%to%"],
    });
    const first = await startServer({
      users: { "user@a.test": null },
      args: ["--config-overrides", overrides],
    });
    let second: TestServer | null = null;
    try {
      const data = "Subject: durable\r\n\r\nsurvives a crash\r\n";
      const reply = await sendMail(first, {
        from: "sender@example.org",
        to: ["user@a.test"],
        data,
      });
      const id = queueId(reply);
      // Kill once the first attempt has failed: the item is on disk with
      // its next attempt a minute or more away.
      await waitLog(first, new RegExp(`${id} from=\\S+ completed loop`));
      first.signal("SIGKILL");
      await first.exited;
      assert.deepEqual(first.mailbox("user@a.test"), []);

      writeFileSync(join(first.dir, "gate"), "");
      second = await startServer({
        keepDir: first.dir,
        args: ["--config-overrides", overrides],
      });
      const [got] = await second.waitMail("user@a.test");
      assert.equal(splitReceived(got!).rest, data);
      await waitLog(second, new RegExp(`${id} from=\\S+ all done`));
    } finally {
      if (second) await second.close();
      else if (existsSync(first.dir)) await first.close();
    }
  });
});
