import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Recipient } from "../aliases/mod.ts";
import { encodeValues } from "./wire.ts";
import {
  addressProblem,
  aliasResolveHandler,
  recipientsToValues,
  valuesToRecipients,
} from "./alias_resolve.ts";

const RCPTS: Recipient[] = [
  { type: "email", address: "b@x.test", via: [] },
  { type: "pipe", address: "/bin/cat -n", via: [] },
  { type: "forward", address: "c@r.test", via: ["mx1", "mx2:2525"] },
  { type: "email", address: "a@x.test", via: [] },
  { type: "forward", address: "d@r.test", via: [] },
];

describe("recipientsToValues()", () => {
  it("encodes like chasquid, with a forward's servers after via", () => {
    assert.equal(
      encodeValues(recipientsToValues(RCPTS)),
      "%28email%29=b%40x.test&%28email%29=a%40x.test" +
        "&%28forward%29=c%40r.test+via+mx1%2Fmx2%3A2525" +
        "&%28forward%29=d%40r.test&%28pipe%29=%2Fbin%2Fcat+-n",
    );
  });
});

describe("valuesToRecipients()", () => {
  it("decodes every type, via servers included", () => {
    const got = valuesToRecipients(recipientsToValues(RCPTS));
    const byType = (t: string) => got.filter((r) => r.type === t);
    assert.deepEqual(byType("email"), [RCPTS[0], RCPTS[3]]);
    assert.deepEqual(byType("forward"), [RCPTS[2], RCPTS[4]]);
    assert.deepEqual(byType("pipe"), [RCPTS[1]]);
  });

  it("refuses an unknown type", () => {
    assert.throws(() => valuesToRecipients(new URLSearchParams("(x)=a")));
  });
});

describe("addressProblem()", () => {
  const cases: [name: string, address: string, ok: boolean][] = [
    ["plain address", "a@b.test", true],
    ["no at sign", "ab.test", false],
    ["empty user", "@b.test", false],
    ["empty domain", "a@", false],
    ["empty", "", false],
    ["whitespace", "a b@c", false],
  ];
  for (const [name, address, ok] of cases) {
    it(name, () => assert.equal(addressProblem(address) === null, ok));
  }
});

describe("aliasResolveHandler()", () => {
  it("resolves the Address argument", async () => {
    const asked: string[] = [];
    const h = aliasResolveHandler((a) => {
      asked.push(a);
      return Promise.resolve([{ type: "email", address: "x@y", via: [] }]);
    });
    const got = await h(new URLSearchParams({ Address: "a@b" }));
    assert.deepEqual(asked, ["a@b"]);
    assert.equal(encodeValues(got as URLSearchParams), "%28email%29=x%40y");
  });

  it("refuses a missing or invalid address without resolving", async () => {
    const h = aliasResolveHandler(() => Promise.reject(new Error("called")));
    await assert.rejects(h(new URLSearchParams()), /invalid address ""/);
    await assert.rejects(
      h(new URLSearchParams({ Address: "nobody" })),
      /invalid address "nobody"/,
    );
  });
});
