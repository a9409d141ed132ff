/**
 * A chasquid config dir served unchanged: `testdata/configs/chasquid-e2e/`
 * has a text-proto `chasquid.conf`, certs/, and a `users` file written by
 * chasquid-util 1.11 (alice@example.com / secret). chaski starts on a copy
 * with no chaski.yaml; the chasquid-made hash authenticates, the file user
 * receives mail, and delivery goes through the configured MDA.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  ROOT,
  sendMail,
  startServer,
  type TestServer,
} from "../harness/server.ts";

const DIR = join(ROOT, "testdata/configs/chasquid-e2e");

function plain(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`).toString("base64");
}

describe("chasquid config dir", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ configDir: DIR });
  });
  after(async () => await srv.close());

  it("has no chaski.yaml", () => {
    assert.ok(existsSync(join(srv.configDir, "chasquid.conf")));
    assert.ok(!existsSync(join(srv.configDir, "chaski.yaml")));
  });

  it("authenticates with the chasquid-made hash and refuses a wrong password", async () => {
    const c = await srv.dial("submission+tls");
    try {
      assert.match((await c.reply())[0]!, /^220 mx\.a\.test ESMTP /);
      await c.cmd("EHLO client.test");
      assert.match(
        (await c.cmd(`AUTH PLAIN ${plain("alice@example.com", "wrong")}`))[0]!,
        /^535 5\.7\.8 /,
      );
      assert.match(
        (await c.cmd(`AUTH PLAIN ${plain("alice@example.com", "secret")}`))[0]!,
        /^235 2\.7\.0 /,
      );
    } finally {
      c.close();
    }
  });

  it("accepts the file user as a recipient and rejects unknown ones", async () => {
    const c = await srv.dial("smtp");
    try {
      await c.reply();
      await c.cmd("EHLO client.test");
      await c.cmd("MAIL FROM:<someone@example.org>");
      assert.match((await c.cmd("RCPT TO:<alice@example.com>"))[0]!, /^250 /);
      assert.match(
        (await c.cmd("RCPT TO:<nobody@example.com>"))[0]!,
        /^550 5\.1\.1 /,
      );
    } finally {
      c.close();
    }
  });

  it("delivers through the configured MDA", async () => {
    const data = "Subject: from chasquid land\r\n\r\nunchanged config\r\n";
    const reply = await sendMail(srv, {
      mode: "submission",
      auth: { user: "alice@example.com", password: "secret" },
      from: "alice@example.com",
      to: ["alice@example.com"],
      data,
    });
    assert.match(reply, /^250 /);
    const [got] = await srv.waitMail("alice@example.com");
    assert.ok(got!.startsWith("Received: "));
    assert.ok(got!.endsWith(`\r\n${data}`), got!);
  });
});
