import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AddressError, isIpLiteral, parseAddress } from "./address.ts";

// Each case: [name, input, expected address or null for "rejected"]. The
// expectations follow Go's net/mail.ParseAddress.
const CASES: [string, string, string | null][] = [
  ["plain addr-spec", "pepe@ejemplo.test", "pepe@ejemplo.test"],
  ["angle brackets", "<pepe@ejemplo.test>", "pepe@ejemplo.test"],
  ["case kept", "<Pepe.Argento@EJEMPLO.test>", "Pepe.Argento@EJEMPLO.test"],
  [
    "suffix and symbols in atext",
    "a+b!#$%&'*/=?^_`{|}~-@x.test",
    "a+b!#$%&'*/=?^_`{|}~-@x.test",
  ],
  [
    "UTF-8 local part and domain",
    "<ñandú@pingüino.test>",
    "ñandú@pingüino.test",
  ],
  [
    "quoted local part is unquoted",
    '<"juan perez"@x.test>',
    "juan perez@x.test",
  ],
  ["quoted pair in quoted string", '"a\\"b"@x.test', 'a"b@x.test'],
  ["quoted @ inside local part", '"a@b"@x.test', "a@b@x.test"],
  ["display name before angle-addr", "Juana<j@x.test>", "j@x.test"],
  ["quoted display name", '"Juana P"<j@x.test>', "j@x.test"],
  ["trailing comment", "j@x.test(work)", "j@x.test"],
  ["IPv4 domain literal", "j@[192.0.2.1]", "j@[192.0.2.1]"],
  ["IPv6 domain literal", "j@[2001:db8::1]", "j@[2001:db8::1]"],
  ["leading spaces", "  <j@x.test>", "j@x.test"],
  ["group with one member", "team:j@x.test;", "j@x.test"],
  ["single-label domain", "postmaster@localhost", "postmaster@localhost"],
  // Rejections, as in a bad MAIL FROM / RCPT TO dialog.
  ["empty", "", null],
  ["empty brackets", "<>", null],
  ["no domain", "<pepe>", null],
  ["bare word", "pepe", null],
  ["at but no domain", "<pepe@>", null],
  ["no local part", "<@x.test>", null],
  ["source route", "<@a.test:j@x.test>", null],
  ["two ats", "<a@b@x.test>", null],
  ["unclosed angle", "<j@x.test", null],
  ["trailing garbage", "<j@x.test>x", null],
  ["leading dot", "<.j@x.test>", null],
  ["double dot", "<j..k@x.test>", null],
  ["trailing dot in domain", "<j@x.test.>", null],
  ["space inside", "<j k@x.test>", null],
  ["empty quoted string", '""@x.test', null],
  ["unclosed quoted string", '"abc@x.test', null],
  ["control char in quoted string", '"a\x01"@x.test', null],
  ["bad domain literal", "j@[not-an-ip]", null],
  ["IPv6 tag in literal", "j@[IPv6:::1]", null],
  ["unclosed comment", "j@x.test(work", null],
  ["group with two members", "team:a@x.test,b@x.test;", null],
  ["empty group", "team:;", null],
  ["comma separated list", "a@x.test,b@x.test", null],
  ["replacement character", "<a\ufffd@x.test>", null],
  ["unknown charset in display name", "=?x-unknown?q?a?=<j@x.test>", null],
];

describe("parseAddress()", () => {
  for (const [name, input, want] of CASES) {
    it(`${want === null ? "rejects" : "accepts"} ${name}`, () => {
      if (want === null) {
        assert.throws(() => parseAddress(input), AddressError);
      } else {
        assert.equal(parseAddress(input), want);
      }
    });
  }
});

describe("isIpLiteral()", () => {
  const cases: [string, boolean][] = [
    ["1.2.3.4", true],
    ["255.255.255.255", true],
    ["256.1.1.1", false],
    ["01.2.3.4", false],
    ["1.2.3", false],
    ["::", true],
    ["::1", true],
    ["2001:db8::", true],
    ["1:2:3:4:5:6:7:8", true],
    ["1:2:3:4:5:6:7:8:9", false],
    ["1:2:3:4:5:6:7::8", false],
    ["::ffff:1.2.3.4", true],
    ["1:2:3:4:5:6:1.2.3.4", true],
    ["1::2::3", false],
    ["12345::", false],
    ["fe80::1%eth0", false],
  ];
  for (const [s, want] of cases) {
    it(`says ${want} for "${s}"`, () => assert.equal(isIpLiteral(s), want));
  }
});
