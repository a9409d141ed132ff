import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { createNodeNet } from "../runtime/node_net.ts";
import { createSystemClock } from "../runtime/clock.ts";
import { nullLogger } from "../log/mod.ts";
import { MailLog } from "../maillog/mod.ts";
import { MetricsRegistry } from "../monitoring/mod.ts";
import { SmtpServer } from "./server.ts";
import { unknownVerbKey } from "./session.ts";

/** A line-at-a-time client: `send()` writes a command and waits for its full reply. */
async function dial(port: number): Promise<{
  send: (line: string) => Promise<string>;
  reply: () => Promise<string>;
  close: () => void;
}> {
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
  sock.on("close", () => wake?.());
  async function reply(): Promise<string> {
    for (;;) {
      const m = /^(?:\d{3}-.*\r\n)*\d{3} .*\r\n/.exec(buf);
      if (m) {
        buf = buf.slice(m[0].length);
        return m[0];
      }
      if (sock.destroyed || sock.readableEnded) return "";
      await new Promise<void>((r) => (wake = r));
    }
  }
  return {
    reply,
    send: (line) => {
      sock.write(`${line}\r\n`);
      return reply();
    },
    close: () => sock.destroy(),
  };
}

describe("Session metrics (chasquid/smtpIn/*)", () => {
  const metrics = new MetricsRegistry();
  let server: SmtpServer;
  let port: number;

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
        maxReceivedHeaders: 2,
        commandTimeoutMs: 10_000,
        connectionTimeoutMs: 60_000,
        authenticator: { authenticate: () => Promise.resolve("bad") },
        recipients: { exists: () => Promise.resolve(true) },
        queue: { put: () => Promise.resolve("QID") },
        clock: createSystemClock(),
        log: nullLogger(),
        maillog: new MailLog({ write: () => {} }),
        metrics,
      },
    });
    ({ port } = await server.listen({ mode: "SMTP", address: "127.0.0.1:0" }));
  });
  after(() => server.shutdown(1_000));

  it("counts commands, reply codes, TLS use at DATA and loops", async () => {
    const c = await dial(port);
    try {
      assert.match(await c.reply(), /^220 /);
      assert.match(await c.send("EHLO client.test"), /^250-/);
      assert.match(await c.send("NOOP"), /^250 /);
      assert.match(await c.send("xyzzy-plugh"), /^500 /);
      for (const hops of [1, 3]) {
        assert.match(await c.send("MAIL FROM:<s@b.test>"), /^250 /);
        assert.match(await c.send("RCPT TO:<u@a.test>"), /^250 /);
        assert.match(await c.send("DATA"), /^354 /);
        const received = "Received: from x\r\n".repeat(hops);
        const end = await c.send(`${received}Subject: t\r\n\r\nbody\r\n.`);
        assert.match(end, hops > 2 ? /^554 5\.4\.6 / : /^250 /);
      }
      assert.match(await c.send("QUIT"), /^221 /);
    } finally {
      c.close();
    }
    const snap = metrics.snapshot();
    assert.deepEqual(snap["chasquid/smtpIn/commandCount"], {
      DATA: 2,
      EHLO: 1,
      MAIL: 2,
      NOOP: 1,
      QUIT: 1,
      RCPT: 2,
      [unknownVerbKey("XYZZY-PLUGH")]: 1,
    });
    // The greeting is not counted, as in chasquid.
    assert.deepEqual(snap["chasquid/smtpIn/responseCodeCount"], {
      "221": 1,
      "250": 7,
      "354": 2,
      "500": 1,
      "554": 1,
    });
    // A looping message is not counted in tlsCount: it stops before.
    assert.deepEqual(snap["chasquid/smtpIn/tlsCount"], { plain: 1 });
    assert.equal(snap["chasquid/smtpIn/loopsDetected"], 1);
  });

  it("counts HTTP verbs in wrongProtoCount, not commandCount", async () => {
    const c = await dial(port);
    try {
      await c.reply();
      assert.match(await c.send("GET / HTTP/1.1"), /^502 /);
    } finally {
      c.close();
    }
    const snap = metrics.snapshot();
    assert.deepEqual(snap["chasquid/smtpIn/wrongProtoCount"], { GET: 1 });
    assert.equal(
      (snap["chasquid/smtpIn/commandCount"] as Record<string, number>).GET,
      undefined,
    );
  });
});

describe("unknownVerbKey()", () => {
  const cases: { name: string; verb: string; want: string }[] = [
    { name: "short", verb: "FOO", want: 'unknown<"FOO">' },
    {
      name: "cut to 6 characters",
      verb: "XYZZY-PLUGH",
      want: 'unknown<"XYZZY-">',
    },
    {
      name: "control bytes as \\x",
      verb: "A\x00\x7fB",
      want: 'unknown<"A\\x00\\x7fB">',
    },
    { name: "named escapes", verb: 'T\t"\\', want: 'unknown<"T\\t\\"\\\\">' },
    // Runes, not bytes or UTF-16 units, as Go counts them.
    {
      name: "printable Unicode kept",
      verb: "ÑANDÚ😀XY",
      want: 'unknown<"ÑANDÚ😀">',
    },
    {
      name: "non-printable Unicode as \\u",
      verb: "\u0085\u200b",
      want: 'unknown<"\\u0085\\u200b">',
    },
  ];
  for (const c of cases) {
    it(`quotes ${c.name}`, () => assert.equal(unknownVerbKey(c.verb), c.want));
  }
});
