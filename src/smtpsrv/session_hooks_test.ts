import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { createNodeNet } from "../runtime/node_net.ts";
import { createSystemClock } from "../runtime/clock.ts";
import { nullLogger } from "../log/mod.ts";
import { MailLog } from "../maillog/mod.ts";
import { MetricsRegistry } from "../monitoring/mod.ts";
import type {
  EnvelopeResult,
  EnvelopeStage,
  HookFacts,
  PostDataResult,
} from "../hooks/mod.ts";
import { SmtpServer } from "./server.ts";
import type { Envelope } from "./types.ts";

/** Sends lines and reads whole replies (last line of each). */
async function dial(port: number) {
  const sock: Socket = connect({ host: "127.0.0.1", port });
  await new Promise<void>((ok, fail) => {
    sock.once("connect", ok);
    sock.once("error", fail);
  });
  let buf = "";
  let wake: (() => void) | null = null;
  sock.setEncoding("utf8");
  sock.on("data", (d: string) => {
    buf += d;
    wake?.();
  });
  async function reply(): Promise<string> {
    for (;;) {
      const m = /^(?:\d{3}-.*\r\n)*(\d{3} .*)\r\n/.exec(buf);
      if (m) {
        buf = buf.slice(m[0].length);
        return m[1]!;
      }
      if (sock.destroyed) return "";
      await new Promise<void>((r) => (wake = r));
    }
  }
  return {
    reply,
    send(line: string) {
      sock.write(`${line}\r\n`);
      return reply();
    },
    close: () => sock.destroy(),
  };
}

describe("Session with hooks", () => {
  const metrics = new MetricsRegistry();
  const logged: string[] = [];
  const queued: Envelope[] = [];
  const envelopeCalls: { stage: EnvelopeStage; facts: HookFacts }[] = [];
  const postDataCalls: { facts: HookFacts; message: string }[] = [];
  let postData: PostDataResult = { kind: "skip" };
  let envelope: (stage: EnvelopeStage, f: HookFacts) => EnvelopeResult =
    () => ({
      kind: "accept",
    });
  let server: SmtpServer;
  let port = 0;

  before(async () => {
    server = new SmtpServer({
      net: createNodeNet(),
      maxConnections: 10,
      maxConnectionsPerIp: 10,
      ctx: {
        hostname: "mx.a.test",
        tls: () => null,
        localDomains: () => new Set(["a.test"]),
        maxDataSize: 1 << 20,
        maxReceivedHeaders: 50,
        commandTimeoutMs: 10_000,
        connectionTimeoutMs: 60_000,
        authenticator: { authenticate: () => Promise.resolve("bad") },
        recipients: { exists: () => Promise.resolve(true) },
        queue: {
          put: (env) => {
            queued.push(env);
            return Promise.resolve("QID");
          },
        },
        clock: createSystemClock(),
        log: nullLogger(),
        maillog: new MailLog({ write: (l: string) => logged.push(l) }),
        metrics,
        hooks: {
          postData(facts, message) {
            postDataCalls.push({
              facts,
              message: new TextDecoder().decode(message),
            });
            return Promise.resolve(postData);
          },
          envelope(stage, facts) {
            envelopeCalls.push({ stage, facts });
            return Promise.resolve(envelope(stage, facts));
          },
        },
      },
    });
    ({ port } = await server.listen({ mode: "SMTP", address: "127.0.0.1:0" }));
  });
  after(() => server.shutdown(1000));

  async function transaction(from = "s@a.test"): Promise<string> {
    const c = await dial(port);
    try {
      await c.reply();
      await c.send("EHLO client.test");
      assert.match(await c.send(`MAIL FROM:<${from}>`), /^250 /);
      assert.match(await c.send("RCPT TO:<u@a.test>"), /^250 /);
      assert.match(await c.send("DATA"), /^354 /);
      return await c.send("Subject: x\r\n\r\nbody\r\n.");
    } finally {
      c.close();
    }
  }

  it("prepends the hook's headers above Received and counts success", async () => {
    postData = { kind: "ok", headers: "X-Hook: yes\r\n" };
    queued.length = 0;
    postDataCalls.length = 0;
    assert.match(await transaction(), /^250 /);
    const data = new TextDecoder().decode(queued[0]!.data);
    assert.match(data, /^X-Hook: yes\r\nReceived: from client\.test /);
    // The hook saw the message with our Received header on top (D-05).
    assert.match(postDataCalls[0]!.message, /^Received: from client\.test /);
    assert.equal(postDataCalls[0]!.facts.fromLocalDomain, true);
    assert.deepEqual(postDataCalls[0]!.facts.rcptTo, ["u@a.test"]);
    assert.equal(
      metrics.counter("chasquid/smtpIn/hookResults", "", "result").value(
        "post-data:success",
      ),
      1,
    );
  });

  it("queues the message unchanged on bad output and counts it", async () => {
    postData = { kind: "badoutput" };
    queued.length = 0;
    assert.match(await transaction(), /^250 /);
    assert.match(
      new TextDecoder().decode(queued[0]!.data),
      /^Received: /,
    );
  });

  it("answers 554 or 451 with the hook's text and queues nothing", async () => {
    queued.length = 0;
    postData = { kind: "reject", permanent: true, text: "5.7.1 No spam" };
    assert.equal(await transaction(), "554 5.7.1 No spam");
    postData = { kind: "reject", permanent: false, text: "4.3.0 Later" };
    assert.equal(await transaction(), "451 4.3.0 Later");
    assert.equal(queued.length, 0);
    assert.ok(
      logged.some((l) =>
        l.includes("rejected from=s@a.test to=[u@a.test] - 5.7.1 No spam")
      ),
    );
  });

  it("counts every post-data result", () => {
    const c = metrics.counter("chasquid/smtpIn/hookResults", "", "result");
    assert.equal(c.value("post-data:badoutput"), 1);
    assert.equal(c.value("post-data:fail"), 2);
  });

  it("runs the envelope hook at MAIL and at each RCPT", async () => {
    envelopeCalls.length = 0;
    envelope = (stage, f) =>
      stage === "rcpt" && f.rcptTo[0] === "no@a.test"
        ? { kind: "reject", permanent: true, text: "5.7.1 Not that one" }
        : stage === "mail" && f.mailFrom === "bad@x.test"
        ? { kind: "reject", permanent: false, text: "4.7.1 Slow down" }
        : { kind: "accept" };
    const c = await dial(port);
    try {
      await c.reply();
      await c.send("EHLO client.test");
      assert.equal(
        await c.send("MAIL FROM:<bad@x.test>"),
        "451 4.7.1 Slow down",
      );
      assert.match(await c.send("MAIL FROM:<>"), /^250 /);
      assert.equal(
        await c.send("RCPT TO:<no@a.test>"),
        "550 5.7.1 Not that one",
      );
      assert.match(await c.send("RCPT TO:<u@a.test>"), /^250 /);
    } finally {
      c.close();
    }
    assert.deepEqual(
      envelopeCalls.map((e) => [e.stage, e.facts.mailFrom, e.facts.rcptTo]),
      [
        ["mail", "bad@x.test", []],
        ["mail", "", []],
        ["rcpt", "", ["no@a.test"]],
        ["rcpt", "", ["u@a.test"]],
      ],
    );
  });
});
