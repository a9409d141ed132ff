import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AliasesFileError,
  aliasKey,
  formatRecipients,
  parseAliases,
  parseRightSide,
  pipeArgv,
  type Recipient,
} from "./aliases_file.ts";

const OPTS = { domain: "d.test", dropChars: ".", suffixSeps: "+", file: "f" };

function em(address: string): Recipient {
  return { type: "email", address, via: [] };
}

function parse(text: string): Record<string, Recipient[]> {
  return Object.fromEntries(parseAliases(text, OPTS));
}

describe("parseAliases()", () => {
  const cases: [
    name: string,
    text: string,
    want: Record<string, Recipient[]>,
  ][] = [
    ["empty file", "", {}],
    ["comments and blank lines", "# c\n\n   \n  # indented\n", {}],
    ["plain alias gets the file's domain", "pepe: jose", {
      "pepe@d.test": [em("jose@d.test")],
    }],
    ["several targets, remote kept", "flowers: rose@backgarden, lilly@pond", {
      "flowers@d.test": [em("rose@backgarden"), em("lilly@pond")],
    }],
    ["empty items ignored", "a: b,, ,c,", {
      "a@d.test": [em("b@d.test"), em("c@d.test")],
    }],
    ["whitespace trimmed everywhere", "  a  :   b  \r\n", {
      "a@d.test": [em("b@d.test")],
    }],
    ["targets normalised", "a: ÑANDÚ@XN--ACA-6MA.test", {
      "a@d.test": [em("ñandú@ñaca.test")],
    }],
    ["pipe alias keeps the command line", "p: |  /bin/cmd  a, b ", {
      "p@d.test": [{ type: "pipe", address: "/bin/cmd  a, b", via: [] }],
    }],
    ["catch-all", "*: x", { "*@d.test": [em("x@d.test")] }],
    ["star target", "*: *@pond", { "*@d.test": [em("*@pond")] }],
    ["via alias", "v: u@r.test via mx1 / mx2:25/mx3", {
      "v@d.test": [{
        type: "forward",
        address: "u@r.test",
        via: ["mx1", "mx2:25", "mx3"],
      }],
    }],
    ["via alias without domain and mixed list", "v: u via mx, w", {
      "v@d.test": [
        { type: "forward", address: "u@d.test", via: ["mx"] },
        em("w@d.test"),
      ],
    }],
    ["secondary MX pattern", "*: * via mx1", {
      "*@d.test": [{ type: "forward", address: "*@d.test", via: ["mx1"] }],
    }],
    ["last occurrence wins", "a: b\nc: d\na: e", {
      "a@d.test": [em("e@d.test")],
      "c@d.test": [em("d@d.test")],
    }],
    [
      // N-10: drops go before the first separator only, the suffix stays.
      "left side: drops removed, suffix kept, PRECIS",
      "Juana.Perez+Fru.ta: x",
      { "juanaperez+fru.ta@d.test": [em("x@d.test")] },
    ],
    ["only the first colon splits", "a: | /bin/x --opt=a:b", {
      "a@d.test": [{ type: "pipe", address: "/bin/x --opt=a:b", via: [] }],
    }],
    [
      // No items left: the same as having no alias.
      "only commas",
      "a: ,",
      { "a@d.test": [] },
    ],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => assert.deepEqual(parse(text), want));
  }
});

describe("parseAliases() errors", () => {
  const cases: [name: string, text: string, line: number, reason: RegExp][] = [
    ["missing colon", "ok: x\nnocolon", 2, /missing ":"/],
    ["empty right side", "\n\na:   ", 3, /alias or targets missing/],
    ["empty left side", ": x", 1, /alias or targets missing/],
    ["at sign in left side", "# c\na@b: x", 2, /must not contain "@"/],
    ["pipe without command", "a: |  ", 1, /pipe alias without a command/],
    ["empty server in via", "a: b via mx1//mx2", 1, /empty server/],
    ["trailing slash in via", "a: b via mx1/", 1, /empty server/],
    ["forward without address", "a: x, via mx1", 1, /has no address/],
    [
      "target cannot be normalised",
      "a: b c@d",
      1,
      /"b c@d" cannot be normalised/,
    ],
    ["bad IDNA in target", "a: b@xn--zz", 1, /cannot be normalised/],
    [
      "left side cannot be normalised",
      "henryⅣ: x",
      1,
      /"henryⅣ" cannot be normalised/,
    ],
  ];
  for (const [name, text, line, reason] of cases) {
    it(name, () => {
      assert.throws(() => parseAliases(text, OPTS), (e) => {
        assert.ok(e instanceof AliasesFileError);
        assert.ok(e instanceof SyntaxError);
        assert.equal(e.file, "f");
        assert.equal(e.line, line);
        assert.match(e.reason, reason);
        assert.equal(e.message, `f:${line}: ${e.reason}`);
        return true;
      });
    });
  }
});

describe("parseRightSide()", () => {
  it("gives nothing for an empty or blank output", () => {
    assert.deepEqual(parseRightSide("", "d"), []);
    assert.deepEqual(parseRightSide(" \n", "d"), []);
  });
  it("trims a trailing newline from a hook's output", () => {
    assert.deepEqual(parseRightSide("a, b@x\n", "d"), [em("a@d"), em("b@x")]);
  });
});

describe("aliasKey()", () => {
  const o = { dropChars: ".", suffixSeps: "+-" };
  const cases: [name: string, addr: string, want: string][] = [
    ["drops removed, suffix kept", "Ju.An+a.b@d", "juan+a.b@d"],
    ["first separator of any kind", "a.b-c+d@d", "ab-c+d@d"],
    ["user that cannot be normalised is kept", "a b@d", "a b@d"],
    ["catch-all key", "*@d", "*@d"],
  ];
  for (const [name, addr, want] of cases) {
    it(name, () => assert.equal(aliasKey(addr, o), want));
  }
});

describe("pipeArgv()", () => {
  it("splits on any whitespace without quoting", () => {
    assert.deepEqual(pipeArgv(' /bin/x  "a b"\tc '), [
      "/bin/x",
      '"a',
      'b"',
      "c",
    ]);
  });
});

describe("formatRecipients()", () => {
  it("lists one line per recipient sorted by type, without via", () => {
    const got = formatRecipients([
      { type: "pipe", address: "/bin/x a", via: [] },
      em("b@d"),
      { type: "forward", address: "c@r", via: ["mx"] },
      em("a@d"),
    ]);
    assert.equal(
      got,
      "(email)  b@d\n(email)  a@d\n(forward)  c@r\n(pipe)  /bin/x a\n",
    );
  });

  it("shows a forward's servers when asked", () => {
    const got = formatRecipients([
      { type: "forward", address: "c@r", via: ["mx1", "mx2"] },
      { type: "forward", address: "d@r", via: [] },
      em("a@d"),
    ], { via: true });
    assert.equal(
      got,
      "(email)  a@d\n(forward)  c@r via mx1/mx2\n(forward)  d@r\n",
    );
  });
});
