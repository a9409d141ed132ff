import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createNodeNet } from "../runtime/node_net.ts";
import { createSystemClock } from "../runtime/clock.ts";
import { type MemoryRecordSet, MemoryResolver } from "../runtime/memory/mod.ts";
import { domainToAscii } from "../normalize/mod.ts";
import { testCa, testPair } from "../../tests/harness/certs.ts";
import { type PeerScript, startPeer, type TestPeer } from "./_test_peer.ts";
import { SmtpCourier, type SmtpCourierProps } from "./smtp.ts";
import type { DeliveryResult } from "./types.ts";
import { MetricsRegistry } from "../monitoring/mod.ts";

const MSG = new TextEncoder().encode(
  "Subject: hi\r\n\r\n.dot line\r\nbody\r\n",
);
const FROM = "sender@a.test";

/** A courier with a resolver where `b.test` has one MX at 127.0.0.1. */
function courier(
  port: number,
  records: Record<string, MemoryRecordSet> = {},
  extra: Partial<SmtpCourierProps> = {},
): { smtp: SmtpCourier; resolver: MemoryResolver } {
  const resolver = new MemoryResolver({
    "b.test": { MX: [{ exchange: "mx.b.test", priority: 10 }] },
    "mx.b.test": { A: ["127.0.0.1"] },
    ...records,
  });
  const smtp = new SmtpCourier({
    net: createNodeNet(),
    resolver,
    hostname: "out.a.test",
    port,
    clock: createSystemClock(),
    dialTimeoutMs: 5_000,
    connTimeoutMs: 10_000,
    ...extra,
  });
  return { smtp, resolver };
}

/** Runs `fn` against a peer with `script`, closing it afterwards. */
async function withPeer<T>(
  script: PeerScript,
  fn: (peer: TestPeer) => Promise<T>,
): Promise<T> {
  const peer = await startPeer(script);
  try {
    return await fn(peer);
  } finally {
    await peer.close();
  }
}

function errorOf(r: DeliveryResult | undefined): string {
  assert.ok(r && r.status !== "sent", `expected a failure: ${r?.status}`);
  return r.error.message;
}

describe("SmtpCourier MX lookup", () => {
  // Hosts without addresses fail one after another, so the A queries show
  // the order in which they were tried.
  function triedHosts(resolver: MemoryResolver): string[] {
    return resolver.queries.filter((q) => q.startsWith("A ")).map((q) =>
      q.slice(2)
    );
  }
  const mxs: MemoryRecordSet = {
    MX: [
      { exchange: "c.b.test", priority: 20 },
      { exchange: "a1.b.test", priority: 10 },
      { exchange: "a2.b.test.", priority: 10 },
      { exchange: "d.b.test", priority: 30 },
      { exchange: "e.b.test", priority: 40 },
      { exchange: "f.b.test", priority: 50 },
      { exchange: "g.b.test", priority: 60 },
    ],
  };

  it("tries hosts by preference, keeping equal ones in order when random says so", async () => {
    const { smtp, resolver } = courier(1, { "b.test": mxs }, {
      random: () => 0.999,
    });
    const r = await smtp.deliver(FROM, "x@b.test", MSG);
    assert.equal(r.status, "temporary");
    assert.match(errorOf(r), /^all MXs failed temporarily; last: /);
    // Capped at five hosts.
    assert.deepEqual(triedHosts(resolver), [
      "a1.b.test",
      "a2.b.test",
      "c.b.test",
      "d.b.test",
      "e.b.test",
    ]);
  });

  it("shuffles hosts of equal preference with the injected random", async () => {
    const { smtp, resolver } = courier(1, { "b.test": mxs }, {
      random: () => 0,
    });
    await smtp.deliver(FROM, "x@b.test", MSG);
    assert.deepEqual(triedHosts(resolver).slice(0, 3), [
      "a2.b.test",
      "a1.b.test",
      "c.b.test",
    ]);
  });

  it("falls back to the domain itself when it has no MX", async () => {
    await withPeer({}, async (peer) => {
      const { smtp } = courier(peer.port, { "b.test": { A: ["127.0.0.1"] } });
      const res = await smtp.deliverBatch({
        from: FROM,
        to: ["x@b.test"],
        data: MSG,
      });
      assert.deepEqual(res.results, [{ status: "sent" }]);
      assert.equal(res.mx, "b.test");
      assert.equal(peer.conns[0]!.messages.length, 1);
    });
  });

  it("falls back to the domain itself on NXDOMAIN", async () => {
    const { smtp, resolver } = courier(1);
    const r = await smtp.deliver(FROM, "x@nx.test", MSG);
    assert.equal(r.status, "temporary");
    assert.ok(resolver.queries.includes("A nx.test"), resolver.queries.join());
  });

  it("fails permanently with 5.1.10 on a null MX", async () => {
    const { smtp, resolver } = courier(1, {
      "b.test": { MX: [{ exchange: ".", priority: 0 }] },
    });
    const r = await smtp.deliver(FROM, "x@b.test", MSG);
    assert.equal(r.status, "permanent");
    assert.match(errorOf(r), /5\.1\.10/);
    assert.deepEqual(resolver.queries, ["MX b.test"]);
  });

  it("fails temporarily on a temporary DNS error", async () => {
    const { smtp } = courier(1, { "b.test": { error: "ESERVFAIL" } });
    const r = await smtp.deliver(FROM, "x@b.test", MSG);
    assert.equal(r.status, "temporary");
    assert.match(errorOf(r), /DNS/);
  });

  it("looks up the IDNA ASCII form of the domain", async () => {
    const { smtp, resolver } = courier(1, {});
    await smtp.deliver(FROM, "x@ñandú.test", MSG);
    assert.equal(resolver.queries[0], `MX ${domainToAscii("ñandú.test")}`);
  });
});

