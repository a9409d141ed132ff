/**
 * Hooks end to end against a real chaski process (BEHAVIOUR.md §12, H-06,
 * D-05, S-47, B-04): the post-DATA hook's headers land above our Received
 * header, its exit 20 and other failures answer 554 and 451 with its last
 * line, a hook that cannot run answers 451 4.3.0, the envelope hook rejects
 * a sender (550) and one recipient (451), and the environment the hooks see
 * (PWD = config dir, FROM_LOCAL_DOMAIN=0 for `<>`).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import process from "node:process";
import { join } from "node:path";
import {
  ROOT,
  sendMail,
  startServer,
  type TestServer,
  waitLog,
  waitText,
} from "../harness/server.ts";

function hookScript(name: string): string {
  return readFileSync(join(ROOT, "testdata/hooks", name), "utf8");
}

function msg(subject: string): string {
  return `From: sender@example.org\r\nSubject: ${subject}\r\n\r\nhello\r\n`;
}

/** Variables the shell itself may add when it runs `env`. */
const SHELL_VARS = new Set(["SHLVL", "_", "OLDPWD"]);

function readEnv(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0 && !SHELL_VARS.has(line.slice(0, eq))) {
      env[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return env;
}

describe("hooks", () => {
  let srv: TestServer;

  function setHook(name: "post-data" | "envelope", script: string | null) {
    const path = join(srv.configDir, "hooks", name);
    if (script === null) {
      rmSync(path, { force: true });
      return;
    }
    writeFileSync(path, hookScript(script));
    chmodSync(path, 0o755);
  }

  /** Sends one message and returns the reply to the end of DATA. */
  async function dataReply(subject: string, from = "sender@example.org") {
    const c = await srv.dial("smtp");
    try {
      await c.reply();
      await c.cmd("EHLO client.test");
      assert.match((await c.cmd(`MAIL FROM:<${from}>`)).at(-1)!, /^250 /);
      assert.match((await c.cmd("RCPT TO:<user@a.test>")).at(-1)!, /^250 /);
      assert.match((await c.cmd("DATA")).at(-1)!, /^354 /);
      c.send(msg(subject) + ".\r\n");
      const r = (await c.reply()).at(-1)!;
      c.line("QUIT");
      return r;
    } finally {
      c.close();
    }
  }

  before(async () => {
    srv = await startServer({
      users: { "user@a.test": "secret", "greylist@a.test": "secret" },
      files: { "hooks/post-data": hookScript("post-data-headers.sh") },
    });
  });
  after(() => srv.close());

  it("puts the post-data hook's headers above everything", async () => {
    setHook("post-data", "post-data-headers.sh");
    const r = await sendMail(srv, {
      from: "sender@example.org",
      to: ["user@a.test"],
      data: msg("with headers"),
    });
    assert.match(r, /^250 /);
    const [got] = await srv.waitMail("user@a.test", 1);
    assert.ok(got);
    const lines = got.split(/\r?\n/);
    assert.deepEqual(lines.slice(0, 5), [
      "X-Hook: pass",
      "X-Hook-Folded: one",
      "  two",
      "X-Stdin-CRLF: yes",
      // The hook saw every header we add on top of its stdin (D-05):
      // Authentication-Results first for unauthenticated mail (D-04).
      "X-Stdin-First: Authentication-Results: mx.a.test",
    ]);
    assert.match(lines[5]!, /^Authentication-Results: mx\.a\.test$/);
  });

  it("answers 554 with the hook's line on exit 20 and logs it", async () => {
    setHook("post-data", "post-data-reject20.sh");
    assert.equal(
      await dataReply("spam"),
      "554 5.7.1 Spam score too high",
    );
    await waitLog(
      srv,
      /rejected from=sender@example\.org to=\[user@a\.test\] - 5\.7\.1 Spam score too high/,
    );
  });

  it("answers 451 with the hook's line on another exit", async () => {
    setHook("post-data", "post-data-reject-other.sh");
    assert.equal(
      await dataReply("grey"),
      "451 4.3.0 Greylisted, please try again later",
    );
  });

  it("answers 451 4.3.0 when the hook exists but cannot run", async () => {
    setHook("post-data", "post-data-headers.sh");
    chmodSync(join(srv.configDir, "hooks", "post-data"), 0o644);
    assert.match(await dataReply("broken"), /^451 4\.3\.0 /);
    await waitText(() => srv.stderr(), /hooks\/post-data" cannot run/);
  });

  it("gives the hooks the documented environment", async () => {
    setHook("post-data", "env-dump.sh");
    setHook("envelope", "env-dump.sh");
    try {
      const c = await srv.dial("smtp");
      try {
        await c.reply();
        await c.cmd("EHLO client.test");
        assert.match((await c.cmd("MAIL FROM:<>")).at(-1)!, /^250 /);
        assert.match((await c.cmd("RCPT TO:<user@a.test>")).at(-1)!, /^250 /);
        await c.cmd("DATA");
        c.send(msg("env") + ".\r\n");
        assert.match((await c.reply()).at(-1)!, /^250 /);
        c.line("QUIT");
      } finally {
        c.close();
      }
      const env = readEnv(join(srv.configDir, "post-data.env"));
      assert.match(env.REMOTE_ADDR ?? "", /^127\.0\.0\.1:\d+$/);
      assert.deepEqual(env, {
        USER: process.env.USER ?? "",
        PWD: srv.configDir,
        SHELL: process.env.SHELL ?? "",
        PATH: process.env.PATH || "/usr/local/bin:/usr/bin:/bin",
        REMOTE_ADDR: env.REMOTE_ADDR,
        EHLO_DOMAIN: "client.test",
        EHLO_DOMAIN_RAW: "client.test",
        MAIL_FROM: "<>",
        RCPT_TO: "user@a.test",
        AUTH_AS: "",
        ON_TLS: "0",
        FROM_LOCAL_DOMAIN: "0",
        SPF_PASS: "0",
        // B-07: unauthenticated mail gets a DMARC result; test names have
        // no DMARC record.
        DMARC_RESULT: "none",
      });
      const mail = readEnv(join(srv.configDir, "envelope-mail.env"));
      assert.equal(mail.STAGE, "mail");
      assert.equal(mail.RCPT_TO, "");
      const rcpt = readEnv(join(srv.configDir, "envelope-rcpt.env"));
      assert.equal(rcpt.STAGE, "rcpt");
      assert.equal(rcpt.RCPT_TO, "user@a.test");
    } finally {
      setHook("envelope", null);
    }
  });

  it("lets the envelope hook reject a sender and one recipient", async () => {
    setHook("post-data", null);
    setHook("envelope", "env-dump.sh");
    try {
      const c = await srv.dial("smtp");
      try {
        await c.reply();
        await c.cmd("EHLO client.test");
        assert.equal(
          (await c.cmd("MAIL FROM:<x@reject-mail.test>")).at(-1),
          "550 5.7.1 Sender blocked by local policy",
        );
        assert.match(
          (await c.cmd("MAIL FROM:<ok@example.org>")).at(-1)!,
          /^250 /,
        );
        assert.equal(
          (await c.cmd("RCPT TO:<greylist@a.test>")).at(-1),
          "451 4.3.0 Greylisted, come back later",
        );
        assert.match((await c.cmd("RCPT TO:<user@a.test>")).at(-1)!, /^250 /);
        c.line("QUIT");
      } finally {
        c.close();
      }
      await waitLog(
        srv,
        /rejected from=x@reject-mail\.test - envelope hook: 5\.7\.1 Sender blocked/,
      );
    } finally {
      setHook("envelope", null);
    }
  });
});
