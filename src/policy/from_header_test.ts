import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fromAddresses, parseAddressList } from "./mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("parseAddressList()", () => {
  const cases: { name: string; value: string; want: string[] }[] = [
    { name: "bare", value: " bob@d.test", want: ["bob@d.test"] },
    { name: "angle", value: ' "Bob" <bob@d.test>', want: ["bob@d.test"] },
    {
      name: "display name hiding another address",
      value: ' "alice@d.test" <bob@d.test>',
      want: ["bob@d.test"],
    },
    {
      name: "comma inside a quoted name",
      value: ' "Doe, Bob" <bob@d.test>, alice@d.test',
      want: ["bob@d.test", "alice@d.test"],
    },
    {
      name: "comment",
      value: " bob@d.test (Bob (the) boss)",
      want: ["bob@d.test"],
    },
    {
      name: "group",
      value: " Team: a@d.test, B <b@d.test>;, c@d.test",
      want: ["a@d.test", "b@d.test", "c@d.test"],
    },
    { name: "empty group", value: " undisclosed-recipients:;", want: [] },
    {
      name: "source route",
      value: " <@relay.test,@r2.test:bob@d.test>",
      want: ["bob@d.test"],
    },
    {
      name: "quoted local part",
      value: ' <"b c"@d.test>',
      want: ['"bc"@d.test'],
    },
    { name: "empty", value: "  ", want: [] },
  ];
  for (const c of cases) {
    it(`reads ${c.name}`, () => {
      assert.deepEqual(parseAddressList(c.value), c.want);
    });
  }
});

describe("fromAddresses()", () => {
  it("reads every From: field, unfolded, and stops at the body", () => {
    const msg = "Subject: x\r\nfrom: Bob\r\n <bob@d.test>\r\nTo: t@d.test\r\n" +
      "FROM: alice@d.test\r\n\r\nFrom: body@d.test\r\n";
    assert.deepEqual(fromAddresses(enc(msg)), ["bob@d.test", "alice@d.test"]);
  });

  it("accepts LF endings and a message without From:", () => {
    assert.deepEqual(fromAddresses(enc("From: a@d.test\n\nhi\n")), [
      "a@d.test",
    ]);
    assert.deepEqual(fromAddresses(enc("Subject: x\r\n\r\nhi")), []);
  });

  it("does not take other fields that start with From", () => {
    assert.deepEqual(fromAddresses(enc("From-X: a@d.test\r\n\r\n")), []);
  });
});
