import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as dgram from "node:dgram";
import {
  dnsmasqMissing,
  startDns,
  type TestDns,
} from "../../tests/harness/dnsmasq.ts";
import { createNodeResolver } from "../runtime/node_dns.ts";
import type { Resolver } from "../runtime/types.ts";
import { checkSpf } from "./spf.ts";

const includes = Array.from({ length: 11 }, (_, i) => `include:i${i}.spf.test`);
const RECORDS = {
  "pass.spf.test": { TXT: ["v=spf1 ip4:192.0.2.1 -all"] },
  "soft.spf.test": { TXT: ["v=spf1 ip4:192.0.2.1 ~all"] },
  "neutral.spf.test": { TXT: ["v=spf1 ?all"] },
  "exp.spf.test": { TXT: ["v=spf1 -all exp=why.spf.test"] },
  "why.spf.test": { TXT: ["Go away %{i}"] },
  "nospf.spf.test": { A: ["192.0.2.1"] },
  "loop.spf.test": { TXT: [`v=spf1 ${includes.join(" ")} -all`] },
  "bad.spf.test": { TXT: ["v=spf1 ip4:not-an-ip -all"] },
  ...Object.fromEntries(
    Array.from(
      { length: 11 },
      (_, i) => [`i${i}.spf.test`, { TXT: ["v=spf1 ?all"] }],
    ),
  ),
};

const skip = dnsmasqMissing() ?? false;

describe("checkSpf()", { skip }, () => {
  let dns: TestDns;
  let resolver: Resolver;
  before(async () => {
    dns = await startDns({ records: RECORDS });
    resolver = createNodeResolver({ server: dns.addr, timeoutMs: 2000 });
  });
  after(async () => await dns?.close());

  const cases = [
    {
      name: "pass for a listed ip",
      domain: "pass",
      ip: "192.0.2.1",
      want: "pass",
    },
    {
      name: "fail for an unlisted ip with -all",
      domain: "pass",
      ip: "192.0.2.9",
      want: "fail",
    },
    {
      name: "softfail with ~all",
      domain: "soft",
      ip: "192.0.2.9",
      want: "softfail",
    },
    {
      name: "neutral with ?all",
      domain: "neutral",
      ip: "192.0.2.9",
      want: "neutral",
    },
    {
      name: "none without a record",
      domain: "nospf",
      ip: "192.0.2.9",
      want: "none",
    },
    {
      name: "none for a missing domain",
      domain: "gone",
      ip: "192.0.2.9",
      want: "none",
    },
    // 11 includes: one more than RFC 7208's limit of 10 lookups.
    {
      name: "permerror over 10 lookups",
      domain: "loop",
      ip: "192.0.2.9",
      want: "permerror",
    },
    {
      name: "permerror for a broken record",
      domain: "bad",
      ip: "192.0.2.9",
      want: "permerror",
    },
  ];
  for (const c of cases) {
    it(`gives ${c.name}`, async () => {
      const r = await checkSpf({
        ip: c.ip,
        sender: `user@${c.domain}.spf.test`,
        helo: "client.test",
        mta: "mx.chaski.test",
        resolver,
      });
      assert.equal(r.result, c.want, r.explanation);
      assert.equal(r.domain, `${c.domain}.spf.test`);
      assert.match(
        r.header,
        new RegExp(
          `^Received-SPF: ${c.want} \\(mx\\.chaski\\.test: [^\\r\\n]+\\)$`,
        ),
      );
    });
  }

  it("uses the domain's exp= text as the explanation of a fail", async () => {
    const r = await checkSpf({
      ip: "192.0.2.7",
      sender: "a@exp.spf.test",
      helo: "client.test",
      mta: "mx.chaski.test",
      resolver,
    });
    assert.equal(r.result, "fail");
    assert.equal(r.explanation, "Go away 192.0.2.7");
  });
});

describe("checkSpf() on a dead DNS server", () => {
  it("gives temperror when DNS times out", async () => {
    const sock = dgram.createSocket("udp4");
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
    try {
      const resolver = createNodeResolver({
        server: `127.0.0.1:${sock.address().port}`,
        timeoutMs: 150,
      });
      const r = await checkSpf({
        ip: "192.0.2.1",
        sender: "a@pass.spf.test",
        helo: "client.test",
        mta: "mx.chaski.test",
        resolver,
      });
      assert.equal(r.result, "temperror");
    } finally {
      await new Promise<void>((r) => sock.close(() => r()));
    }
  });
});