describe("SmtpCourier error classes", () => {
  const twoMxs: Record<string, MemoryRecordSet> = {
    "b.test": {
      MX: [
        { exchange: "mx1.b.test", priority: 10 },
        { exchange: "mx2.b.test", priority: 20 },
      ],
    },
    "mx1.b.test": { A: ["127.0.0.1"] },
    "mx2.b.test": { A: ["127.0.0.1"] },
  };

  it("does not try the next MX after a 5xx to MAIL", async () => {
    await withPeer({
      on: (verb) => verb === "MAIL" ? "550 5.7.1 go away" : undefined,
    }, async (peer) => {
      const { smtp } = courier(peer.port, twoMxs);
      const r = await smtp.deliver(FROM, "x@b.test", MSG);
      assert.equal(r.status, "permanent");
      assert.match(errorOf(r), /^550 5\.7\.1 go away/);
      assert.equal(peer.conns.length, 1);
    });
  });

  it("tries the next MX after a 4xx", async () => {
    await withPeer({
      on: (verb, _l, n) =>
        verb === "MAIL" && n === 0 ? "451 4.3.0 later" : undefined,
    }, async (peer) => {
      const { smtp } = courier(peer.port, twoMxs);
      const res = await smtp.deliverBatch({
        from: FROM,
        to: ["x@b.test"],
        data: MSG,
      });
      assert.deepEqual(res.results, [{ status: "sent" }]);
      assert.equal(res.mx, "mx2.b.test");
      assert.equal(peer.conns.length, 2);
    });
  });

  it("reports the last error when every MX fails temporarily", async () => {
    await withPeer({
      on: (verb) => verb === "MAIL" ? "421 4.4.5 busy" : undefined,
    }, async (peer) => {
      const { smtp } = courier(peer.port, twoMxs);
      const r = await smtp.deliver(FROM, "x@b.test", MSG);
      assert.equal(r.status, "temporary");
      assert.match(
        errorOf(r),
        /^all MXs failed temporarily; last: mx2\.b\.test: MAIL FROM: 421 4\.4\.5 busy/,
      );
    });
  });

  const broken: [string, PeerScript][] = [
    ["garbage instead of a greeting", { greeting: "hello there" }],
    ["a close in the middle of a reply", {
      greeting: { raw: "220-peer.test\r\n", close: true },
    }],
    ["a close in the middle of the EHLO reply", {
      on: (verb) =>
        verb === "EHLO" ? { raw: "250-peer.test\r\n", close: true } : undefined,
    }],
    ["a close after RCPT", {
      on: (verb) => verb === "RCPT" ? { close: true } : undefined,
    }],
    ["a peer that stalls", {
      on: (verb) => verb === "MAIL" ? { stall: true } : undefined,
    }],
  ];
  for (const [name, script] of broken) {
    it(`fails temporarily on ${name}`, async () => {
      await withPeer(script, async (peer) => {
        const { smtp } = courier(peer.port, {}, { connTimeoutMs: 500 });
        const r = await smtp.deliver(FROM, "x@b.test", MSG);
        assert.equal(r.status, "temporary");
        assert.match(errorOf(r), /^all MXs failed temporarily; last: /);
      });
    });
  }

  it("stops reading after 2 MiB of replies on one connection", async () => {
    // Each reply is under the per-reply cap; together they are over.
    const big = (code: number) =>
      Array.from({ length: 1100 }, () => `${code}-${"x".repeat(1000)}`)
        .concat(`${code} end`).join("\n");
    await withPeer({
      greeting: big(220),
      on: (verb) => verb === "EHLO" ? big(250) : undefined,
    }, async (peer) => {
      const { smtp } = courier(peer.port);
      const r = await smtp.deliver(FROM, "x@b.test", MSG);
      assert.equal(r.status, "temporary");
      assert.match(errorOf(r), /more than 2097152 octets/);
      assert.ok(!peer.conns[0]!.commands.some((c) => c.startsWith("MAIL")));
    });
  });

  it("names the timeout when the peer stalls", async () => {
    await withPeer({ greeting: { stall: true } }, async (peer) => {
      const { smtp } = courier(peer.port, {}, { connTimeoutMs: 300 });
      const r = await smtp.deliver(FROM, "x@b.test", MSG);
      assert.match(errorOf(r), /timed out/);
    });
  });
});

