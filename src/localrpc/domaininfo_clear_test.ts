import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { domaininfoClearHandler } from "./domaininfo_clear.ts";

describe("domaininfoClearHandler()", () => {
  it("clears the Domain it is given and answers with no result", async () => {
    const cleared: string[] = [];
    const h = domaininfoClearHandler((d) => {
      cleared.push(d);
      return Promise.resolve();
    });
    assert.equal(await h(new URLSearchParams({ Domain: "b.test" })), "");
    assert.deepEqual(cleared, ["b.test"]);
  });

  it("passes on the error for an unknown domain", async () => {
    const h = domaininfoClearHandler(() =>
      Promise.reject(new Error('unknown domain "x.test"'))
    );
    await assert.rejects(
      h(new URLSearchParams({ Domain: "x.test" })),
      /unknown domain "x\.test"/,
    );
  });

  // Each case: a Domain that cannot name a domain, refused before clearing.
  for (
    const [name, q] of [
      ["missing", ""],
      ["empty", "Domain="],
      ["an address", "Domain=a%40b.test"],
      ["with a space", "Domain=b+test"],
    ]
  ) {
    it(`refuses a ${name} Domain`, async () => {
      const h = domaininfoClearHandler(() => {
        throw new Error("must not be called");
      });
      await assert.rejects(h(new URLSearchParams(q)), /invalid domain/);
    });
  }
});
