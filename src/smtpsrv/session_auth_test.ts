import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { decodeBase64, decodePlain } from "./session_auth.ts";
import { SmtpError } from "../smtp/errors.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("decodePlain()", () => {
  const good: [
    name: string,
    response: string,
    want: [string, string, string],
  ][] = [
    ["authcid only", b64("\0user@a.test\0pw"), ["user", "a.test", "pw"]],
    ["authzid equal to authcid", b64("user@a.test\0user@a.test\0pw"), [
      "user",
      "a.test",
      "pw",
    ]],
    ["authzid only", b64("user@a.test\0\0pw"), ["user", "a.test", "pw"]],
    ["normalised identity", b64("\0ÑANDÚ@A.TEST\0pw"), [
      "ñandú",
      "a.test",
      "pw",
    ]],
    ["domainless identity", b64("\0user\0pw"), ["user", "", "pw"]],
    ["password may hold anything but NUL", b64("\0u@a.test\0p w:@"), [
      "u",
      "a.test",
      "p w:@",
    ]],
  ];
  for (const [name, response, want] of good) {
    it(`accepts: ${name}`, () => assert.deepEqual(decodePlain(response), want));
  }

  const bad: [name: string, response: string][] = [
    ["not base64", "!!!"],
    ["cancel is not special", "*"],
    ["two fields", b64("user@a.test\0pw")],
    ["four fields", b64("\0u@a.test\0pw\0x")],
    ["different identities", b64("other@a.test\0user@a.test\0pw")],
    ["empty identity", b64("\0\0pw")],
    ["user fails PRECIS", b64("\0henryⅣ@a.test\0pw")],
  ];
  for (const [name, response] of bad) {
    it(`refuses with 501 5.5.2: ${name}`, () => {
      assert.throws(() => decodePlain(response), (e: unknown) => {
        assert.ok(e instanceof SmtpError);
        assert.equal(`${e.code} ${e.enhanced}`, "501 5.5.2");
        return true;
      });
    });
  }
});

describe("decodeBase64()", () => {
  it("decodes strict base64 and rejects bad padding", () => {
    assert.equal(new TextDecoder().decode(decodeBase64("dXNlcg==")), "user");
    assert.throws(() => decodeBase64("dXNlcg="), SmtpError);
  });
});