describe("SmtpCourier.deliverBatch() transactions", () => {
  it("gives each recipient its own RCPT result in one transaction", async () => {
    await withPeer({
      on: (verb, line) => {
        if (verb !== "RCPT") return undefined;
        if (line.includes("perm@")) return "550 5.1.1 no such user";
        if (line.includes("temp@")) return "452 4.2.2 mailbox full";
        return undefined;
      },
    }, async (peer) => {
      const { smtp } = courier(peer.port);
      const to = ["ok@b.test", "perm@b.test", "temp@b.test", "ok2@b.test"];
      const { results } = await smtp.deliverBatch({
        from: FROM,
        to,
        data: MSG,
      });
      assert.equal(results[0]!.status, "sent");
      assert.equal(results[1]!.status, "permanent");
      assert.match(errorOf(results[1]), /^550 5\.1\.1 no such user/);
      assert.equal(results[2]!.status, "temporary");
      assert.match(errorOf(results[2]), /452 4\.2\.2 mailbox full/);
      assert.equal(results[3]!.status, "sent");
      const cmds = peer.conns[0]!.commands;
      assert.equal(cmds.filter((c) => c.startsWith("MAIL")).length, 1);
      assert.equal(cmds.filter((c) => c.startsWith("RCPT")).length, 4);
      assert.equal(peer.conns[0]!.messages.length, 1);
      assert.equal(
        peer.conns[0]!.messages[0],
        "Subject: hi\r\n\r\n.dot line\r\nbody\r\n",
      );
    });
  });

  it("splits more than 100 recipients into transactions", async () => {
    await withPeer({}, async (peer) => {
      const { smtp } = courier(peer.port);
      const to = Array.from({ length: 150 }, (_, i) => `u${i}@b.test`);
      const { results } = await smtp.deliverBatch({
        from: FROM,
        to,
        data: MSG,
      });
      assert.equal(results.length, 150);
      assert.ok(results.every((r) => r.status === "sent"));
      assert.equal(peer.conns.length, 1);
      assert.equal(peer.conns[0]!.messages.length, 2);
    });
  });

  it("applies a DATA rejection to every accepted recipient", async () => {
    await withPeer({
      on: (verb, line) => {
        if (verb === "DATA-END") return "554 5.6.0 content rejected";
        if (verb === "RCPT" && line.includes("perm@")) return "550 5.1.1 no";
        return undefined;
      },
    }, async (peer) => {
      const { smtp } = courier(peer.port);
      const to = ["a@b.test", "perm@b.test", "c@b.test"];
      const { results } = await smtp.deliverBatch({
        from: FROM,
        to,
        data: MSG,
      });
      assert.deepEqual(results.map((r) => r.status), [
        "permanent",
        "permanent",
        "permanent",
      ]);
      assert.match(errorOf(results[0]), /^554 5\.6\.0 content rejected/);
      assert.match(errorOf(results[1]), /^550 5\.1\.1 no/);
      assert.match(errorOf(results[2]), /^554 5\.6\.0 content rejected/);
    });
  });

  it("skips DATA when no recipient was accepted", async () => {
    await withPeer({
      on: (verb) => verb === "RCPT" ? "550 5.1.1 no" : undefined,
    }, async (peer) => {
      const { smtp } = courier(peer.port);
      const r = await smtp.deliver(FROM, "x@b.test", MSG);
      assert.equal(r.status, "permanent");
      assert.ok(!peer.conns[0]!.commands.includes("DATA"));
    });
  });

  it("falls back to HELO when EHLO is refused", async () => {
    await withPeer({
      on: (verb) => verb === "EHLO" ? "502 5.5.1 no EHLO here" : undefined,
    }, async (peer) => {
      const { smtp } = courier(peer.port);
      assert.equal((await smtp.deliver(FROM, "x@b.test", MSG)).status, "sent");
      const cmds = peer.conns[0]!.commands;
      assert.ok(cmds.includes("HELO out.a.test"), cmds.join("\n"));
      assert.ok(cmds.includes(`MAIL FROM:<${FROM}>`), cmds.join("\n"));
    });
  });

  it("sends the null sender as MAIL FROM:<>", async () => {
    await withPeer({ ehlo: [] }, async (peer) => {
      const { smtp } = courier(peer.port);
      assert.equal((await smtp.deliver("", "x@b.test", MSG)).status, "sent");
      assert.ok(peer.conns[0]!.commands.includes("MAIL FROM:<>"));
    });
  });
});

