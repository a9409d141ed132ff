/**
 * The SMTP courier against a real chaski server: MX lookup through a real
 * dnsmasq, STARTTLS verified with the test CA, delivery into the server's
 * mailbox, and a permanent failure for an unknown user.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { dnsmasqMissing, startDns, type TestDns } from "../harness/dnsmasq.ts";
import { startServer, type TestServer } from "../harness/server.ts";
import { testCa } from "../harness/certs.ts";
import { createNodeNet } from "../../src/runtime/node_net.ts";
import { createNodeResolver } from "../../src/runtime/node_dns.ts";
import { createSystemClock } from "../../src/runtime/clock.ts";
import { SmtpCourier } from "../../src/courier/smtp.ts";

const skip = dnsmasqMissing() ?? false;

const MSG = "From: sender@remote.test\r\nTo: user@a.test\r\n" +
  "Subject: via the courier\r\n\r\n.leading dot\r\nHello.\r\n";

describe("SmtpCourier against chaski", { skip }, () => {
  let dns: TestDns;
  let srv: TestServer;
  let smtp: SmtpCourier;
  before(async () => {
    dns = await startDns({
      records: {
        "a.test": { MX: [{ exchange: "mx.a.test", priority: 10 }] },
        "mx.a.test": { A: ["127.0.0.1"] },
      },
    });
    srv = await startServer({
      users: { "user@a.test": "secret" },
      yaml: `dns_server: "${dns.addr}"`,
    });
    smtp = new SmtpCourier({
      net: createNodeNet(),
      resolver: createNodeResolver({ server: dns.addr }),
      hostname: "out.remote.test",
      port: srv.port("smtp"),
      clock: createSystemClock(),
      tlsCa: testCa(),
      dialTimeoutMs: 5_000,
      connTimeoutMs: 30_000,
    });
  });
  after(async () => {
    await srv?.close();
    await dns?.close();
  });

  it("delivers over verified TLS to the MX of the domain", async () => {
    const res = await smtp.deliverBatch({
      from: "sender@remote.test",
      to: ["user@a.test"],
      data: new TextEncoder().encode(MSG),
    });
    assert.deepEqual(res.results, [{ status: "sent" }], srv.mailLog());
    assert.equal(res.tls, "tls:secure");
    assert.equal(res.mx, "mx.a.test");
    const [mail] = await srv.waitMail("user@a.test");
    assert.match(mail!, /Subject: via the courier/);
    assert.match(mail!, /\n\.leading dot\r?\nHello\./);
  });

  it("fails an unknown user permanently and still delivers the rest", async () => {
    const { results } = await smtp.deliverBatch({
      from: "sender@remote.test",
      to: ["nobody@a.test", "user@a.test"],
      data: new TextEncoder().encode(MSG),
    });
    const r = results[0]!;
    assert.ok(r.status === "permanent", `got ${r.status}`);
    assert.match(r.error.message, /^5\d\d 5\.1\.1 /);
    assert.equal(results[1]!.status, "sent");
    await srv.waitMail("user@a.test", 2);
  });
});
