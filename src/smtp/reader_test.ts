import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type ChunkSource,
  EofError,
  LineTooLongError,
  SmtpReader,
} from "./reader.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Hands out `data` in chunks of the given sizes (the last one repeats). */
function source(data: string | Uint8Array, sizes: number[]): ChunkSource {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  let off = 0;
  let i = 0;
  return {
    read(): Promise<Uint8Array | null> {
      if (off >= bytes.length) return Promise.resolve(null);
      const n = sizes[Math.min(i++, sizes.length - 1)]!;
      // Copy, so the reader cannot rely on one shared buffer.
      const chunk = bytes.slice(off, off + n);
      off += n;
      return Promise.resolve(chunk);
    },
  };
}

/** Every way of feeding `data`: whole, byte by byte, and split in two at each offset. */
function splits(data: string): number[][] {
  const n = enc.encode(data).length;
  const out: number[][] = [[n + 1], [1]];
  for (let i = 1; i < n; i++) out.push([i, n]);
  // A few seeded random splits.
  let seed = 7;
  for (let k = 0; k < 20; k++) {
    const sizes: number[] = [];
    for (let j = 0; j < 30; j++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      sizes.push(1 + (seed % 7));
    }
    out.push(sizes);
  }
  return out;
}

describe("SmtpReader.readLine()", () => {
  it("returns lines without CRLF or a bare LF, across any chunking", async () => {
    const input = "EHLO a.test\r\nMAIL FROM:<a@b>\nQUIT\r\n";
    for (const sizes of splits(input)) {
      const r = new SmtpReader(source(input, sizes));
      assert.equal(await r.readLine(), "EHLO a.test");
      assert.equal(await r.readLine(), "MAIL FROM:<a@b>");
      assert.equal(await r.readLine(), "QUIT");
      await assert.rejects(
        r.readLine(),
        (e) => e instanceof EofError && !e.partial,
      );
    }
  });

  it("decodes UTF-8 split across chunks", async () => {
    const input = "RCPT TO:<ñandú@ejemplo.test>\r\n";
    for (const sizes of splits(input)) {
      const r = new SmtpReader(source(input, sizes));
      assert.equal(await r.readLine(), "RCPT TO:<ñandú@ejemplo.test>");
    }
  });

  it("accepts exactly maxLen octets before CRLF", async () => {
    const line = "x".repeat(1000);
    for (const sizes of [[1], [999, 10], [1000, 10], [1001, 10], [5000]]) {
      const r = new SmtpReader(source(`${line}\r\nNOOP\r\n`, sizes));
      assert.equal(await r.readLine(), line);
      assert.equal(await r.readLine(), "NOOP");
    }
  });

  it("rejects a long line, then skips to the next line", async () => {
    const input = `${"y".repeat(1001)}\r\n${"z".repeat(5000)}\nNOOP\r\n`;
    for (const sizes of [[1], [7], [1001, 3], [100000]]) {
      const r = new SmtpReader(source(input, sizes));
      await assert.rejects(r.readLine(), LineTooLongError);
      await assert.rejects(r.readLine(), LineTooLongError);
      assert.equal(await r.readLine(), "NOOP");
    }
  });

  it("throws before the line ends, without buffering the excess", async () => {
    // The source never sends a newline: the error must come anyway.
    let reads = 0;
    const endless: ChunkSource = {
      read() {
        reads++;
        return Promise.resolve(new Uint8Array(100).fill(65));
      },
    };
    const r = new SmtpReader(endless);
    await assert.rejects(r.readLine(1000), LineTooLongError);
    assert.ok(reads <= 11);
  });

  it("reports a partial line at end of stream", async () => {
    const r = new SmtpReader(source("HELO", [2]));
    await assert.rejects(
      r.readLine(),
      (e) => e instanceof EofError && e.partial,
    );
  });

  it("counts buffered bytes after a line (STARTTLS injection)", async () => {
    const r = new SmtpReader(source("STARTTLS\r\nMAIL FROM:<a@b>\r\n", [100]));
    assert.equal(await r.readLine(), "STARTTLS");
    assert.equal(r.buffered(), 17);
    const clean = new SmtpReader(source("STARTTLS\r\n", [100]));
    await clean.readLine();
    assert.equal(clean.buffered(), 0);
  });
});

interface DotCase {
  name: string;
  input: string;
  /** Expected message, or the failure status. */
  want: string | "badLineEnding" | "tooBig";
  maxSize?: number;
  /** What a following readLine() returns, when the reader must continue. */
  next?: string;
}

