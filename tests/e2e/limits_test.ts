/**
 * Limits end to end: the per-IP connection cap (L-11), the command timeout
 * (L-04), 100 recipients per transaction (L-12), the Received loop limit
 * (S-45), the error budget on AUTH failures (L-07), and the graceful stop
 * (B-06): a transaction in flight finishes, idle sessions get 421 4.3.2 and
 * the process exits 0.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  dotStuff,
  type RawConn,
  startServer,
  type TestServer,
} from "../harness/server.ts";

function plain(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`).toString("base64");
}

/** Connects, reads the greeting, EHLOs, and (optionally) STARTTLS + AUTH. */
async function session(
  srv: TestServer,
  mode: "smtp" | "submission",
  auth?: { user: string; password: string },
): Promise<RawConn> {
  const c = await srv.dial(mode);
  assert.match((await c.reply())[0]!, /^220 /);
  assert.match((await c.cmd("EHLO client.test")).at(-1)!, /^250 /);
  if (auth) {
    assert.match((await c.cmd("STARTTLS"))[0]!, /^220 /);
    await c.startTls();
    await c.cmd("EHLO client.test");
    assert.match(
      (await c.cmd(`AUTH PLAIN ${plain(auth.user, auth.password)}`))[0]!,
      /^235 /,
    );
  }
  return c;
}

describe("connection limits", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      yaml: "max_connections_per_ip: 2\ncommand_timeout: 1s",
    });
  });
  after(async () => await srv.close());

  it("the third concurrent connection from one IP gets 421 4.7.0", async () => {
    const open: RawConn[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const c = await srv.dial("smtp");
        open.push(c);
        assert.match((await c.reply())[0]!, /^220 /);
      }
      const third = await srv.dial("smtp");
      open.push(third);
      assert.match((await third.reply())[0]!, /^421 4\.7\.0 /);
      await third.waitClosed();
    } finally {
      for (const c of open) c.close();
    }
  });

  it("an idle client gets 421 4.4.2 after command_timeout", async () => {
    // The cap above may take a moment to see the earlier sockets go.
    let c: RawConn | null = null;
    const deadline = Date.now() + 10_000;
    try {
      for (;;) {
        c = await srv.dial("smtp");
        const greeting = (await c.reply())[0]!;
        if (greeting.startsWith("220 ")) break;
        c.close();
        if (Date.now() > deadline) assert.fail(`greeting ${greeting}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match((await c.cmd("EHLO client.test")).at(-1)!, /^250 /);
      assert.match((await c.reply(10_000))[0]!, /^421 4\.4\.2 /);
      await c.waitClosed();
    } finally {
      c?.close();
    }
  });
});

describe("session limits and graceful stop", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      users: { "user@a.test": "secret", "local@a.test": null },
    });
  });
  after(async () => await srv.close());

  it("accepts 100 recipients and refuses the 101st with 452 4.5.3", async () => {
    const c = await session(srv, "submission", {
      user: "user@a.test",
      password: "secret",
    });
    try {
      assert.match((await c.cmd("MAIL FROM:<user@a.test>"))[0]!, /^250 /);
      let batch = "";
      for (let i = 1; i <= 101; i++) batch += `RCPT TO:<r${i}@remote.test>\r\n`;
      c.send(batch); // PIPELINING
      for (let i = 1; i <= 100; i++) {
        assert.match((await c.reply())[0]!, /^250 /, `RCPT ${i}`);
      }
      assert.match((await c.reply())[0]!, /^452 4\.5\.3 /);
      assert.match((await c.cmd("RSET"))[0]!, /^250 /);
    } finally {
      c.close();
    }
  });

  for (const [n, want] of [[50, /^250 /], [51, /^554 5\.4\.6 /]] as const) {
    it(`a message with ${n} Received headers gets ${want.source}`, async () => {
      const c = await session(srv, "smtp");
      try {
        await c.cmd("MAIL FROM:<sender@example.org>");
        assert.match((await c.cmd("RCPT TO:<local@a.test>"))[0]!, /^250 /);
        assert.match((await c.cmd("DATA"))[0]!, /^354 /);
        let data = "";
        for (let i = 0; i < n; i++) {
          data += `Received: from hop${i}.example by hop${i + 1}.example\r\n`;
        }
        c.send(dotStuff(`${data}Subject: loop\r\n\r\nhops\r\n`) + ".\r\n");
        assert.match((await c.reply())[0]!, want);
      } finally {
        c.close();
      }
    });
  }

  it("three failed AUTHs end in 421 4.5.0 and a close", async () => {
    const c = await session(srv, "submission");
    try {
      assert.match((await c.cmd("STARTTLS"))[0]!, /^220 /);
      await c.startTls();
      await c.cmd("EHLO client.test");
      const bad = `AUTH PLAIN ${plain("user@a.test", "wrong")}`;
      assert.match((await c.cmd(bad))[0]!, /^535 5\.7\.8 /);
      assert.match((await c.cmd(bad))[0]!, /^535 5\.7\.8 /);
      assert.match((await c.cmd(bad))[0]!, /^421 4\.5\.0 /);
      await c.waitClosed();
    } finally {
      c.close();
    }
  });

  // Last: it stops the server.
  it("SIGTERM lets a transaction finish, closes idle sessions, exits 0", async () => {
    const busy = await session(srv, "smtp");
    const idle = await session(srv, "smtp");
    try {
      assert.match(
        (await busy.cmd("MAIL FROM:<sender@example.org>"))[0]!,
        /^250 /,
      );
      assert.match((await busy.cmd("RCPT TO:<local@a.test>"))[0]!, /^250 /);
      srv.signal("SIGTERM");
      assert.match((await idle.reply())[0]!, /^421 4\.3\.2 /);
      await idle.waitClosed();
      assert.match((await busy.cmd("DATA"))[0]!, /^354 /);
      busy.send("Subject: last\r\n\r\nsent while stopping\r\n.\r\n");
      assert.match((await busy.reply())[0]!, /^250 /);
      busy.line("QUIT");
      assert.equal(await srv.exited, 0);
    } finally {
      busy.close();
      idle.close();
    }
  });
});
