import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { createNodeNet } from "../runtime/node_net.ts";
import { createSystemClock } from "../runtime/clock.ts";
import {
  CLOSE,
  HANG,
  type LmtpSink,
  startLmtpSink,
} from "../../tests/harness/lmtp_sink.ts";
import { LmtpCourier, parseLmtpAddress, replyResult } from "./lmtp.ts";
import type { DeliveryResult } from "./types.ts";

const enc = new TextEncoder();
const MESSAGE = enc.encode(
  "From: a@b.test\r\nSubject: lmtp\r\n\r\nhello\r\n",
);

/** `lines` lines of all byte values but CR and LF, every third one dotted. */
function bigMessage(lines: number): Uint8Array {
  const out: number[] = [];
  for (let l = 0; l < lines; l++) {
    if (l % 3 === 0) out.push(46);
    for (let i = 0; i < 70; i++) {
      const b = (l * 31 + i * 7) % 256;
      out.push(b === 10 || b === 13 ? 46 : b);
    }
    out.push(13, 10);
  }
  return new Uint8Array(out);
}

function statuses(rs: readonly DeliveryResult[]): string[] {
  return rs.map((r) => r.status);
}

function errorOf(r: DeliveryResult | undefined): string {
  assert.ok(r && r.status !== "sent", `expected a failure: ${r?.status}`);
  return r.error.message;
}

describe("parseLmtpAddress()", () => {
  const table: [string, unknown][] = [
    ["/run/dovecot/lmtp", { host: "", port: 0, path: "/run/dovecot/lmtp" }],
    ["127.0.0.1:24", { host: "127.0.0.1", port: 24 }],
    ["lmtp.test:2424", { host: "lmtp.test", port: 2424 }],
    ["[::1]:24", { host: "::1", port: 24 }],
  ];
  for (const [addr, want] of table) {
    it(`parses "${addr}"`, () =>
      assert.deepEqual(parseLmtpAddress(addr), want));
  }
  for (
    const bad of [
      "",
      "host",
      "host:",
      "host:0",
      "host:70000",
      "::1:24",
      "run/lmtp",
    ]
  ) {
    it(`rejects "${bad}"`, () => {
      assert.throws(() => parseLmtpAddress(bad), RangeError);
    });
  }
});

describe("replyResult()", () => {
  const table: [number, string][] = [
    [250, "sent"],
    [251, "sent"],
    [421, "temporary"],
    [452, "temporary"],
    [354, "temporary"],
    [550, "permanent"],
    [554, "permanent"],
  ];
  for (const [code, status] of table) {
    it(`maps ${code} to ${status}`, () => {
      const r = replyResult({ code, lines: ["x"], text: "x" }, "step");
      assert.equal(r.status, status);
    });
  }
});

