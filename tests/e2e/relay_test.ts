/**
 * Delivery between two chaski servers: A (a.test) relays over SMTP to B
 * (b.test), found through the MX record a real dnsmasq serves. Covers two
 * recipients in one message (each delivered once, with both Received
 * headers), an unknown recipient at B (a permanent failure and a DSN to the
 * sender at A), and B being down at first (A retries after a restart, Q-10).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { dnsmasqMissing, startDns, type TestDns } from "../harness/dnsmasq.ts";
import {
  queueId,
  sendMail,
  startServer,
  type TestServer,
  waitLog,
} from "../harness/server.ts";

const skip = dnsmasqMissing() ?? false;

const ALICE = { user: "alice@a.test", password: "alice-pw" };

/** B: the receiving server for b.test. */
function startB(): Promise<TestServer> {
  return startServer({
    domains: ["b.test"],
    certs: ["mail.b.test"],
    users: { "bob@b.test": "bob-pw", "carol@b.test": null },
    hostname: "mx.b.test",
  });
}

/** A: the sending server for a.test, relaying to `bPort` via `dns`. */
function startA(dns: TestDns, bPort: number): Promise<TestServer> {
  return startServer({
    domains: ["a.test"],
    certs: ["mx.a.test"],
    users: { [ALICE.user]: ALICE.password },
    yaml: `outgoing_smtp_port: ${bPort}\ndns_server: "${dns.addr}"`,
  });
}

function submit(a: TestServer, to: string[], data: string): Promise<string> {
  return sendMail(a, {
    mode: "submission",
    auth: ALICE,
    from: ALICE.user,
    to,
    data,
  });
}

/** A free TCP port on loopback, at the time of asking. */
async function unusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The Received headers of a message, unfolded, top first. */
function receivedHeaders(m: string): string[] {
  const head = m.slice(0, m.indexOf("\r\n\r\n") + 2);
  return head.replace(/\r\n[\t ]+/g, " ").split("\r\n")
    .filter((l) => /^Received:/i.test(l));
}

describe("relay between two chaski servers", { skip }, () => {
  let dns: TestDns;
  let b: TestServer;
  let a: TestServer;
  before(async () => {
    dns = await startDns({
      records: {
        "b.test": { MX: [{ exchange: "mx.b.test", priority: 10 }] },
        "mx.b.test": { A: ["127.0.0.1"] },
      },
    });
    b = await startB();
    a = await startA(dns, b.port("smtp"));
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await dns?.close();
  });

  it("delivers to two recipients at B once each, with both Received headers", async () => {
    const data = "From: alice@a.test\r\nTo: bob@b.test, carol@b.test\r\n" +
      "Subject: relay two\r\n\r\nhello B\r\n.dot line\r\n";
    const id = queueId(
      await submit(a, ["bob@b.test", "carol@b.test"], data),
    );
    for (const rcpt of ["bob@b.test", "carol@b.test"]) {
      const [got] = await b.waitMail(rcpt, 1, 20_000);
      assert.ok(got!.endsWith(data), `body changed for ${rcpt}:\n${got}`);
      const rec = receivedHeaders(got!);
      assert.equal(rec.length, 2, `Received headers: ${rec.join("\n")}`);
      assert.match(rec[0]!, /by mx\.b\.test \(chaski\) with ESMTPS/);
      assert.match(rec[0]!, /from mx\.a\.test /);
      assert.match(rec[1]!, /by mx\.a\.test \(chaski\) with ESMTPSA/);
    }
    const log = await waitLog(a, new RegExp(`${id} from=\\S+ all done`));
    for (const rcpt of ["bob@b.test", "carol@b.test"]) {
      assert.match(
        log,
        new RegExp(`${id} from=alice@a\\.test to=${rcpt} sent`),
      );
    }
    // Each recipient exactly once, even after the item is done.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.mailbox("bob@b.test").length, 1);
    assert.equal(b.mailbox("carol@b.test").length, 1);
  });

  it("fails an unknown recipient at B permanently and bounces to alice", async () => {
    const data = "From: alice@a.test\r\nTo: nobody@b.test\r\n" +
      "Message-ID: <unknown-rcpt@a.test>\r\nSubject: to nobody\r\n\r\nx\r\n";
    const id = queueId(await submit(a, ["nobody@b.test"], data));
    const log = await waitLog(a, new RegExp(`${id} from=\\S+ all done`));
    assert.match(
      log,
      new RegExp(
        `${id} from=alice@a\\.test to=nobody@b\\.test failed \\(permanent\\): .*5\\d\\d`,
      ),
    );
    const [dsn] = await a.waitMail(ALICE.user, 1, 20_000);
    assert.match(dsn!, /Content-Type: multipart\/report;/i);
    assert.match(dsn!, /report-type=delivery-status/i);
    assert.match(dsn!, /nobody@b\.test/);
    assert.match(dsn!, /Action: failed/);
    assert.match(dsn!, /Subject: to nobody/);
    assert.deepEqual(b.mailbox("nobody@b.test"), []);
  });
});

describe("relay while the peer is down", { skip }, () => {
  it("keeps the item and delivers after B is up and A restarts", async () => {
    const dns = await startDns({
      records: {
        "b.test": { MX: [{ exchange: "mx.b.test", priority: 10 }] },
        "mx.b.test": { A: ["127.0.0.1"] },
      },
    });
    let a: TestServer | null = null;
    let a2: TestServer | null = null;
    let b: TestServer | null = null;
    try {
      // B's port is not known before it starts, so A first points at a
      // port nobody listens on; the restart then points it at B.
      a = await startA(dns, await unusedPort());
      const data = "From: alice@a.test\r\nSubject: later\r\n\r\nretry me\r\n";
      const id = queueId(await submit(a, ["bob@b.test"], data));
      const log = await waitLog(
        a,
        new RegExp(`${id} from=\\S+ completed loop`),
      );
      assert.match(
        log,
        new RegExp(`${id} from=\\S+ to=bob@b\\.test failed \\(temporary\\)`),
      );
      b = await startB();
      a.signal("SIGTERM");
      await a.exited;
      a2 = await startServer({
        keepDir: a.dir,
        args: [
          "--config-overrides",
          JSON.stringify({ outgoing_smtp_port: b.port("smtp") }),
        ],
      });
      const [got] = await b.waitMail("bob@b.test", 1, 20_000);
      assert.ok(got!.endsWith(data));
      await waitLog(a2, new RegExp(`${id} from=\\S+ to=bob@b\\.test sent`));
    } finally {
      if (a2) await a2.close();
      else await a?.close();
      await b?.close();
      await dns.close();
    }
  });
});