describe("SmtpCourier extensions", () => {
  it("adds BODY=8BITMIME when the peer offers 8BITMIME", async () => {
    await withPeer({ ehlo: ["8BITMIME"] }, async (peer) => {
      const { smtp } = courier(peer.port);
      await smtp.deliver(FROM, "x@b.test", MSG);
      assert.ok(
        peer.conns[0]!.commands.includes(`MAIL FROM:<${FROM}> BODY=8BITMIME`),
        peer.conns[0]!.commands.join("\n"),
      );
    });
  });

  it("sends UTF-8 addresses with SMTPUTF8 when the peer offers it", async () => {
    await withPeer({ ehlo: ["SMTPUTF8"] }, async (peer) => {
      const { smtp } = courier(peer.port);
      const r = await smtp.deliver(FROM, "ñandú@b.test", MSG);
      assert.equal(r.status, "sent");
      const cmds = peer.conns[0]!.commands;
      assert.ok(cmds.includes(`MAIL FROM:<${FROM}> SMTPUTF8`), cmds.join("\n"));
      assert.ok(cmds.includes("RCPT TO:<ñandú@b.test>"), cmds.join("\n"));
    });
  });

  it("sends IDNA domains as punycode to a peer without SMTPUTF8", async () => {
    const ascii = domainToAscii("ñandú.test");
    await withPeer({ ehlo: [] }, async (peer) => {
      const { smtp } = courier(peer.port, { [ascii]: { A: ["127.0.0.1"] } });
      const r = await smtp.deliver("yo@ñandú.test", "x@ñandú.test", MSG);
      assert.equal(r.status, "sent");
      const cmds = peer.conns[0]!.commands;
      assert.ok(cmds.includes(`MAIL FROM:<yo@${ascii}>`), cmds.join("\n"));
      assert.ok(cmds.includes(`RCPT TO:<x@${ascii}>`), cmds.join("\n"));
    });
  });

  it("fails a non-ASCII local part permanently without SMTPUTF8", async () => {
    await withPeer({ ehlo: [] }, async (peer) => {
      const { smtp } = courier(peer.port);
      const { results } = await smtp.deliverBatch({
        from: FROM,
        to: ["ñandú@b.test", "ok@b.test"],
        data: MSG,
      });
      assert.equal(results[0]!.status, "permanent");
      assert.match(errorOf(results[0]), /^599 /);
      assert.equal(results[1]!.status, "sent");
      const rcpts = peer.conns[0]!.commands.filter((c) => c.startsWith("RCPT"));
      assert.deepEqual(rcpts, ["RCPT TO:<ok@b.test>"]);
    });
  });
});

