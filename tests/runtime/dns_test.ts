/**
 * Runtime contract: our DNS client against a real dnsmasq on loopback.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as dgram from "node:dgram";
import { testRuntime } from "./_runtime.ts";
import { dnsmasqMissing, startDns, type TestDns } from "../harness/dnsmasq.ts";
import { parseServer, resolvConfServer } from "../../src/runtime/node_dns.ts";
import { DnsError, type Resolver } from "../../src/runtime/types.ts";

const rt = testRuntime();
const skip = dnsmasqMissing() ?? false;

/** A 2048-bit DKIM key is about 400 bytes: more than one 255-byte string. */
const DKIM = "v=DKIM1; k=rsa; p=" +
  "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A".repeat(13);
/** Enough TXT data that the UDP answer (1232 bytes) must be truncated. */
const BIG = Array.from({ length: 12 }, (_, i) => `${i}-${"x".repeat(200)}`);

function isDnsError(code: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof DnsError, `not a DnsError: ${err}`);
    assert.equal(err.code, code);
    return true;
  };
}

describe("Resolver (dnsmasq)", { skip }, () => {
  let dns: TestDns;
  let r: Resolver;
  before(async () => {
    dns = await startDns({
      records: {
        "a.test": {
          MX: [{ exchange: "mx.a.test", priority: 10 }, {
            exchange: "mx2.a.test",
            priority: 20,
          }],
          TXT: ["v=spf1 ip4:127.0.0.1 -all"],
        },
        "mx.a.test": { A: ["127.0.0.1"], AAAA: ["::1"] },
        "sel._domainkey.a.test": { TXT: [DKIM] },
        "multi.a.test": { TXT: [["one", "two, with comma"], "other"] },
        "big.a.test": { TXT: BIG },
        "alias.a.test": { CNAME: "mx.a.test" },
      },
    });
    r = rt.resolver({ server: dns.addr, timeoutMs: 2000 });
  });
  after(() => dns?.close());

  it("returns MX records with their priorities", async () => {
    const mx = await r.mx("a.test");
    assert.deepEqual(
      mx.sort((x, y) => x.priority - y.priority),
      [{ exchange: "mx.a.test", priority: 10 }, {
        exchange: "mx2.a.test",
        priority: 20,
      }],
    );
  });

  it("returns A and AAAA records", async () => {
    assert.deepEqual(await r.a("mx.a.test"), ["127.0.0.1"]);
    assert.deepEqual(await r.aaaa("mx.a.test"), ["::1"]);
  });

  it("ignores a trailing dot in the name", async () => {
    assert.deepEqual(await r.a("mx.a.test."), ["127.0.0.1"]);
  });

  it("follows a CNAME in the answer", async () => {
    assert.deepEqual(await r.a("alias.a.test"), ["127.0.0.1"]);
    assert.deepEqual(await r.resolve("alias.a.test", "CNAME"), ["mx.a.test"]);
  });

  it("keeps a TXT record longer than 255 bytes as one record (Bun's node:dns splits it)", async () => {
    const txt = await r.txt("sel._domainkey.a.test");
    assert.equal(txt.length, 1);
    assert.ok(txt[0]!.length > 1, "dnsmasq should have split the string");
    assert.equal(txt[0]!.join(""), DKIM);
  });

  it("keeps each record's strings in order", async () => {
    const txt = await r.txt("multi.a.test");
    assert.deepEqual(
      txt.sort((a, b) => a.length - b.length),
      [["other"], ["one", "two, with comma"]],
    );
  });

  it("falls back to TCP when the UDP answer is truncated", async () => {
    const txt = await r.txt("big.a.test");
    assert.deepEqual(txt.map((t) => t.join("")).sort(), [...BIG].sort());
  });

  it("reports NXDOMAIN as ENOTFOUND", async () => {
    await assert.rejects(r.a("nope.a.test"), isDnsError("ENOTFOUND"));
  });

  it("reports a name without that type as ENODATA (Deno's node:dns gives no code)", async () => {
    await assert.rejects(r.mx("mx.a.test"), isDnsError("ENODATA"));
    await assert.rejects(r.txt("mx.a.test"), isDnsError("ENODATA"));
  });

  it("answers resolve() in node:dns shapes", async () => {
    assert.deepEqual(await r.resolve("a.test", "TXT"), [[
      "v=spf1 ip4:127.0.0.1 -all",
    ]]);
    assert.deepEqual(await r.resolve("mx.a.test", "A"), ["127.0.0.1"]);
  });
});

describe("Resolver timeouts", () => {
  it("reports a silent server as ETIMEOUT", async () => {
    const silent = dgram.createSocket("udp4");
    await new Promise<void>((res) => silent.bind(0, "127.0.0.1", res));
    try {
      const r = rt.resolver({
        server: `127.0.0.1:${silent.address().port}`,
        timeoutMs: 100,
      });
      await assert.rejects(r.a("a.test"), isDnsError("ETIMEOUT"));
    } finally {
      await new Promise<void>((res) => silent.close(() => res()));
    }
  });
});

describe("parseServer()", () => {
  const cases: [string, string, { host: string; port: number }][] = [
    ["host only", "10.0.0.1", { host: "10.0.0.1", port: 53 }],
    ["host and port", "127.0.0.1:5353", { host: "127.0.0.1", port: 5353 }],
    ["bracketed v6 and port", "[::1]:5353", { host: "::1", port: 5353 }],
    ["bare v6", "fe80::1", { host: "fe80::1", port: 53 }],
  ];
  for (const [name, spec, want] of cases) {
    it(`parses ${name}`, () => assert.deepEqual(parseServer(spec), want));
  }
});

describe("resolvConfServer()", () => {
  it("takes the first nameserver, skipping comments and zone ids", () => {
    const conf =
      "# generated\nsearch x\nnameserver fe80::1%eth0\nnameserver 9.9.9.9\n";
    assert.equal(resolvConfServer(conf), "fe80::1");
    assert.equal(resolvConfServer("search x\n"), undefined);
  });
});
