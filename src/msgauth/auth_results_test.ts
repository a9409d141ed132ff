import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { authResultsHeader, fromDomain } from "./auth_results.ts";

describe("authResultsHeader()", () => {
  const cases = [
    { name: "nothing to report", opts: { hostname: "mx.test" }, want: "" },
    {
      name: "spf and no dkim signature",
      opts: {
        hostname: "mx.test",
        spf: { result: "pass" as const, explanation: "mx.test: ok" },
        dkim: [],
      },
      want:
        "Authentication-Results: mx.test\r\n\t;spf=pass (mx.test: ok)\r\n\t;dkim=none",
    },
    {
      name: "a passing and a failing signature, then dmarc",
      opts: {
        hostname: "mx.test",
        dkim: [
          {
            result: "pass" as const,
            domain: "a.test",
            selector: "s",
            b12: "AAAAAAAAAAAA",
            reason: "",
          },
          {
            result: "fail" as const,
            domain: "b.test",
            selector: "s",
            b12: "BBBBBBBBBBBB",
            reason: 'body "hash"',
          },
        ],
        dmarc: { result: "fail" as const, domain: "b.test" },
      },
      want: "Authentication-Results: mx.test\r\n" +
        "\t;dkim=pass header.b=AAAAAAAAAAAA header.d=a.test\r\n" +
        '\t;dkim=fail reason="body \\"hash\\""\r\n' +
        "\t header.b=BBBBBBBBBBBB header.d=b.test\r\n" +
        "\t;dmarc=fail header.from=b.test",
    },
    {
      // Parentheses would end the comment early.
      name: "spf text with parentheses and line breaks",
      opts: {
        hostname: "mx.test",
        spf: { result: "temperror" as const, explanation: "a (b)\r\nc" },
      },
      want: "Authentication-Results: mx.test\r\n\t;spf=temperror (a b c)",
    },
  ];
  for (const c of cases) {
    it(`formats ${c.name}`, () =>
      assert.equal(authResultsHeader(c.opts), c.want));
  }
});

describe("fromDomain()", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it("finds the domain of the From address", () => {
    assert.equal(
      fromDomain(enc('To: x@y\r\nFrom: "A@b" <a@Ex.Test>\r\n\r\nbody')),
      "ex.test",
    );
    assert.equal(
      fromDomain(enc("From:\r\n a@folded.test\r\n\r\n")),
      "folded.test",
    );
  });
  it("gives null without From or domain", () => {
    assert.equal(fromDomain(enc("To: a@b\r\n\r\n")), null);
    assert.equal(fromDomain(enc("From: nobody\r\n\r\n")), null);
  });
});
