/**
 * Local delivery over LMTP end to end (`lmtp_address`, LM-03/LM-04): a
 * real chaski process delivers local mail to the test LMTP sink over TCP
 * and over a unix socket. Per-recipient results: a 550 at RCPT or after
 * DATA fails that recipient permanently (one DSN to the sender, itself
 * delivered over LMTP) while the others are delivered; a 452 is temporary
 * (the item stays queued, no DSN).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type LmtpSink,
  type SinkMessage,
  startLmtpSink,
} from "../harness/lmtp_sink.ts";
import {
  queueId,
  sendMail,
  startServer,
  type TestServer,
  waitLog,
  withoutAuthHeaders,
} from "../harness/server.ts";

const AUTH = { user: "user@a.test", password: "secret" };
const USERS = {
  "user@a.test": "secret",
  "ann@a.test": null,
  "reject@a.test": null,
  "late@a.test": null,
  "busy@a.test": null,
};

/** Polls until `check` holds; throws with `what()` after the deadline. */
async function waitFor(
  what: () => string,
  check: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function text(m: SinkMessage): string {
  return new TextDecoder().decode(m.data);
}

/** Waits for the sink message whose text contains `marker`. */
async function sinkMessage(
  sink: LmtpSink,
  srv: TestServer,
  marker: string,
): Promise<SinkMessage> {
  let found: SinkMessage | undefined;
  await waitFor(
    () => `sink message with ${marker}; mail log:\n${srv.mailLog()}`,
    () => {
      found = sink.messages.find((m) => text(m).includes(marker));
      return found !== undefined;
    },
  );
  return found!;
}

function dsnQueued(srv: TestServer): number {
  return (srv.stderr().match(/DSN queued/g) ?? []).length;
}

describe("LMTP delivery", () => {
  let sink: LmtpSink;
  let tcp: TestServer;
  let unix: TestServer;

  before(async () => {
    sink = await startLmtpSink({
      rcpt: (to) =>
        to.startsWith("reject@")
          ? "550 5.1.1 No such user here"
          : to.startsWith("busy@")
          ? "452 4.2.2 Mailbox full, try later"
          : "250 2.1.5 OK",
      data: (to) =>
        to.startsWith("late@")
          ? "550 5.2.2 Quota exceeded"
          : `250 2.0.0 <${to}> Saved`,
    });
    tcp = await startServer({
      users: USERS,
      yaml: `lmtp_address: ${JSON.stringify(sink.tcpAddress)}`,
    });
    unix = await startServer({
      users: USERS,
      yaml: `lmtp_address: ${JSON.stringify(sink.path)}`,
    });
  });
  after(async () => {
    await tcp?.close();
    await unix?.close();
    await sink?.close();
  });

  it("delivers local mail to the LMTP server over TCP", async () => {
    const data = "From: sender@example.org\r\nSubject: tcp-1\r\n\r\n" +
      ".dot line\r\nbody\r\n";
    const r = await sendMail(tcp, {
      from: "sender@example.org",
      to: ["ann@a.test"],
      data,
    });
    const id = queueId(r);
    const m = await sinkMessage(sink, tcp, "Subject: tcp-1");
    assert.equal(m.lhlo, "mx.a.test");
    assert.equal(m.from, "sender@example.org");
    assert.deepEqual(m.to, ["ann@a.test"]);
    assert.match(withoutAuthHeaders(text(m)), /^Received: /);
    assert.ok(text(m).endsWith(data), JSON.stringify(text(m)));
    await waitLog(tcp, new RegExp(` ${id} from=\\S+ all done$`, "m"));
    assert.match(
      tcp.mailLog(),
      new RegExp(` ${id} .*to=ann@a\\.test sent$`, "m"),
    );
    // Nothing went to the MDA.
    assert.deepEqual(tcp.mailbox("ann@a.test"), []);
  });

  it("delivers over a unix socket", async () => {
    const r = await sendMail(unix, {
      from: "sender@example.org",
      to: ["ann@a.test"],
      data: "From: sender@example.org\r\nSubject: unix-1\r\n\r\nbody\r\n",
    });
    queueId(r);
    const m = await sinkMessage(sink, unix, "Subject: unix-1");
    assert.deepEqual(m.to, ["ann@a.test"]);
    assert.equal(m.from, "sender@example.org");
  });

  it("fails a 550 recipient permanently with one DSN; the other is delivered", async () => {
    const before = dsnQueued(tcp);
    const r = await sendMail(tcp, {
      mode: "submission",
      auth: AUTH,
      from: "user@a.test",
      to: ["ann@a.test", "reject@a.test", "late@a.test"],
      data: "From: user@a.test\r\nSubject: mixed-1\r\n\r\nbody\r\n",
    });
    const id = queueId(r);
    const log = await waitLog(
      tcp,
      new RegExp(` ${id} from=user@a\\.test all done$`, "m"),
    );
    // reject@ was refused at RCPT; late@ got its 550 after the data (in
    // one transaction with ann@ or in its own: the courier's choice).
    const taken = sink.messages.filter((m) =>
      m.from === "user@a.test" && text(m).includes("Subject: mixed-1")
    ).flatMap((m) => m.to).sort();
    assert.deepEqual(taken, ["ann@a.test", "late@a.test"]);
    assert.match(log, new RegExp(` ${id} .*to=ann@a\\.test sent$`, "m"));
    for (const who of ["reject", "late"]) {
      assert.match(
        log,
        new RegExp(
          ` ${id} .*to=${who}@a\\.test failed \\(permanent\\): .*550`,
          "m",
        ),
      );
    }

    const dsn = await sinkMessage(sink, tcp, "Final-Recipient: utf-8; late@");
    assert.equal(dsn.from, "");
    assert.deepEqual(dsn.to, ["user@a.test"]);
    const t = text(dsn);
    assert.match(t, /^Final-Recipient: utf-8; reject@a\.test\r$/m);
    assert.match(t, /^Action: failed\r$/m);
    assert.doesNotMatch(t, /Final-Recipient: utf-8; ann@/);
    assert.match(t, /Subject: mixed-1\r\n/, "the original is attached");
    assert.equal(dsnQueued(tcp), before + 1);
  });

  it("retries a 452 recipient: temporary, no DSN", async () => {
    const before = dsnQueued(tcp);
    const r = await sendMail(tcp, {
      mode: "submission",
      auth: AUTH,
      from: "user@a.test",
      to: ["busy@a.test"],
      data: "From: user@a.test\r\nSubject: busy-1\r\n\r\nbody\r\n",
    });
    const id = queueId(r);
    const log = await waitLog(
      tcp,
      new RegExp(` ${id} from=user@a\\.test completed loop, next in `, "m"),
    );
    assert.match(
      log,
      new RegExp(
        ` ${id} .*to=busy@a\\.test failed \\(temporary\\): .*452`,
        "m",
      ),
    );
    assert.doesNotMatch(log, new RegExp(` ${id} from=\\S+ all done$`, "m"));
    assert.equal(dsnQueued(tcp), before);
  });
});