describe("SmtpCourier STARTTLS", () => {
  let peer: TestPeer;
  let broken: TestPeer;
  before(async () => {
    peer = await startPeer({ cert: testPair("mx.a.test") });
    broken = await startPeer({ cert: testPair("mx.a.test"), breakTls: true });
  });
  after(async () => {
    await peer.close();
    await broken.close();
  });

  it("is tls:secure when the certificate verifies for the MX name", async () => {
    const metrics = new MetricsRegistry();
    const { smtp } = courier(peer.port, {
      "b.test": { MX: [{ exchange: "mx.a.test", priority: 10 }] },
      "mx.a.test": { A: ["127.0.0.1"] },
    }, { tlsCa: testCa(), metrics });
    const res = await smtp.deliverBatch({
      from: FROM,
      to: ["x@b.test"],
      data: MSG,
    });
    assert.deepEqual(res.results, [{ status: "sent" }]);
    assert.equal(res.tls, "tls:secure");
    assert.equal(res.mx, "mx.a.test");
    assert.equal(peer.conns.at(-1)!.tls, true);
    assert.equal(peer.conns.at(-1)!.messages.length, 1);
    assert.deepEqual(metrics.snapshot()["chasquid/smtpOut/tlsCount"], {
      "tls:secure": 1,
    });
  });

  it("is tls:insecure when the name does not match", async () => {
    const { smtp } = courier(peer.port, {}, { tlsCa: testCa() });
    const res = await smtp.deliverBatch({
      from: FROM,
      to: ["x@b.test"],
      data: MSG,
    });
    assert.deepEqual(res.results, [{ status: "sent" }]);
    assert.equal(res.tls, "tls:insecure");
  });

  it("is tls:insecure when the chain does not verify", async () => {
    const { smtp } = courier(peer.port, {
      "b.test": { MX: [{ exchange: "mx.a.test", priority: 10 }] },
      "mx.a.test": { A: ["127.0.0.1"] },
    });
    const res = await smtp.deliverBatch({
      from: FROM,
      to: ["x@b.test"],
      data: MSG,
    });
    assert.equal(res.tls, "tls:insecure");
  });

  it("retries the same MX in plain text when STARTTLS is refused", async () => {
    await withPeer({
      cert: testPair("mx.a.test"),
      on: (verb) => verb === "STARTTLS" ? "454 4.7.0 not now" : undefined,
    }, async (refusing) => {
      const { smtp } = courier(refusing.port, {}, { tlsCa: testCa() });
      const res = await smtp.deliverBatch({
        from: FROM,
        to: ["x@b.test"],
        data: MSG,
      });
      assert.deepEqual(res.results, [{ status: "sent" }]);
      assert.equal(res.tls, "plain");
      assert.equal(refusing.conns.length, 2);
    });
  });

  it("retries the same MX in plain text after a failed handshake", async () => {
    const metrics = new MetricsRegistry();
    const { smtp } = courier(broken.port, {}, { tlsCa: testCa(), metrics });
    const res = await smtp.deliverBatch({
      from: FROM,
      to: ["x@b.test"],
      data: MSG,
    });
    assert.deepEqual(res.results, [{ status: "sent" }]);
    assert.equal(res.tls, "plain");
    assert.equal(broken.conns.length, 2);
    assert.ok(broken.conns[0]!.commands.includes("STARTTLS"));
    assert.ok(!broken.conns[1]!.commands.includes("STARTTLS"));
    // CO-09: the failed handshake and the plain retry are counted apart.
    assert.deepEqual(metrics.snapshot()["chasquid/smtpOut/tlsCount"], {
      plain: 1,
      "tls:failed": 1,
    });
  });
});

describe("SmtpCourier via", () => {
  it("uses the listed servers in order, without an MX lookup", async () => {
    await withPeer({
      on: (verb, _l, n) =>
        verb === "MAIL" && n === 0 ? "421 4.3.0 not now" : undefined,
    }, async (peer) => {
      const { smtp, resolver } = courier(peer.port, {
        "via1.test": { A: ["127.0.0.1"] },
      });
      const res = await smtp.deliverBatch({
        from: FROM,
        to: ["x@b.test"],
        data: MSG,
        via: ["nowhere.test", "via1.test", "127.0.0.1"],
      });
      assert.deepEqual(res.results, [{ status: "sent" }]);
      assert.equal(res.mx, "127.0.0.1");
      assert.ok(!resolver.queries.some((q) => q.startsWith("MX ")));
      assert.deepEqual(resolver.queries.filter((q) => q.startsWith("A ")), [
        "A nowhere.test",
        "A via1.test",
      ]);
      assert.equal(peer.conns.length, 2);
    });
  });
});
