/**
 * Interop with a real, private Postfix (tests/harness/postfix.ts):
 * chaski's SMTP courier delivers to Postfix's smtpd (found through a dnsmasq
 * MX), and Postfix relays mail injected with its sendmail(1) to chaski's
 * SMTP listener. Both directions use STARTTLS.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { dnsmasqMissing, startDns, type TestDns } from "../harness/dnsmasq.ts";
import {
  postfixMissing,
  PostfixStartError,
  startPostfix,
  type TestPostfix,
} from "../harness/postfix.ts";
import {
  queueId,
  sendMail,
  startServer,
  type TestServer,
  waitText,
  withoutAuthHeaders,
} from "../harness/server.ts";

/** Starts and stops one instance to see whether Postfix can run here. */
async function postfixCannotStart(): Promise<string | null> {
  try {
    const pf = await startPostfix();
    await pf.stop();
    return null;
  } catch (err) {
    if (err instanceof PostfixStartError) {
      return `postfix cannot start: ${err.message}`;
    }
    throw err;
  }
}

const skip = dnsmasqMissing() ?? postfixMissing() ??
  (await postfixCannotStart()) ?? false;

const ALICE = { user: "alice@a.test", password: "alice-pw" };

const RECORDS = {
  "pf.test": { MX: [{ exchange: "mx.pf.test", priority: 10 }] },
  "mx.pf.test": { A: ["127.0.0.1"] },
};

describe("chaski delivers to Postfix", { skip }, () => {
  let dns: TestDns;
  let pf: TestPostfix;
  let srv: TestServer;
  before(async () => {
    dns = await startDns({ records: RECORDS });
    pf = await startPostfix({
      users: ["carl"],
      main: { smtpd_tls_received_header: "yes" },
    });
    srv = await startServer({
      domains: ["a.test"],
      certs: ["mx.a.test"],
      users: { [ALICE.user]: ALICE.password },
      yaml: `outgoing_smtp_port: ${pf.port}\ndns_server: "${dns.addr}"`,
    });
  });
  after(async () => {
    await srv?.close();
    await pf?.stop();
    await dns?.close();
  });

  it("arrives in the Postfix mailbox over STARTTLS", async () => {
    const data = "From: alice@a.test\r\nTo: carl@pf.test\r\n" +
      "Subject: to postfix\r\n\r\nhello Postfix\r\n.dot line\r\n";
    const id = queueId(
      await sendMail(srv, {
        mode: "submission",
        auth: ALICE,
        from: ALICE.user,
        to: ["carl@pf.test"],
        data,
      }),
    );
    const [got] = await pf.waitMail("carl");
    assert.match(got!, /^Return-Path: <alice@a\.test>$/m);
    assert.match(got!, /^Delivered-To: carl@pf\.test$/m);
    assert.match(got!, /by mx\.pf\.test \(Postfix\) with ESMTPS/);
    assert.match(got!, /\(using TLSv1\.[23] /);
    assert.match(got!, /by mx\.a\.test \(chaski\) with ESMTPSA/);
    // Maildir stores LF line endings; the body and the dot line survive.
    assert.ok(got!.endsWith("\n\nhello Postfix\n.dot line\n"), got!);
    await waitText(
      () => srv.mailLog(),
      new RegExp(`${id} from=alice@a\\.test to=carl@pf\\.test sent`),
    );
    await waitText(pf.log, /status=sent \(delivered to maildir\)/);
  });

  it("fails permanently for a user Postfix does not know", async () => {
    const id = queueId(
      await sendMail(srv, {
        mode: "submission",
        auth: ALICE,
        from: ALICE.user,
        to: ["nobody@pf.test"],
        data: "Subject: to nobody\r\n\r\nx\r\n",
      }),
    );
    const log = await waitText(
      () => srv.mailLog(),
      new RegExp(`${id} from=\\S+ all done`),
    );
    assert.match(
      log,
      new RegExp(
        `${id} from=alice@a\\.test to=nobody@pf\\.test failed \\(permanent\\): .*550`,
      ),
    );
    const [dsn] = await srv.waitMail(ALICE.user);
    assert.match(dsn!, /nobody@pf\.test/);
  });
});

describe("Postfix relays to chaski", { skip }, () => {
  let dns: TestDns;
  let srv: TestServer;
  let pf: TestPostfix;
  before(async () => {
    dns = await startDns({ records: RECORDS });
    srv = await startServer({
      domains: ["a.test"],
      certs: ["mx.a.test"],
      users: { "user@a.test": null },
      yaml: `dns_server: "${dns.addr}"`,
    });
    pf = await startPostfix({
      main: { relayhost: `[127.0.0.1]:${srv.port("smtp")}` },
    });
  });
  after(async () => {
    await pf?.stop();
    await srv?.close();
    await dns?.close();
  });

  it("delivers mail injected with sendmail(1) to chaski's MDA", async () => {
    await pf.sendmail(
      "x@pf.test",
      ["user@a.test"],
      "From: x@pf.test\nTo: user@a.test\nSubject: from postfix\n\n" +
        "hello chaski\n.dot line\n",
    );
    const [got] = await srv.waitMail("user@a.test", 1, 20_000);
    assert.match(got!, /^Subject: from postfix\r$/m);
    assert.match(got!, /\r\n\.dot line\r\n$/);
    // chaski's Received header comes first: Postfix's smtp client said
    // EHLO with its hostname and used STARTTLS.
    assert.match(
      withoutAuthHeaders(got!),
      /^Received: from mx\.pf\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.a\.test \(chaski\) with ESMTPS\r\n/,
    );
    assert.match(got!, /by mx\.pf\.test \(Postfix/);
    await waitText(
      () => srv.mailLog(),
      /from=x@pf\.test to=user@a\.test sent/,
    );
    await waitText(
      pf.log,
      /to=<user@a\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent/,
    );
  });
});
