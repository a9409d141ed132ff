import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import {
  parseCommand,
  parseMailFrom,
  parseParams,
  parseRcptTo,
} from "./command.ts";
import { SmtpError } from "./errors.ts";

describe("parseCommand()", () => {
  const cases: [string, string, string, string][] = [
    ["verb alone", "QUIT", "QUIT", ""],
    ["verb is upper-cased", "ehlo a.test", "EHLO", "a.test"],
    [
      "argument kept as sent",
      "MAIL FROM:<A@b>  SIZE=1",
      "MAIL",
      "FROM:<A@b>  SIZE=1",
    ],
    ["split at the first space only", "NOOP  x", "NOOP", " x"],
    ["empty line", "", "", ""],
  ];
  for (const [name, line, verb, arg] of cases) {
    it(name, () => assert.deepEqual(parseCommand(line), { verb, arg }));
  }
});

/** [name, argument, expected address or [code, enhanced]] */
type Case = [string, string, string | [number, string]];

function check(fn: (arg: string) => { address: string }, cases: Case[]) {
  for (const [name, arg, want] of cases) {
    it(name, () => {
      if (typeof want === "string") {
        assert.equal(fn(arg).address, want);
        return;
      }
      assert.throws(() => fn(arg), (e) => {
        assert.ok(e instanceof SmtpError);
        assert.deepEqual([e.code, e.enhanced], want);
        return true;
      });
    });
  }
}

describe("parseMailFrom()", () => {
  check(parseMailFrom, [
    ["brackets", "FROM:<a@b.test>", "a@b.test"],
    ["keyword in any case", "from:<a@b.test>", "a@b.test"],
    ["spaces after the colon", "FROM:   <a@b.test>", "a@b.test"],
    ["no brackets", "FROM: a@b.test", "a@b.test"],
    ["null sender", "FROM:<>", ""],
    ["null sender with parameters", "FROM:<> BODY=8BITMIME", ""],
    ["quoted local part", 'FROM:<"x..y"@b.test>', "x..y@b.test"],
    // The token ends at the first space, even inside quotes (as chasquid).
    ["space in a quoted local part", 'FROM:<"x y"@b.test>', [501, "5.1.7"]],
    ["display name in the token", "FROM:Juana<j@b.test>", "j@b.test"],
    ["missing FROM:", "<a@b.test>", [500, "5.5.2"]],
    ["TO: instead of FROM:", "TO:<a@b.test>", [500, "5.5.2"]],
    ["space before the colon", "FROM :<a@b.test>", [500, "5.5.2"]],
    ["nothing after FROM:", "FROM:", [500, "5.5.4"]],
    ["only spaces after FROM:", "FROM:   ", [500, "5.5.4"]],
    ["no domain", "FROM:<pepe>", [501, "5.1.7"]],
    ["space inside the brackets", "FROM:<a @b.test>", [501, "5.1.7"]],
    ["unclosed bracket", "FROM:<a@b.test", [501, "5.1.7"]],
    ["bad parameter keyword", "FROM:<a@b.test> =x", [501, "5.5.4"]],
    ["parameter without value after =", "FROM:<a@b.test> SIZE=", [
      501,
      "5.5.4",
    ]],
    ["repeated parameter", "FROM:<a@b.test> SIZE=1 size=2", [501, "5.5.4"]],
  ]);

  it("returns parameters by upper-case keyword", () => {
    const p = parseMailFrom("FROM:<a@b.test> size=100 SMTPUTF8 body=8BITMIME");
    assert.deepEqual([...p.params], [["SIZE", "100"], ["SMTPUTF8", ""], [
      "BODY",
      "8BITMIME",
    ]]);
    assert.equal(p.raw, "<a@b.test>");
  });
});

describe("parseRcptTo()", () => {
  check(parseRcptTo, [
    ["brackets", "TO:<a@b.test>", "a@b.test"],
    ["keyword in any case", "tO:<a@b.test>", "a@b.test"],
    ["no brackets", "TO: a@b.test", "a@b.test"],
    ["UTF-8", "TO:<henryⅣ@b.test>", "henryⅣ@b.test"],
    ["missing TO:", "<a@b.test>", [500, "5.5.2"]],
    ["FROM: instead of TO:", "FROM:<a@b.test>", [500, "5.5.2"]],
    ["nothing after TO:", "TO:", [500, "5.5.4"]],
    ["null address", "TO:<>", [501, "5.1.3"]],
    ["no domain", "TO:<postmaster>", [501, "5.1.3"]],
    ["two ats", "TO:<a@b@c.test>", [501, "5.1.3"]],
    ["bad parameter", "TO:<a@b.test> NOTIFY=a=b", [501, "5.5.4"]],
  ]);

  it("keeps ESMTP parameters", () => {
    const p = parseRcptTo(
      "TO:<a@b.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b.test",
    );
    assert.equal(p.params.get("NOTIFY"), "SUCCESS,FAILURE");
    assert.equal(p.params.get("ORCPT"), "rfc822;a@b.test");
  });
});

describe("parseParams()", () => {
  it("accepts an empty string", () => assert.equal(parseParams("").size, 0));
  it("accepts tabs and several spaces", () => {
    assert.deepEqual([...parseParams("A=1 \t B")], [["A", "1"], ["B", ""]]);
  });
  it("accepts UTF-8 values", () => {
    assert.equal(parseParams("X-NAME=ñ").get("X-NAME"), "ñ");
  });
});

describe("parseMailFrom() and parseRcptTo() goldens", () => {
  it("match testdata/smtp/01-path-args.golden", () => {
    const url = new URL(
      "../../testdata/smtp/01-path-args.golden",
      import.meta.url,
    );
    const text = readFileSync(url, "utf8");
    const got = text.split("\n").map((line) => {
      if (line === "" || line.startsWith("#")) return line;
      const input = line.split("\t")[0]!;
      const [verb, json] = [input.slice(0, 4), input.slice(5)];
      const parse = verb === "MAIL" ? parseMailFrom : parseRcptTo;
      let out: string;
      try {
        const p = parse(JSON.parse(json));
        out = JSON.stringify([p.address, Object.fromEntries(p.params)]);
      } catch (e) {
        if (!(e instanceof SmtpError)) throw e;
        out = `${e.code} ${e.enhanced}`;
      }
      return `${input}\t${out}`;
    }).join("\n");
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(url, got);
    else assert.equal(got, text);
  });
});
