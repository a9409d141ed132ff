/**
 * Mail authentication through a real server and a real dnsmasq (#4):
 * SPF at MAIL FROM (S-21), DKIM signing of authenticated mail with the
 * domain's key (verified back with our verifier against the published
 * record), Authentication-Results and Received-SPF on unauthenticated mail
 * (D-04), DMARC `p=reject` with `dmarc_enforce` (B-07), the inbound
 * security level (SL-02, S-22), and a bad DKIM key stopping the start.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { dnsmasqMissing, startDns, type TestDns } from "../harness/dnsmasq.ts";
import { sendMail, startServer, type TestServer } from "../harness/server.ts";
import { verifyMessage } from "../../src/msgauth/mod.ts";
import { createNodeResolver } from "../../src/runtime/node_dns.ts";

/** An Ed25519 DKIM key: the PKCS#8 PEM and the DNS record (RFC 8463). */
function dkimKey(): { pem: string; txt: string } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ type: "spki", format: "der" }).subarray(-32);
  return {
    pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    txt: `v=DKIM1; k=ed25519; p=${raw.toString("base64")}`,
  };
}

const KEY = dkimKey();

const RECORDS = {
  // SPF: only 192.0.2.1 may send for spf-fail.test; 127.0.0.1 may for good.test.
  "spf-fail.test": { TXT: ["v=spf1 ip4:192.0.2.1 -all"] },
  "good.test": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
  "sel1._domainkey.a.test": { TXT: [KEY.txt] },
  "_dmarc.strict.test": { TXT: ["v=DMARC1; p=reject"] },
  "strict.test": { TXT: ["v=spf1 ip4:192.0.2.1 -all"] },
};

const MSG = (from: string, subject: string) =>
  `From: <${from}>\r\nTo: <user@a.test>\r\nSubject: ${subject}\r\n` +
  `Message-ID: <${subject}@x.test>\r\n\r\nbody of ${subject}\r\n`;

describe("mail authentication", { skip: dnsmasqMissing() ?? false }, () => {
  let dns: TestDns;
  let srv: TestServer;
  before(async () => {
    dns = await startDns({ records: RECORDS });
    srv = await startServer({
      users: { "user@a.test": "secret" },
      files: { "domains/a.test/dkim:sel1.pem": KEY.pem },
      yaml: `dns_server: "${dns.addr}"\ndmarc_enforce: true`,
    });
  });
  after(async () => {
    await srv?.close();
    await dns?.close();
  });

  it("refuses an SPF fail at MAIL FROM with 550 5.7.23 (S-21)", async () => {
    const c = await srv.dial("smtp");
    try {
      await c.reply();
      await c.cmd("EHLO client.test");
      const r = (await c.cmd("MAIL FROM:<x@spf-fail.test>")).at(-1)!;
      assert.match(r, /^550 5\.7\.23 /);
    } finally {
      c.close();
    }
  });

  it("adds Authentication-Results and Received-SPF above Received (D-04)", async () => {
    const reply = await sendMail(srv, {
      from: "someone@good.test",
      to: ["user@a.test"],
      data: MSG("someone@good.test", "spf-pass"),
    });
    assert.match(reply, /^250 /);
    const got = (await srv.waitMail("user@a.test")).find((m) =>
      m.includes("spf-pass")
    )!;
    const lines = got.split("\r\n");
    assert.equal(lines[0], "Authentication-Results: mx.a.test");
    assert.match(lines[1]!, /^\t;spf=pass/);
    assert.equal(lines[2], "\t;dkim=none");
    assert.match(lines[3]!, /^Received-SPF: pass /);
    assert.match(lines[4]!, /^Received: from client\.test /);
  });

  it("signs authenticated mail with the MAIL FROM domain's key, verifiable from DNS", async () => {
    const reply = await sendMail(srv, {
      mode: "submission",
      auth: { user: "user@a.test", password: "secret" },
      from: "user@a.test",
      to: ["user@a.test"],
      data: MSG("user@a.test", "signed"),
    });
    assert.match(reply, /^250 /);
    const got = (await srv.waitMail("user@a.test", 2)).find((m) =>
      m.includes("Subject: signed")
    )!;
    assert.match(
      got,
      /^DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed\/relaxed;/m,
    );
    assert.doesNotMatch(
      got,
      /^Authentication-Results:/m,
      "authenticated mail is not checked",
    );
    const resolver = createNodeResolver({ server: dns.addr });
    const { results } = await verifyMessage({
      message: new TextEncoder().encode(got),
      resolver,
      now: new Date(),
    });
    assert.deepEqual(results.map((r) => [r.result, r.domain, r.selector]), [[
      "pass",
      "a.test",
      "sel1",
    ]]);
  });

  it("rejects a DMARC p=reject failure with 550 5.7.1 when dmarc_enforce is on (B-07)", async () => {
    const c = await srv.dial("smtp");
    try {
      await c.reply();
      await c.cmd("EHLO client.test");
      // The envelope sender passes SPF (good.test), the From: header is
      // strict.test: neither SPF nor DKIM aligns with it.
      assert.match(
        (await c.cmd("MAIL FROM:<someone@good.test>")).at(-1)!,
        /^250 /,
      );
      assert.match((await c.cmd("RCPT TO:<user@a.test>")).at(-1)!, /^250 /);
      assert.match((await c.cmd("DATA")).at(-1)!, /^354 /);
      c.send(MSG("ceo@strict.test", "spoof") + ".\r\n");
      assert.match((await c.reply()).at(-1)!, /^550 5\.7\.1 /);
    } finally {
      c.close();
    }
  });

  it("refuses a sender whose domain was seen over TLS and now comes in plain (SL-02, S-22)", async () => {
    // Over STARTTLS first: good.test is recorded at TLS_CLIENT.
    const tls = await sendMail(srv, {
      tls: true,
      from: "someone@good.test",
      to: ["user@a.test"],
      data: MSG("someone@good.test", "over-tls"),
    });
    assert.match(tls, /^250 /);
    const c = await srv.dial("smtp");
    try {
      await c.reply();
      await c.cmd("EHLO client.test");
      assert.match(
        (await c.cmd("MAIL FROM:<someone@good.test>")).at(-1)!,
        /^550 5\.7\.3 /,
      );
    } finally {
      c.close();
    }
  });
});

describe("DKIM keys at start", () => {
  it("a malformed key stops the server and names the file", async () => {
    await assert.rejects(
      startServer({ files: { "domains/a.test/dkim:bad.pem": "not a key\n" } }),
      /dkim:bad\.pem/,
    );
  });
});
