/**
 * Forwarding through an alias across two chaski servers (B-09, B-08): A
 * (a.test) has `fwd@a.test: someone@b.test`; mail from x@ext.test to it
 * reaches B with an SRS0 envelope sender at a.test (seen in B's mail log),
 * a bounce to that address at A is routed back to x@ext.test, and a forged
 * SRS address is refused with 550 5.1.1. A has an RSA DKIM key for a.test,
 * so the forward also carries an ARC set (i=1, cv=none) that validates
 * against the key in DNS.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { generateKeyPairSync } from "node:crypto";
import { createNodeResolver } from "../../src/runtime/node_dns.ts";
import { sealArc } from "../../src/msgauth/mod.ts";
import { dnsmasqMissing, startDns, type TestDns } from "../harness/dnsmasq.ts";
import {
  queueId,
  sendMail,
  startServer,
  type TestServer,
  waitLog,
} from "../harness/server.ts";

const skip = dnsmasqMissing() ?? false;
const ARC_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ARC_PEM = ARC_KEY.privateKey.export({ type: "pkcs8", format: "pem" })
  .toString();
const ARC_TXT = "v=DKIM1; k=rsa; p=" +
  ARC_KEY.publicKey.export({ type: "spki", format: "der" }).toString("base64");
const SRS0 = /SRS0=[A-Za-z2-7]{6}=[A-Za-z2-7]{2}=ext\.test=x@a\.test/;

describe("SRS on alias forwards between two servers", { skip }, () => {
  let dns: TestDns;
  let b: TestServer;
  let a: TestServer;
  before(async () => {
    dns = await startDns({
      records: {
        "b.test": { MX: [{ exchange: "mx.b.test", priority: 10 }] },
        "mx.b.test": { A: ["127.0.0.1"] },
        "fwd1._domainkey.a.test": { TXT: [ARC_TXT] },
      },
    });
    b = await startServer({
      domains: ["b.test"],
      certs: ["mail.b.test"],
      users: { "someone@b.test": null },
      hostname: "mx.b.test",
    });
    a = await startServer({
      domains: ["a.test"],
      certs: ["mx.a.test"],
      users: { "alice@a.test": "alice-pw" },
      files: {
        "domains/a.test/aliases": "fwd: someone@b.test\n",
        "domains/a.test/dkim:fwd1.pem": ARC_PEM,
      },
      yaml: `outgoing_smtp_port: ${b.port("smtp")}\ndns_server: "${dns.addr}"`,
    });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await dns?.close();
  });

  let srsAddr = "";

  it("forwards with an SRS0 envelope sender at the alias domain", async () => {
    const data = "From: x@ext.test\r\nTo: fwd@a.test\r\n" +
      "Subject: forwarded\r\n\r\nhello via alias\r\n";
    const id = queueId(
      await sendMail(a, { from: "x@ext.test", to: ["fwd@a.test"], data }),
    );
    const [got] = await b.waitMail("someone@b.test", 1, 20_000);
    assert.ok(got!.endsWith(data), `body changed:\n${got}`);
    const log = await waitLog(b, /from=SRS0=\S+ queued/);
    srsAddr = log.match(new RegExp(`from=(${SRS0.source}) queued`))?.[1] ?? "";
    assert.match(srsAddr, SRS0, `B's mail log:\n${log}`);
    await waitLog(a, new RegExp(`${id} from=\\S+ all done`));
  });

  it("adds an ARC set signed by a.test that the next hop validates", async () => {
    const [got] = await b.waitMail("someone@b.test", 1, 20_000);
    const head = got!.slice(0, got!.indexOf("\r\n\r\n"));
    assert.match(head, /^ARC-Seal: i=1; a=rsa-sha256;[^]*d=a\.test; s=fwd1;/m);
    assert.match(head, /cv=none/);
    assert.match(head, /^ARC-Message-Signature: i=1;/m);
    assert.match(head, /^ARC-Authentication-Results: i=1; mx\.a\.test/m);
    // Sealing again, as a next hop would, validates A's chain from DNS.
    const next = await sealArc(Buffer.from(got!, "latin1"), {
      resolver: createNodeResolver({ server: dns.addr, timeoutMs: 2000 }),
      signingDomain: "c.test",
      selector: "x",
      privateKey: ARC_KEY.privateKey,
      authservId: "mx.c.test",
      now: new Date(),
    });
    assert.equal(next.cv, "pass", next.error);
    assert.equal(next.instance, 2);
  });

  it("routes a bounce to the SRS address back to the original sender", async () => {
    assert.notEqual(srsAddr, "", "needs the forward above");
    const data = "From: MAILER-DAEMON@b.test\r\nSubject: bounce\r\n\r\nno\r\n";
    const id = queueId(await sendMail(a, { from: "", to: [srsAddr], data }));
    const log = await waitLog(a, new RegExp(`${id} from= to=x@ext\\.test `));
    assert.match(log, new RegExp(`${id} from= queued`));
  });

  it("refuses forged and tampered SRS addresses with 550 5.1.1", async () => {
    const forged = [
      "SRS0=AAAAAA=AA=ext.test=x@a.test",
      srsAddr.replace("=x@", "=y@"),
      "SRS1=AAAAAA=fwd.test==AAAAAA=AA=ext.test=x@a.test",
    ];
    // One connection each: the session hangs up after a few errors.
    for (const to of forged) {
      const c = await a.dial("smtp");
      try {
        await c.reply();
        await c.cmd("EHLO client.test");
        assert.match((await c.cmd("MAIL FROM:<>")).at(-1)!, /^250 /);
        const r = await c.cmd(`RCPT TO:<${to}>`);
        assert.match(r.at(-1)!, /^550 5\.1\.1 /, `RCPT ${to}: ${r.join("\n")}`);
        c.line("QUIT");
      } finally {
        c.close();
      }
    }
  });
});
