import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  dnsmasqMissing,
  startDns,
  type TestDns,
} from "../../tests/harness/dnsmasq.ts";
import { createNodeResolver } from "../runtime/node_dns.ts";
import type { Resolver } from "../runtime/types.ts";
import { checkDmarc } from "./dmarc.ts";

const skip = dnsmasqMissing() ?? false;

describe("checkDmarc()", { skip }, () => {
  let dns: TestDns;
  let resolver: Resolver;
  before(async () => {
    dns = await startDns({
      records: {
        "_dmarc.strict.test": { TXT: ["v=DMARC1; p=reject"] },
        "strict.test": { A: ["192.0.2.1"] },
        "mail.strict.test": { A: ["192.0.2.1"] },
        "plain.test": { A: ["192.0.2.1"] },
      },
    });
    resolver = createNodeResolver({ server: dns.addr, timeoutMs: 2000 });
  });
  after(async () => await dns?.close());

  it("passes through an aligned DKIM signature of a subdomain", async () => {
    const r = await checkDmarc({
      from: "strict.test",
      dkim: [{ result: "pass", domain: "mail.strict.test" }],
      resolver,
    });
    assert.deepEqual(r, {
      result: "pass",
      policy: "reject",
      domain: "strict.test",
    });
  });
  it("passes through SPF for the From domain", async () => {
    const r = await checkDmarc({
      from: "strict.test",
      spf: { result: "pass", domain: "strict.test" },
      dkim: [],
      resolver,
    });
    assert.equal(r.result, "pass");
  });
  it("fails with p=reject when nothing aligns", async () => {
    const r = await checkDmarc({
      from: "strict.test",
      spf: { result: "pass", domain: "other.test" },
      dkim: [{ result: "pass", domain: "other.test" }, {
        result: "fail",
        domain: "strict.test",
      }],
      resolver,
    });
    assert.deepEqual(r, {
      result: "fail",
      policy: "reject",
      domain: "strict.test",
    });
  });
  it("gives none without a record", async () => {
    const r = await checkDmarc({ from: "plain.test", dkim: [], resolver });
    assert.deepEqual(r, { result: "none", policy: null, domain: "plain.test" });
  });
});
