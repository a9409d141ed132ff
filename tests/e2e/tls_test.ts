/**
 * TLS end to end (T-01, T-02, H-01): STARTTLS on smtp and submission,
 * implicit TLS on submission+tls, the certificate chosen by SNI (the first
 * in name order without a match), the server's name following a covered
 * SNI only, and the Received header's TLS details.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tls from "node:tls";
import { Buffer } from "node:buffer";
import { startServer, type TestServer } from "../harness/server.ts";
import { testCa } from "../harness/certs.ts";

/** The names a presented certificate covers: its CN and DNS SANs. */
function names(cert: tls.PeerCertificate): { cn: string; san: string[] } {
  const cn = String(cert.subject.CN);
  const san = (cert.subjectaltname ?? "").split(/,\s*/).filter((s) =>
    s.startsWith("DNS:")
  ).map((s) => s.slice(4));
  return { cn, san };
}

/**
 * Opens implicit TLS without checking the name (the SNI may be absent or
 * not covered) and reads the greeting line.
 */
function implicitTls(
  port: number,
  servername: string | null,
): Promise<{ cert: tls.PeerCertificate; greeting: string }> {
  return new Promise((res, rej) => {
    const sock = tls.connect({
      host: "127.0.0.1",
      port,
      ca: testCa(),
      checkServerIdentity: () => undefined,
      ...(servername === null ? {} : { servername }),
    });
    let buf = "";
    const t = setTimeout(() => {
      sock.destroy();
      rej(new Error(`no greeting; have ${JSON.stringify(buf)}`));
    }, 10_000);
    sock.on("data", (b: Buffer) => {
      buf += b.toString("utf8");
      const i = buf.indexOf("\r\n");
      if (i < 0) return;
      clearTimeout(t);
      const cert = sock.getPeerCertificate();
      sock.destroy();
      res({ cert, greeting: buf.slice(0, i) });
    });
    sock.on("error", (e) => {
      clearTimeout(t);
      rej(e);
    });
  });
}

describe("tls", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ users: { "user@a.test": "secret" } });
  });
  after(async () => await srv.close());

  for (const mode of ["smtp", "submission"] as const) {
    for (const sni of ["mx.a.test", "mail.b.test"]) {
      it(`STARTTLS on ${mode} with SNI ${sni}`, async () => {
        const c = await srv.dial(mode);
        try {
          assert.match((await c.reply())[0]!, /^220 mx\.a\.test ESMTP /);
          assert.ok(
            (await c.cmd("EHLO client.test")).includes("250-STARTTLS"),
          );
          assert.match((await c.cmd("STARTTLS")).at(-1)!, /^220 2\.0\.0 /);
          await c.startTls(sni);
          const { cn, san } = names(c.tlsSocket!.getPeerCertificate());
          assert.equal(cn, sni);
          assert.ok(san.includes(sni), `SAN ${san} lacks ${sni}`);
          const ehlo = await c.cmd("EHLO client.test");
          assert.match(
            ehlo[0]!,
            new RegExp(`^250-${sni.replace(/\./g, "\\.")}\\b`),
          );
          assert.ok(ehlo.some((l) => /^250-AUTH PLAIN LOGIN$/.test(l)));
          assert.ok(!ehlo.includes("250-STARTTLS"));
        } finally {
          c.close();
        }
      });
    }
  }

  it("implicit TLS on submission+tls names the SNI host", async () => {
    const c = await srv.dial("submission+tls", { servername: "mail.b.test" });
    try {
      assert.match((await c.reply())[0]!, /^220 mail\.b\.test ESMTP /);
      assert.equal(
        names(c.tlsSocket!.getPeerCertificate()).cn,
        "mail.b.test",
      );
      assert.match(
        (await c.cmd("EHLO client.test"))[0]!,
        /^250-mail\.b\.test\b/,
      );
    } finally {
      c.close();
    }
  });

  it("without SNI uses the first certificate and keeps the hostname", async () => {
    const { cert, greeting } = await implicitTls(
      srv.port("submission+tls"),
      null,
    );
    // Name order: "mail.b.test" sorts before "mx.a.test".
    assert.equal(names(cert).cn, "mail.b.test");
    assert.match(greeting, /^220 mx\.a\.test ESMTP /);
  });

  it("an SNI no certificate covers keeps the hostname (T-02)", async () => {
    const { cert, greeting } = await implicitTls(
      srv.port("submission+tls"),
      "evil.example",
    );
    assert.equal(names(cert).cn, "mail.b.test");
    assert.match(greeting, /^220 mx\.a\.test ESMTP /);
  });

  it("SNI a.test (a SAN of mx.a.test) picks that certificate", async () => {
    const { cert } = await implicitTls(srv.port("submission+tls"), "a.test");
    assert.equal(names(cert).cn, "mx.a.test");
  });

  it("the Received header names the cipher, mode and TLS version", async () => {
    const c = await srv.dial("submission+tls");
    try {
      await c.reply();
      await c.cmd("EHLO client.test");
      const cred = Buffer.from("\0user@a.test\0secret").toString("base64");
      assert.match((await c.cmd(`AUTH PLAIN ${cred}`))[0]!, /^235 /);
      assert.match((await c.cmd("MAIL FROM:<user@a.test>"))[0]!, /^250 /);
      assert.match((await c.cmd("RCPT TO:<user@a.test>"))[0]!, /^250 /);
      assert.match((await c.cmd("DATA"))[0]!, /^354 /);
      c.send("Subject: tls\r\n\r\nover TLS\r\n.\r\n");
      assert.match((await c.reply())[0]!, /^250 /);
      const proto = c.tlsSocket!.getProtocol()!; // e.g. "TLSv1.3"
      const cipher = c.tlsSocket!.getCipher();
      const [got] = await srv.waitMail("user@a.test");
      const version = proto.replace(/^TLSv/, "TLS-");
      assert.match(
        got!,
        /^Received: from client\.test\r\n\tby mx\.a\.test \(chaski\) with ESMTPSA\r\n/,
      );
      const tlsLine = /\r\n\ttls (TLS_[A-Z0-9_]+)\r\n/.exec(got!);
      assert.ok(tlsLine, "no tls line");
      if (cipher.standardName) assert.equal(tlsLine[1], cipher.standardName);
      assert.ok(
        got!.includes(
          `\r\n\t(over submission+TLS, ${version}, envelope from "user@a.test")\r\n`,
        ),
        got!,
      );
    } finally {
      c.close();
    }
  });
});