describe("LmtpCourier against the LMTP sink", () => {
  let sink: LmtpSink;
  const rt = { net: createNodeNet(), hostname: "mx.chaski.test" };

  function courier(timeoutMs?: number): LmtpCourier {
    return new LmtpCourier({
      ...rt,
      address: sink.tcpAddress,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }

  before(async () => {
    sink = await startLmtpSink();
  });
  after(() => sink.close());
  beforeEach(() => {
    sink.script = {};
    sink.messages.length = 0;
    sink.commands.length = 0;
  });

  it("delivers to several recipients in one transaction", async () => {
    const rs = await courier().deliverBatch(
      "a@b.test",
      ["u1@l.test", "u2@l.test", "u3@l.test"],
      MESSAGE,
    );
    assert.deepEqual(statuses(rs), ["sent", "sent", "sent"]);
    assert.equal(sink.messages.length, 1);
    const m = sink.messages[0]!;
    assert.equal(m.lhlo, "mx.chaski.test");
    assert.equal(m.from, "a@b.test");
    assert.deepEqual(m.to, ["u1@l.test", "u2@l.test", "u3@l.test"]);
    assert.deepEqual(m.data, MESSAGE);
    assert.deepEqual(sink.commands, [
      "LHLO mx.chaski.test",
      "MAIL FROM:<a@b.test>",
      "RCPT TO:<u1@l.test>",
      "RCPT TO:<u2@l.test>",
      "RCPT TO:<u3@l.test>",
      "DATA",
      "QUIT",
    ]);
  });

  it("deliver() sends one recipient; the null sender is <>", async () => {
    assert.deepEqual(await courier().deliver("", "u@l.test", MESSAGE), {
      status: "sent",
    });
    assert.equal(sink.commands[1], "MAIL FROM:<>");
    assert.equal(sink.messages[0]!.from, "");
  });

  it("delivers byte-exact, dot-stuffing undone by the server", async () => {
    const tricky = enc.encode(
      ".leading dot\r\n..two dots\r\n.\r\nmid . line\r\n\r\n. \r\nend",
    );
    const r = await courier().deliver("a@b.test", "u@l.test", tricky);
    assert.equal(r.status, "sent");
    // A missing final CRLF is added, as for every SMTP egress.
    assert.deepEqual(
      sink.messages[0]!.data,
      enc.encode(
        ".leading dot\r\n..two dots\r\n.\r\nmid . line\r\n\r\n. \r\nend\r\n",
      ),
    );
    const binary = bigMessage(4000);
    const r2 = await courier().deliver("a@b.test", "u@l.test", binary);
    assert.equal(r2.status, "sent");
    assert.deepEqual(sink.messages[1]!.data, binary);
  });

  it("makes a 550 at RCPT permanent for that recipient only", async () => {
    sink.script = {
      rcpt: (to) =>
        to.startsWith("ghost@") ? "550 5.1.1 No such user here" : "250 OK",
    };
    const rs = await courier().deliverBatch(
      "a@b.test",
      ["u1@l.test", "ghost@l.test", "u2@l.test"],
      MESSAGE,
    );
    assert.deepEqual(statuses(rs), ["sent", "permanent", "sent"]);
    assert.match(
      errorOf(rs[1]),
      /"ghost@l\.test" at RCPT: 550 5\.1\.1 No such user here/,
    );
    assert.deepEqual(sink.messages[0]!.to, ["u1@l.test", "u2@l.test"]);
  });

  it("makes a 452 at RCPT temporary, and skips DATA when nobody is accepted", async () => {
    sink.script = { rcpt: () => "452 4.2.2 Mailbox full" };
    const rs = await courier().deliverBatch(
      "a@b.test",
      ["u1@l.test", "u2@l.test"],
      MESSAGE,
    );
    assert.deepEqual(statuses(rs), ["temporary", "temporary"]);
    assert.match(errorOf(rs[0]), /452 4\.2\.2 Mailbox full/);
    assert.equal(sink.messages.length, 0);
    assert.ok(!sink.commands.includes("DATA"));
    assert.equal(sink.commands.at(-1), "QUIT");
  });

  it("reports per-recipient results after DATA", async () => {
    sink.script = {
      rcpt: (to) => to.startsWith("no@") ? "550 5.1.1 Unknown" : "250 OK",
      data: (to) =>
        to.startsWith("full@")
          ? "452 4.2.2 Quota exceeded"
          : to.startsWith("bad@")
          ? "552-5.2.2 Mailbox\r\n552 5.2.2 too big"
          : "250 2.0.0 Saved",
    };
    const rs = await courier().deliverBatch(
      "a@b.test",
      ["ok@l.test", "full@l.test", "no@l.test", "bad@l.test", "ok2@l.test"],
      MESSAGE,
    );
    assert.deepEqual(statuses(rs), [
      "sent",
      "temporary",
      "permanent",
      "permanent",
      "sent",
    ]);
    assert.match(errorOf(rs[1]), /"full@l\.test".*452 4\.2\.2 Quota exceeded/);
    assert.match(errorOf(rs[2]), /at RCPT: 550/);
    assert.match(errorOf(rs[3]), /552 5\.2\.2 Mailbox 5\.2\.2 too big/);
  });

  it("applies a MAIL rejection to every recipient", async () => {
    sink.script = { mail: () => "550 5.7.1 Sender refused" };
    const rs = await courier().deliverBatch("a@b.test", [
      "u1@l.test",
      "u2@l.test",
    ], MESSAGE);
    assert.deepEqual(statuses(rs), ["permanent", "permanent"]);
    sink.script = { mail: () => "451 4.3.0 Try later" };
    const rs2 = await courier().deliverBatch(
      "a@b.test",
      ["u1@l.test"],
      MESSAGE,
    );
    assert.deepEqual(statuses(rs2), ["temporary"]);
  });

  it("maps a rejected DATA command to the accepted recipients", async () => {
    sink.script = {
      rcpt: (to) => to.startsWith("no@") ? "550 5.1.1 Unknown" : "250 OK",
      dataStart: "554 5.3.0 No thanks",
    };
    const rs = await courier().deliverBatch("a@b.test", [
      "u@l.test",
      "no@l.test",
    ], MESSAGE);
    assert.deepEqual(statuses(rs), ["permanent", "permanent"]);
    assert.match(errorOf(rs[0]), /rejected DATA: 554 5\.3\.0 No thanks/);
  });

  it("makes a bad greeting or LHLO temporary for all", async () => {
    sink.script = { greeting: "554 5.3.2 Not now" };
    let rs = await courier().deliverBatch(
      "a@b.test",
      ["u@l.test", "v@l.test"],
      MESSAGE,
    );
    assert.deepEqual(statuses(rs), ["temporary", "temporary"]);
    assert.match(errorOf(rs[0]), /connect: 554 5\.3\.2 Not now/);
    sink.script = { lhlo: () => "500 5.5.1 Speak LMTP" };
    rs = await courier().deliverBatch("a@b.test", ["u@l.test"], MESSAGE);
    assert.deepEqual(statuses(rs), ["temporary"]);
    assert.match(errorOf(rs[0]), /LHLO: 500/);
  });

  it("keeps the replies read before the connection drops mid-DATA replies", async () => {
    sink.script = {
      data: (to) => to.startsWith("u1@") ? "250 2.0.0 Saved" : CLOSE,
    };
    const rs = await courier().deliverBatch(
      "a@b.test",
      ["u1@l.test", "u2@l.test", "u3@l.test"],
      MESSAGE,
    );
    assert.deepEqual(statuses(rs), ["sent", "temporary", "temporary"]);
    assert.match(errorOf(rs[1]), /LMTP server ".*":/);
  });

  it("makes garbage in a reply temporary for the rest", async () => {
    sink.script = {
      data: (to) => to.startsWith("u1@") ? "550 5.1.1 Gone" : "hello there",
    };
    const rs = await courier().deliverBatch("a@b.test", [
      "u1@l.test",
      "u2@l.test",
    ], MESSAGE);
    assert.deepEqual(statuses(rs), ["permanent", "temporary"]);
    assert.match(errorOf(rs[1]), /Malformed reply line: "hello there"/);
    sink.script = { greeting: "SSH-2.0-OpenSSH_9.6" };
    const rs2 = await courier().deliverBatch("a@b.test", ["u@l.test"], MESSAGE);
    assert.deepEqual(statuses(rs2), ["temporary"]);
  });

  it("makes a close before the greeting temporary", async () => {
    sink.script = { greeting: CLOSE };
    const rs = await courier().deliverBatch("a@b.test", ["u@l.test"], MESSAGE);
    assert.deepEqual(statuses(rs), ["temporary"]);
  });

  it("times out a silent server as temporary", async () => {
    sink.script = { rcpt: () => HANG };
    const t0 = Date.now();
    const rs = await courier(300).deliverBatch("a@b.test", [
      "u@l.test",
      "v@l.test",
    ], MESSAGE);
    assert.ok(Date.now() - t0 < 5000);
    assert.deepEqual(statuses(rs), ["temporary", "temporary"]);
    assert.match(errorOf(rs[0]), /timed out$/);
  });

  it("uses the injected clock for the deadline", async () => {
    sink.script = { data: () => HANG };
    const c = new LmtpCourier({
      ...rt,
      address: sink.tcpAddress,
      timeoutMs: 200,
      clock: createSystemClock(),
    });
    const rs = await c.deliverBatch("a@b.test", ["u@l.test"], MESSAGE);
    assert.deepEqual(statuses(rs), ["temporary"]);
    assert.match(errorOf(rs[0]), /timed out$/);
    // The message got there; only the reply is missing.
    assert.equal(sink.messages.length, 1);
  });

  it("refuses addresses that would break the command line", async () => {
    const rs = await courier().deliverBatch(
      "a@b.test",
      ["ok@l.test", "x>\r\nRSET@l.test"],
      MESSAGE,
    );
    assert.deepEqual(statuses(rs), ["sent", "permanent"]);
    assert.ok(!sink.commands.includes("RSET"));
  });

  it("delivers over the unix socket", async () => {
    const c = new LmtpCourier({ ...rt, address: sink.path });
    const rs = await c.deliverBatch(
      "a@b.test",
      ["u1@l.test", "u2@l.test"],
      MESSAGE,
    );
    assert.deepEqual(statuses(rs), ["sent", "sent"]);
    assert.deepEqual(sink.messages[0]!.data, MESSAGE);
  });

  it("returns nothing for no recipients, without connecting", async () => {
    const before = sink.connections;
    assert.deepEqual(await courier().deliverBatch("a@b.test", [], MESSAGE), []);
    assert.equal(sink.connections, before);
  });
});

describe("LmtpCourier connection failures", () => {
  it("makes connection refused temporary for all", async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const c = new LmtpCourier({
      net: createNodeNet(),
      address: `127.0.0.1:${port}`,
      hostname: "mx.chaski.test",
    });
    const rs = await c.deliverBatch(
      "a@b.test",
      ["u@l.test", "v@l.test"],
      MESSAGE,
    );
    assert.deepEqual(statuses(rs), ["temporary", "temporary"]);
    assert.match(errorOf(rs[0]), /connection failed/);
  });

  it("makes a missing unix socket temporary", async () => {
    const c = new LmtpCourier({
      net: createNodeNet(),
      address: "/nonexistent/chaski/lmtp.sock",
      hostname: "mx.chaski.test",
    });
    const r = await c.deliver("a@b.test", "u@l.test", MESSAGE);
    assert.equal(r.status, "temporary");
  });
});
