import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryResolver } from "./memory_resolver.ts";
import { DnsError } from "../types.ts";

function code(c: string): (err: unknown) => boolean {
  return (err) => err instanceof DnsError && err.code === c;
}

describe("MemoryResolver", () => {
  const r = new MemoryResolver({
    "a.test": {
      MX: [{ exchange: "mx.a.test", priority: 10 }],
      TXT: ["v=spf1 -all", ["long", "key"]],
    },
    "MX.a.test": { A: ["127.0.0.1"] },
    "www.a.test": { CNAME: "mx.a.test" },
    "broken.test": { error: "ESERVFAIL" },
  });

  it("answers from the table, case-insensitively", async () => {
    assert.deepEqual(await r.mx("A.test."), [{
      exchange: "mx.a.test",
      priority: 10,
    }]);
    assert.deepEqual(await r.a("mx.a.test"), ["127.0.0.1"]);
    assert.deepEqual(await r.txt("a.test"), [["v=spf1 -all"], ["long", "key"]]);
  });

  it("follows CNAMEs", async () => {
    assert.deepEqual(await r.a("www.a.test"), ["127.0.0.1"]);
    assert.deepEqual(await r.resolve("www.a.test", "CNAME"), ["mx.a.test"]);
  });

  it("fails like a real resolver", async () => {
    await assert.rejects(r.a("nope.test"), code("ENOTFOUND"));
    await assert.rejects(r.aaaa("mx.a.test"), code("ENODATA"));
    await assert.rejects(r.a("broken.test"), code("ESERVFAIL"));
  });

  it("records the queries", () => {
    assert.ok(r.queries.includes("MX a.test"));
  });
});
