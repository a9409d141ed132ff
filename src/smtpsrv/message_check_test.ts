import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { scanHeaders } from "./message_check.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("scanHeaders()", () => {
  const cases: {
    name: string;
    msg: string;
    want: ReturnType<typeof scanHeaders>;
  }[] = [
    {
      name: "simple message",
      msg: "Subject: hi\r\n\r\nbody\r\n",
      want: { ok: true, received: 0 },
    },
    {
      name: "headers only",
      msg: "Subject: hi\r\n",
      want: { ok: true, received: 0 },
    },
    {
      name: "no headers, body only",
      msg: "\r\nbody\r\n",
      want: { ok: true, received: 0 },
    },
    {
      name: "counts Received, folded ones once",
      msg:
        "Received: a\r\n\tb\r\nreceived: c\r\nX-Received: no\r\n\r\nReceived: in body\r\n",
      want: { ok: true, received: 2 },
    },
    {
      name: "empty message",
      msg: "",
      want: { ok: false, reason: "empty message" },
    },
    {
      name: "line without colon",
      msg: "hello world\r\n\r\n",
      want: { ok: false, reason: 'malformed header line "hello world"' },
    },
    {
      name: "space before colon",
      msg: "Subject : x\r\n\r\n",
      want: { ok: false, reason: 'malformed header line "Subject : x"' },
    },
    {
      name: "continuation first",
      msg: " folded\r\nSubject: x\r\n\r\n",
      want: { ok: false, reason: "malformed initial header line" },
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(scanHeaders(enc(c.msg)), c.want));
  }
});
