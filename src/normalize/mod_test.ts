import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import {
  addr,
  domain,
  domainOfAddr,
  domainToAscii,
  NormalizeError,
  removeDropChars,
  removeSuffix,
  sanitizeEhlo,
  sanitizeForMda,
  user,
} from "./mod.ts";

/**
 * Checks `fn` against a golden file of `<JSON input> TAB <JSON output or
 * !error>` lines; `UPDATE_GOLDEN=1` rewrites the outputs.
 */
function golden(name: string, fn: (s: string) => string): void {
  const url = new URL(`../../testdata/normalize/${name}`, import.meta.url);
  const text = readFileSync(url, "utf8");
  const got = text.split("\n").map((line) => {
    if (line === "" || line.startsWith("#")) return line;
    const input = line.split("\t")[0]!;
    let out: string;
    try {
      out = JSON.stringify(fn(JSON.parse(input)));
    } catch (e) {
      if (!(e instanceof NormalizeError)) throw e;
      out = "!error";
    }
    return `${input}\t${out}`;
  }).join("\n");
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(url, got);
  else assert.equal(got, text);
}

describe("user()", () => {
  it("matches testdata/normalize/01-user.golden", () =>
    golden("01-user.golden", user));

  const cases: [string, string, string | null][] = [
    ["lower-cases ASCII", "Pepe", "pepe"],
    ["lower-cases and keeps accents", "ÑANDÚ", "ñandú"],
    ["maps fullwidth letters", "ＡＢＣ", "abc"],
    ["composes to NFC", "e\u0301", "é"],
    ["keeps suffix and dots", "Pepe.Argento+fruta", "pepe.argento+fruta"],
    ["no final sigma", "ΟΔΟΣ", "οδοσ"],
    ["rejects compatibility characters", "henryⅣ", null],
    ["rejects spaces", "a b", null],
    ["rejects controls", "a\u0007", null],
    ["rejects symbols", "♚", null],
    ["rejects the empty user", "", null],
    // Go applies the Bidi rule to non-ASCII input: a leading digit fails.
    ["rejects a leading digit in a non-ASCII user", "1josé", null],
    ["accepts a leading digit in an ASCII user", "1jose", "1jose"],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      if (want === null) assert.throws(() => user(input), NormalizeError);
      else assert.equal(user(input), want);
    });
  }
});

describe("domain()", () => {
  it("matches testdata/normalize/02-domain.golden", () =>
    golden("02-domain.golden", domain));
  it("returns the empty domain unchanged", () => assert.equal(domain(""), ""));
});

describe("domainToAscii()", () => {
  const cases: [string, string][] = [
    ["ascii.test", "ascii.test"],
    ["Ñandú.TEST", "xn--and-6ma2c.test"],
    ["bücher.example", "xn--bcher-kva.example"],
    ["xn--lca", "xn--ida"],
  ];
  for (const [input, want] of cases) {
    it(`gives "${want}" for "${input}"`, () =>
      assert.equal(domainToAscii(input), want));
  }
  it("rejects bad punycode", () =>
    assert.throws(() => domainToAscii("xn---"), NormalizeError));
});

describe("addr()", () => {
  const cases: [string, string, string | null][] = [
    ["both parts", "ÑAndÚ@PAMPA.test", "ñandú@pampa.test"],
    ["NFC on both", "pe\u0301@le\u0301a", "pé@léa"],
    ["no domain", "Pepe", "pepe"],
    ["bad user", "henryⅣ@throne", null],
    ["bad domain", "a@xn---", null],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      if (want === null) assert.throws(() => addr(input), NormalizeError);
      else assert.equal(addr(input), want);
    });
  }
});

describe("domainOfAddr()", () => {
  const cases: [string, string][] = [
    ["<>", "<>"],
    ["a@b", "a@b"],
    ["Pepe@Ñ", "Pepe@ñ"],
    ["xn--lca@xn--lca", "xn--lca@ñ"],
    ["a@e\u0301", "a@é"],
  ];
  for (const [input, want] of cases) {
    it(`gives "${want}" for "${input}"`, () =>
      assert.equal(domainOfAddr(input), want));
  }
  it("rejects bad punycode", () =>
    assert.throws(() => domainOfAddr("a@xn---"), NormalizeError));
});

describe("removeDropChars()", () => {
  const cases: [string, string, string, string, string][] = [
    [
      "drops before the suffix only",
      "juana.perez+fru.ta",
      ".",
      "+",
      "juanaperez+fru.ta",
    ],
    ["no suffix", "j.u.a.n.a", ".", "+", "juana"],
    ["several drop characters", "a.b_c+d.e", "._", "+", "abc+d.e"],
    ["first of several separators", "a.b-c.d+e.f", ".", "+-", "ab-c.d+e.f"],
    ["no drop characters", "a.b+c", "", "+", "a.b+c"],
    ["UTF-8", "ñ.ú+á.é", ".", "+", "ñú+á.é"],
  ];
  for (const [name, u, drops, seps, want] of cases) {
    it(name, () => assert.equal(removeDropChars(u, drops, seps), want));
  }
});

describe("removeSuffix()", () => {
  const cases: [string, string, string, string][] = [
    ["cuts at the first separator", "pepe+a+b", "+", "pepe"],
    ["earliest of several separators", "pepe-x+y", "+-", "pepe"],
    ["order of separators does not matter", "pepe+x-y", "-+", "pepe"],
    ["no separator", "pepe", "+", "pepe"],
    ["no separators configured", "pe+pe", "", "pe+pe"],
    ["separator first", "+x", "+", ""],
  ];
  for (const [name, u, seps, want] of cases) {
    it(name, () => assert.equal(removeSuffix(u, seps), want));
  }
});

describe("sanitizeForMda()", () => {
  const cases: [string, string, string][] = [
    [
      "keeps a plain address",
      "juan.perez+x@ejemplo.test",
      "juan.perez+x@ejemplo.test",
    ],
    ["keeps UTF-8 letters", "ñandú@pingüino.test", "ñandú@pingüino.test"],
    ["removes shell characters", "a;b|c&d$e`f!g'h\"i*j", "abcdefghij"],
    ["removes brackets and slashes", "(a)[b]{c}/d\\e%f", "abcdef"],
    [
      "removes whitespace and controls",
      "a b\tc\nd\u0000e\u00a0f\u0085g",
      "abcdefg",
    ],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => assert.equal(sanitizeForMda(input), want));
  }
});

describe("sanitizeEhlo()", () => {
  const cases: [string, string, string][] = [
    ["keeps a hostname", "mail.example-1.test", "mail.example-1.test"],
    ["keeps address literals", "[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]"],
    ["removes everything else", "a b;$(rm)ñ_", "abrm"],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => assert.equal(sanitizeEhlo(input), want));
  }
});
