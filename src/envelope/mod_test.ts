import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { domainIn, domainOf, join, split, userOf } from "./mod.ts";

describe("split()", () => {
  const cases: [string, string, [string, string]][] = [
    ["user and domain", "pepe@ejemplo.test", ["pepe", "ejemplo.test"]],
    ["no @", "pepe", ["pepe", ""]],
    // A quoted local part may hold an @ (Go's parser unquotes it).
    ["splits at the last @", "a@b@ejemplo.test", ["a@b", "ejemplo.test"]],
    ["empty domain", "pepe@", ["pepe", ""]],
    ["empty user", "@ejemplo.test", ["", "ejemplo.test"]],
    ["empty string", "", ["", ""]],
    ["UTF-8", "ñandú@pingüino.test", ["ñandú", "pingüino.test"]],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => assert.deepEqual(split(input), want));
  }
});

describe("userOf() and domainOf()", () => {
  it("return the parts", () => {
    assert.equal(userOf("pepe@ejemplo.test"), "pepe");
    assert.equal(domainOf("pepe@ejemplo.test"), "ejemplo.test");
  });
  it("give the whole address as user and no domain without @", () => {
    assert.equal(userOf("pepe"), "pepe");
    assert.equal(domainOf("pepe"), "");
  });
});

describe("join()", () => {
  const cases: [string, string, string, string][] = [
    ["user and domain", "pepe", "ejemplo.test", "pepe@ejemplo.test"],
    ["no domain gives the user alone", "pepe", "", "pepe"],
    ["round-trips split()", ...split("a@b@c.test"), "a@b@c.test"],
  ];
  for (const [name, user, domain, want] of cases) {
    it(name, () => assert.equal(join(user, domain), want));
  }
});

describe("domainIn()", () => {
  const local = new Set(["ejemplo.test", "pingüino.test"]);
  const cases: [string, string, boolean][] = [
    ["local domain", "pepe@ejemplo.test", true],
    ["UTF-8 local domain", "x@pingüino.test", true],
    ["remote domain", "pepe@otro.test", false],
    // chasquid's quirk: no domain counts as local.
    ["no domain", "pepe", true],
    ["case must already be normalised", "pepe@EJEMPLO.test", false],
    ["subdomain is not local", "pepe@sub.ejemplo.test", false],
  ];
  for (const [name, address, want] of cases) {
    it(name, () => assert.equal(domainIn(address, local), want));
  }
});