const DOT_CASES: DotCase[] = [
  { name: "empty message", input: ".\r\nQUIT\r\n", want: "", next: "QUIT" },
  { name: "one line", input: "Hi\r\n.\r\n", want: "Hi\r\n" },
  {
    name: "unstuffs leading dots",
    input: "..a\r\n\r\n...\r\nb.\r\n.\r\nNOOP\r\n",
    want: ".a\r\n\r\n..\r\nb.\r\n",
    next: "NOOP",
  },
  { name: "dot alone after stuffing", input: "..\r\n.\r\n", want: ".\r\n" },
  {
    name: "keeps blank lines and the last CRLF",
    input: "Subject: x\r\n\r\nbody\r\n\r\n.\r\n",
    want: "Subject: x\r\n\r\nbody\r\n\r\n",
  },
  {
    name: "UTF-8 and binary octets pass through",
    input: "ñ\x00\x7f\r\n.\r\n",
    want: "ñ\x00\x7f\r\n",
  },
  // SMTP smuggling forms (CVE-2023-52354): none may end the message.
  {
    name: "bare LF dot bare LF",
    input: "a\n.\nb\r\n.\r\n",
    want: "badLineEnding",
  },
  {
    name: "bare CR dot bare CR",
    input: "a\r.\rb\r\n.\r\n",
    want: "badLineEnding",
  },
  { name: "CRLF dot LF", input: "a\r\n.\nb\r\n.\r\n", want: "badLineEnding" },
  { name: "LF dot CRLF", input: "a\n.\r\nb\r\n.\r\n", want: "badLineEnding" },
  { name: "CR CR LF", input: "a\r\r\n.\r\n", want: "badLineEnding" },
  { name: "CR dot CRLF", input: "a\r.\r\n", want: "badLineEnding" },
  { name: "bare LF at start", input: "\n.\r\n", want: "badLineEnding" },
  { name: "dot then bare LF at start", input: ".\n", want: "badLineEnding" },
  { name: "dot CR then other", input: ".\rx\r\n.\r\n", want: "badLineEnding" },
  { name: "CR then text", input: "abc\rx\r\n.\r\n", want: "badLineEnding" },
  {
    name: "over the limit reads to the end",
    input: "0123456789\r\n0123456789\r\n.\r\nNOOP\r\n",
    maxSize: 20,
    want: "tooBig",
    next: "NOOP",
  },
  {
    // 12 + 3 octets: the terminator counts.
    name: "size counts the terminator",
    input: "0123456789\r\n.\r\n",
    maxSize: 14,
    want: "tooBig",
  },
  {
    name: "exactly at the limit",
    input: "0123456789\r\n.\r\n",
    maxSize: 15,
    want: "0123456789\r\n",
  },
  {
    name: "bad ending after too big is still bad",
    input: "0123456789\r\n0123456789\n.\r\n",
    maxSize: 5,
    want: "badLineEnding",
  },
];

describe("SmtpReader.readDotData()", () => {
  for (const c of DOT_CASES) {
    it(`${c.name}, across any chunking`, async () => {
      for (const sizes of splits(c.input)) {
        const r = new SmtpReader(source(c.input, sizes));
        const res = await r.readDotData({ maxSize: c.maxSize ?? 1 << 20 });
        const got = res.status === "ok" ? dec.decode(res.data) : res.status;
        assert.equal(got, c.want, `chunk sizes ${sizes.join(",")}`);
        if (c.next !== undefined) assert.equal(await r.readLine(), c.next);
      }
    });
  }

  it("reports the raw size", async () => {
    const r = new SmtpReader(source("..a\r\n.\r\n", [3]));
    const res = await r.readDotData({ maxSize: 100 });
    assert.deepEqual(res.status === "ok" && [dec.decode(res.data), res.size], [
      ".a\r\n",
      8,
    ]);
  });

  it("throws EofError when the stream ends before the dot", async () => {
    const r = new SmtpReader(source("abc\r\n", [2]));
    await assert.rejects(r.readDotData({ maxSize: 100 }), EofError);
  });

  it("returns a large message intact", async () => {
    const line = "The quick brown fox jumps over the lazy dog 0123456789.\r\n";
    const body = `${line.repeat(2000)}.leading dot\r\n`;
    const input = `${body.replaceAll("\r\n.", "\r\n..")}.\r\n`;
    for (const sizes of [[1 << 16], [1000], [1337, 17]]) {
      const r = new SmtpReader(source(input, sizes));
      const res = await r.readDotData({ maxSize: 1 << 20 });
      assert.equal(res.status, "ok");
      assert.equal(res.status === "ok" && dec.decode(res.data), body);
    }
  });
});

describe("SmtpReader.readExact()", () => {
  it("reads exactly n octets across chunks and leaves the rest", async () => {
    for (const sizes of splits("0123456789NOOP\r\n")) {
      const r = new SmtpReader(source("0123456789NOOP\r\n", sizes));
      assert.equal(dec.decode(await r.readExact(10)), "0123456789");
      assert.equal(await r.readLine(), "NOOP");
    }
  });

  it("discards without keeping when asked", async () => {
    const r = new SmtpReader(source("0123456789NOOP\r\n", [3]));
    assert.equal((await r.readExact(10, { discard: true })).length, 0);
    assert.equal(await r.readLine(), "NOOP");
  });

  it("throws EofError on a short stream", async () => {
    const r = new SmtpReader(source("0123", [3]));
    await assert.rejects(r.readExact(10), EofError);
  });
});
