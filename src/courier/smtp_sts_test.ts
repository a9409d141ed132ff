/**
 * The SMTP courier with MTA-STS policies (ST-03, ST-06), against the
 * scripted peer. The peer's certificate is for `mail.b.test`, signed by the
 * test CA, so delivering to the MX `mail.b.test` with `tlsCa` is
 * `tls:secure`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createNodeNet } from "../runtime/node_net.ts";
import { createSystemClock } from "../runtime/clock.ts";
import { MemoryResolver } from "../runtime/memory/mod.ts";
import { testCa, testPair } from "../../tests/harness/certs.ts";
import { MetricsRegistry } from "../monitoring/mod.ts";
import type { Policy } from "../sts/mod.ts";
import { type PeerScript, startPeer } from "./_test_peer.ts";
import { type BatchResult, SmtpCourier } from "./smtp.ts";

const MSG = new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n");

function policy(mode: Policy["mode"], mx: string[]): Policy {
  return { version: "STSv1", mode, mx, maxAge: 3600 };
}

/**
 * Delivers to `rcpt@b.test`, whose MXs are `other.b.test` (preferred) and
 * `mail.b.test`, both at the peer.
 */
async function deliver(
  script: PeerScript,
  sts: Policy | null,
  opts: { via?: string[] } = {},
): Promise<{
  out: BatchResult;
  resolver: MemoryResolver;
  commands: string[][];
  metrics: MetricsRegistry;
  asked: string[];
}> {
  const peer = await startPeer(script);
  const resolver = new MemoryResolver({
    "b.test": {
      MX: [
        { exchange: "other.b.test", priority: 5 },
        { exchange: "mail.b.test", priority: 10 },
      ],
    },
    "other.b.test": { A: ["127.0.0.1"] },
    "mail.b.test": { A: ["127.0.0.1"] },
  });
  const metrics = new MetricsRegistry();
  const asked: string[] = [];
  const smtp = new SmtpCourier({
    net: createNodeNet(),
    resolver,
    hostname: "out.a.test",
    port: peer.port,
    clock: createSystemClock(),
    dialTimeoutMs: 5_000,
    connTimeoutMs: 10_000,
    tlsCa: testCa(),
    metrics,
    sts: {
      policyFor(domain) {
        asked.push(domain);
        return Promise.resolve(sts);
      },
    },
  });
  try {
    const out = await smtp.deliverBatch({
      from: "a@a.test",
      to: ["rcpt@b.test"],
      data: MSG,
      ...(opts.via ? { via: opts.via } : {}),
    });
    return {
      out,
      resolver,
      commands: peer.conns.map((c) => c.commands),
      metrics,
      asked,
    };
  } finally {
    await peer.close();
  }
}

function counter(m: MetricsRegistry, name: string, label: string): number {
  return m.counter(
    `chasquid/smtpOut/sts/${name}`,
    "",
    name === "mode" ? "mode" : "result",
  )
    .value(label);
}

const TLS: PeerScript = { cert: testPair("mail.b.test") };

describe("SmtpCourier with MTA-STS", () => {
  it("enforce: skips MXs the policy does not list and delivers over verified TLS", async () => {
    const r = await deliver(TLS, policy("enforce", ["mail.b.test"]));
    assert.equal(r.out.results[0]?.status, "sent");
    assert.equal(r.out.mx, "mail.b.test");
    assert.equal(r.out.tls, "tls:secure");
    assert.equal(r.commands.length, 1);
    assert.ok(!r.resolver.queries.includes("A other.b.test"));
    assert.deepEqual(r.asked, ["b.test"]);
    assert.equal(counter(r.metrics, "mode", "enforce"), 1);
    assert.equal(counter(r.metrics, "security", "pass"), 1);
  });

  it("enforce: a wildcard pattern matches one label", async () => {
    const r = await deliver(TLS, policy("enforce", ["*.b.test"]));
    // other.b.test matches but its certificate (mail.b.test) does not.
    assert.equal(r.out.results[0]?.status, "sent");
    assert.equal(r.out.mx, "mail.b.test");
    assert.equal(r.commands.length, 2);
    assert.equal(counter(r.metrics, "security", "fail"), 1);
    assert.equal(counter(r.metrics, "security", "pass"), 1);
  });

  it("enforce: a connection without STARTTLS fails temporarily before MAIL", async () => {
    const r = await deliver({}, policy("enforce", ["mail.b.test"]));
    const res = r.out.results[0]!;
    assert.ok(res.status === "temporary", res.status);
    assert.match(res.error.message, /security level not valid for STS policy/);
    assert.ok(!r.commands.flat().some((c) => c.startsWith("MAIL")));
    assert.equal(counter(r.metrics, "security", "fail"), 1);
  });

  it("enforce: no matching MX is a temporary failure without connecting", async () => {
    const r = await deliver(TLS, policy("enforce", ["mx.elsewhere.test"]));
    assert.equal(r.out.results[0]?.status, "temporary");
    assert.deepEqual(r.commands, []);
  });

  it("testing: delivers to any MX, in plain text too", async () => {
    const r = await deliver({}, policy("testing", ["mail.b.test"]));
    assert.equal(r.out.results[0]?.status, "sent");
    assert.equal(r.out.mx, "other.b.test");
    assert.equal(r.out.tls, "plain");
    assert.equal(counter(r.metrics, "mode", "testing"), 1);
  });

  it("does not apply to via deliveries", async () => {
    const r = await deliver({}, policy("enforce", ["mail.b.test"]), {
      via: ["other.b.test"],
    });
    assert.equal(r.out.results[0]?.status, "sent");
    assert.deepEqual(r.asked, []);
  });
});
