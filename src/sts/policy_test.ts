import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  matchesMx,
  parsePolicy,
  type Policy,
  StsPolicyError,
} from "./policy.ts";

describe("parsePolicy()", () => {
  const ok: { name: string; text: string; want: Policy }[] = [
    {
      name: "CRLF lines",
      text:
        "version: STSv1\r\nmode: enforce\r\nmx: mail.b.test\r\nmax_age: 86400\r\n",
      want: {
        version: "STSv1",
        mode: "enforce",
        mx: ["mail.b.test"],
        maxAge: 86400,
      },
    },
    {
      name: "LF lines, several mx, wildcard, no final newline",
      text: "version: STSv1\nmode: testing\nmx: *.b.test\nmx: MX2.B.test.\n" +
        "max_age: 1",
      want: {
        version: "STSv1",
        mode: "testing",
        mx: ["*.b.test", "mx2.b.test"],
        maxAge: 1,
      },
    },
    {
      // RFC 8461 §3.2: unknown keys are extensions and ignored.
      name: "unknown keys and spacing",
      text: "version:STSv1\nfoo: bar\nmode:   none  \nmx: a.test\n" +
        "max_age: 31557600\n",
      want: {
        version: "STSv1",
        mode: "none",
        mx: ["a.test"],
        maxAge: 31557600,
      },
    },
  ];
  for (const c of ok) {
    it(`accepts: ${c.name}`, () => {
      assert.deepEqual(parsePolicy(c.text), c.want);
    });
  }

  const M = "mx: mail.b.test\n";
  const bad: { name: string; text: string; error: RegExp }[] = [
    {
      name: "wrong version",
      text: `version: STSv2\nmode: enforce\n${M}max_age: 10\n`,
      error: /"version"/,
    },
    {
      name: "missing version",
      text: `mode: enforce\n${M}max_age: 10\n`,
      error: /"version"/,
    },
    {
      name: "unknown mode",
      text: `version: STSv1\nmode: strict\n${M}max_age: 10\n`,
      error: /"mode"/,
    },
    {
      name: "max_age 0",
      text: `version: STSv1\nmode: enforce\n${M}max_age: 0\n`,
      error: /"max_age"/,
    },
    {
      name: "max_age above a year",
      text: `version: STSv1\nmode: enforce\n${M}max_age: 31557601\n`,
      error: /"max_age"/,
    },
    {
      name: "max_age not a number",
      text: `version: STSv1\nmode: enforce\n${M}max_age: 1d\n`,
      error: /"max_age"/,
    },
    {
      name: "negative max_age",
      text: `version: STSv1\nmode: enforce\n${M}max_age: -5\n`,
      error: /"max_age"/,
    },
    {
      name: "no mx",
      text: `version: STSv1\nmode: enforce\nmax_age: 10\n`,
      error: /"mx"/,
    },
    {
      name: "line without a colon",
      text: `version: STSv1\nmode enforce\n${M}max_age: 10\n`,
      error: /Malformed policy line/,
    },
    { name: "HTML", text: "<html><body>hi</body></html>", error: /Malformed/ },
  ];
  for (const c of bad) {
    it(`rejects: ${c.name}`, () => {
      assert.throws(
        () => parsePolicy(c.text),
        (e) => e instanceof StsPolicyError && c.error.test(e.message),
      );
    });
  }
});

describe("matchesMx()", () => {
  const policy: Policy = {
    version: "STSv1",
    mode: "enforce",
    mx: ["mail.b.test", "*.mx.c.test"],
    maxAge: 10,
  };
  const cases: { name: string; host: string; want: boolean }[] = [
    { name: "exact", host: "mail.b.test", want: true },
    { name: "case and trailing dot", host: "MAIL.B.test.", want: true },
    { name: "other host", host: "smtp.b.test", want: false },
    { name: "suffix only", host: "xmail.b.test", want: false },
    { name: "wildcard, one label", host: "a.mx.c.test", want: true },
    { name: "wildcard, two labels", host: "a.b.mx.c.test", want: false },
    { name: "wildcard, no label", host: "mx.c.test", want: false },
    { name: "wildcard, empty label", host: ".mx.c.test", want: false },
    { name: "wildcard, glued label", host: "amx.c.test", want: false },
  ];
  for (const c of cases) {
    it(`${c.want ? "matches" : "does not match"}: ${c.name}`, () => {
      assert.equal(matchesMx(policy, c.host), c.want);
    });
  }
});
