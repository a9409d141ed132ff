import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { dotStuff } from "./dot.ts";
import { SmtpReader } from "./reader.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("dotStuff()", () => {
  const cases: [string, string, string][] = [
    ["empty message", "", ".\r\n"],
    ["plain lines", "a\r\nb\r\n", "a\r\nb\r\n.\r\n"],
    ["leading dot on first line", ".a\r\n", "..a\r\n.\r\n"],
    ["lone dot line", "a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"],
    ["dots elsewhere untouched", "a.b\r\n a.\r\n", "a.b\r\n a.\r\n.\r\n"],
    ["final CRLF added", "a\r\n.b", "a\r\n..b\r\n.\r\n"],
    ["final LF added after CR", "a\r", "a\r\n.\r\n"],
    ["final bare LF made CRLF", "a\n", "a\r\n.\r\n"],
    ["several stuffed lines", ".\r\n..\r\n...", "..\r\n...\r\n....\r\n.\r\n"],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => assert.equal(dec.decode(dotStuff(enc.encode(input))), want));
  }

  it("round-trips through readDotData", async () => {
    const msg = "Subject: .x\r\n\r\n.\r\n..\r\n.a\r\nend\r\n";
    const wire = dotStuff(enc.encode(msg));
    let done = false;
    const r = new SmtpReader({
      read: () => Promise.resolve(done ? null : (done = true, wire)),
    });
    const res = await r.readDotData({ maxSize: 1000 });
    assert.equal(res.status === "ok" && dec.decode(res.data), msg);
  });
});
