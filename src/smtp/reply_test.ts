import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  formatError,
  formatReply,
  readReply,
  replyError,
  ReplyFormatError,
} from "./reply.ts";
import { SmtpError } from "./errors.ts";
import { SmtpReader } from "./reader.ts";

function reader(text: string): SmtpReader {
  let done = false;
  return new SmtpReader({
    read() {
      if (done) return Promise.resolve(null);
      done = true;
      return Promise.resolve(new TextEncoder().encode(text));
    },
  });
}

describe("formatReply()", () => {
  const cases: [string, number, string, string][] = [
    ["single line", 250, "2.0.0 ok", "250 2.0.0 ok\r\n"],
    [
      "multi-line",
      250,
      "mx.test\nPIPELINING\nHELP",
      "250-mx.test\r\n250-PIPELINING\r\n250 HELP\r\n",
    ],
    ["trailing newline ignored", 250, "a\nb\n", "250-a\r\n250 b\r\n"],
    ["CR cannot inject a line", 550, "x\r\n250 ok", "550-x\r\n550 250 ok\r\n"],
    ["empty text", 354, "", "354 \r\n"],
  ];
  for (const [name, code, text, want] of cases) {
    it(name, () => assert.equal(formatReply(code, text), want));
  }

  it("formats an SmtpError with its enhanced code", () => {
    assert.equal(
      formatError(new SmtpError(550, "5.1.1", "Unknown recipient")),
      "550 5.1.1 Unknown recipient\r\n",
    );
    assert.equal(
      formatError(new SmtpError(501, "", "Needs a domain")),
      "501 Needs a domain\r\n",
    );
  });
});

describe("readReply()", () => {
  it("reads a multi-line reply", async () => {
    const r = await readReply(
      reader("250-mx.test hi\r\n250-SIZE 10\r\n250 HELP\r\n"),
    );
    assert.deepEqual(r, {
      code: 250,
      lines: ["mx.test hi", "SIZE 10", "HELP"],
      text: "mx.test hi\nSIZE 10\nHELP",
    });
  });

  it("accepts a bare code", async () => {
    assert.deepEqual(await readReply(reader("354\r\n")), {
      code: 354,
      lines: [""],
      text: "",
    });
  });

  it("reads consecutive replies", async () => {
    const rd = reader("220 hi\r\n221 bye\r\n");
    assert.equal((await readReply(rd)).code, 220);
    assert.equal((await readReply(rd)).code, 221);
  });

  const bad: [string, string][] = [
    ["not a code", "hello\r\n"],
    ["mixed codes", "250-a\r\n251 b\r\n"],
    ["bad separator", "250*a\r\n"],
    ["code out of range", "150 a\r\n"],
  ];
  for (const [name, text] of bad) {
    it(`rejects ${name}`, async () => {
      await assert.rejects(readReply(reader(text)), ReplyFormatError);
    });
  }

  it("enforces the total cap", async () => {
    const text = "250-xxxxxxxxxx\r\n".repeat(10) + "250 end\r\n";
    await assert.rejects(
      readReply(reader(text), { maxTotal: 100 }),
      ReplyFormatError,
    );
  });
});

describe("replyError()", () => {
  const cases: [string, number, string, [number, string, string]][] = [
    ["enhanced code kept", 550, "5.1.1 No such user", [
      550,
      "5.1.1",
      "No such user",
    ]],
    ["no enhanced code", 421, "Service closing", [421, "", "Service closing"]],
    ["enhanced code of another class dropped", 451, "5.7.1 odd", [
      451,
      "",
      "5.7.1 odd",
    ]],
  ];
  for (const [name, code, text, want] of cases) {
    it(name, () => {
      const e = replyError({ code, lines: [text], text });
      assert.deepEqual([e.code, e.enhanced, e.message], want);
    });
  }
});
