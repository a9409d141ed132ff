/**
 * The SMTP courier's outbound security level check (SL-03, SL-04) against
 * the scripted peer, with a real `DomainInfo` on in-memory SQLite. The
 * peer's certificate is for `mx.a.test`, signed by the test CA, so the MX
 * `mx.a.test` with `tlsCa` is `tls:secure`.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createNodeNet } from "../runtime/node_net.ts";
import { createSystemClock } from "../runtime/clock.ts";
import { type MemoryRecordSet, MemoryResolver } from "../runtime/memory/mod.ts";
import { createNodeSqlite } from "../runtime/node_sqlite.ts";
import { createDb } from "../storage/mod.ts";
import { MetricsRegistry } from "../monitoring/mod.ts";
import { testCa, testPair } from "../../tests/harness/certs.ts";
import {
  DomainInfo,
  KyselyDomainInfoStore,
  SecLevel,
} from "../domaininfo/mod.ts";
import { type PeerScript, startPeer, type TestPeer } from "./_test_peer.ts";
import { type BatchResult, SmtpCourier } from "./smtp.ts";

const MSG = new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n");
const FROM = "sender@a.test";
const SECURE_MX: Record<string, MemoryRecordSet> = {
  "b.test": { MX: [{ exchange: "mx.a.test", priority: 10 }] },
  "mx.a.test": { A: ["127.0.0.1"] },
};
const EHLO_NO_TLS = "250-peer.test\n250 8BITMIME";

describe("SmtpCourier security levels", () => {
  let db: Awaited<ReturnType<typeof createDb>>;
  let dinfo: DomainInfo;
  let metrics: MetricsRegistry;
  const peers: TestPeer[] = [];

  beforeEach(async () => {
    db = await createDb({
      sqlite: createNodeSqlite(),
      url: ":memory:",
      dataDir: "/nonexistent",
    });
    metrics = new MetricsRegistry();
    dinfo = new DomainInfo({
      store: new KyselyDomainInfoStore(db),
      clock: createSystemClock(),
      metrics,
    });
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.close();
    await db.destroy();
  });

  async function deliver(
    script: PeerScript,
    records: Record<string, MemoryRecordSet>,
    opts: { to?: string[]; via?: string[] } = {},
  ): Promise<{ out: BatchResult; peer: TestPeer }> {
    const peer = await startPeer(script);
    peers.push(peer);
    const smtp = new SmtpCourier({
      net: createNodeNet(),
      resolver: new MemoryResolver(records),
      hostname: "out.a.test",
      port: peer.port,
      clock: createSystemClock(),
      dialTimeoutMs: 5_000,
      connTimeoutMs: 10_000,
      tlsCa: testCa(),
      secLevels: dinfo,
    });
    const out = await smtp.deliverBatch({
      from: FROM,
      to: opts.to ?? ["x@b.test"],
      data: MSG,
      ...(opts.via ? { via: opts.via } : {}),
    });
    return { out, peer };
  }

  function errorOf(out: BatchResult, i = 0): string {
    const r = out.results[i];
    assert.ok(r && r.status === "temporary", `not temporary: ${r?.status}`);
    return r.error.message;
  }

  it("records the level of a secure delivery", async () => {
    const { out } = await deliver({ cert: testPair("mx.a.test") }, SECURE_MX);
    assert.deepEqual(out.results, [{ status: "sent" }]);
    assert.equal(out.tls, "tls:secure");
    const rec = await dinfo.get("b.test");
    assert.equal(rec?.outgoing, SecLevel.TLS_SECURE);
    assert.equal(rec?.incoming, SecLevel.PLAIN);
    assert.deepEqual(
      metrics.snapshot()["chasquid/smtpOut/securityLevelChecks"],
      { pass: 1 },
    );
  });

  it("fails a later plain connection temporarily, before MAIL FROM", async () => {
    await deliver({ cert: testPair("mx.a.test") }, SECURE_MX);
    const { out, peer } = await deliver({}, SECURE_MX);
    assert.match(
      errorOf(out),
      /^all MXs failed temporarily; last: mx\.a\.test: security level check failed \(level:PLAIN\)$/,
    );
    assert.ok(!peer.conns[0]!.commands.some((c) => c.startsWith("MAIL")));
    assert.equal(
      (await dinfo.get("b.test"))?.outgoing,
      SecLevel.TLS_SECURE,
      "the failure does not lower the level",
    );
  });

  it("fails the plain retry after a broken handshake for a TLS domain", async () => {
    await dinfo.outgoingCheck("b.test", SecLevel.TLS_INSECURE);
    const { out, peer } = await deliver(
      { cert: testPair("mx.a.test"), breakTls: true },
      SECURE_MX,
    );
    assert.match(errorOf(out), /security level check failed \(level:PLAIN\)/);
    assert.equal(peer.conns.length, 2);
    assert.ok(!peer.conns[1]!.commands.some((c) => c.startsWith("MAIL")));
  });

  it("fails tls:insecure where TLS_SECURE was recorded", async () => {
    await dinfo.outgoingCheck("b.test", SecLevel.TLS_SECURE);
    // The certificate is for mx.a.test: the MX mx.b.test does not match.
    const { out } = await deliver({ cert: testPair("mx.a.test") }, {
      "b.test": { MX: [{ exchange: "mx.b.test", priority: 10 }] },
      "mx.b.test": { A: ["127.0.0.1"] },
    });
    assert.match(
      errorOf(out),
      /security level check failed \(level:TLS_INSECURE\)/,
    );
  });

  it("tries the next MX after a failed check", async () => {
    await dinfo.outgoingCheck("b.test", SecLevel.TLS_INSECURE);
    const { out, peer } = await deliver({
      cert: testPair("mx.a.test"),
      // The first connection (mx1.b.test) offers no STARTTLS.
      on: (verb, _l, n) => verb === "EHLO" && n === 0 ? EHLO_NO_TLS : undefined,
    }, {
      "b.test": {
        MX: [
          { exchange: "mx1.b.test", priority: 10 },
          { exchange: "mx.a.test", priority: 20 },
        ],
      },
      "mx1.b.test": { A: ["127.0.0.1"] },
      "mx.a.test": { A: ["127.0.0.1"] },
    });
    assert.deepEqual(out.results, [{ status: "sent" }]);
    assert.equal(out.mx, "mx.a.test");
    assert.equal(peer.conns.length, 2);
    assert.equal(peer.conns[1]!.messages.length, 1);
    assert.equal((await dinfo.get("b.test"))?.outgoing, SecLevel.TLS_SECURE);
    assert.deepEqual(
      metrics.snapshot()["chasquid/smtpOut/securityLevelChecks"],
      { pass: 2, fail: 1 },
    );
  });

  it("checks via deliveries by recipient domain", async () => {
    await dinfo.outgoingCheck("c.test", SecLevel.TLS_INSECURE);
    const { out } = await deliver({}, { "relay.test": { A: ["127.0.0.1"] } }, {
      to: ["x@b.test", "y@c.test"],
      via: ["relay.test"],
    });
    for (const i of [0, 1]) {
      assert.match(errorOf(out, i), /security level check failed/);
    }
    // b.test passed at PLAIN and was recorded.
    assert.equal((await dinfo.get("b.test"))?.outgoing, SecLevel.PLAIN);
  });
});
