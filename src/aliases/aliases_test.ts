import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanAddress } from "./mod.ts";

describe("cleanAddress()", () => {
  const cases: [
    name: string,
    addr: string,
    drops: string,
    seps: string,
    want: string,
  ][] = [
    ["plain address unchanged", "juan@d", ".", "+", "juan@d"],
    ["drop characters removed", "ju.an@d", ".", "+", "juan@d"],
    ["suffix removed", "juan+news@d", ".", "+", "juan@d"],
    ["drops after the suffix go with it", "ju.an+a.b@d", ".", "+", "juan@d"],
    [
      "each separator cuts at its first occurrence",
      "a-b+c-d@d",
      "",
      "-+",
      "a@d",
    ],
    ["empty settings disable both", "a.b+c@d", "", "", "a.b+c@d"],
    ["no domain", "a.b+c", ".", "+", "ab"],
  ];
  for (const [name, addr, drops, seps, want] of cases) {
    it(name, () => assert.equal(cleanAddress(addr, drops, seps), want));
  }
});
