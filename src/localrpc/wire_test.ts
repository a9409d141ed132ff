import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodeValues,
  encodeValues,
  parseReplyLine,
  parseRequestLine,
  queryEscape,
  readLine,
  RpcProtocolError,
} from "./wire.ts";

describe("queryEscape()", () => {
  // Expected strings are what Go's url.QueryEscape returns.
  const cases: [name: string, input: string, want: string][] = [
    ["keeps unreserved", "aZ09-_.~", "aZ09-_.~"],
    ["escapes @", "a@b", "a%40b"],
    ["space as plus", "a b", "a+b"],
    ["escapes what encodeURIComponent keeps", "!'()*", "%21%27%28%29%2A"],
    ["escapes plus and percent", "+%", "%2B%25"],
    ["utf-8 bytes", "ñ", "%C3%B1"],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => assert.equal(queryEscape(input), want));
  }
});

describe("encodeValues()", () => {
  it("sorts keys and keeps the order of one key's values", () => {
    const v = new URLSearchParams();
    v.append("(pipe)", "/bin/cat -n");
    v.append("(email)", "b@x");
    v.append("(email)", "a@x");
    assert.equal(
      encodeValues(v),
      "%28email%29=b%40x&%28email%29=a%40x&%28pipe%29=%2Fbin%2Fcat+-n",
    );
  });

  it("gives an empty string for no values", () => {
    assert.equal(encodeValues(new URLSearchParams()), "");
  });
});

describe("decodeValues()", () => {
  it("round-trips awkward text", () => {
    const v = new URLSearchParams();
    v.append("Address", "a+b c%d&e=f;g@ñ.test");
    v.append("k", "");
    const back = decodeValues(encodeValues(v));
    assert.deepEqual([...back], [...v]);
  });

  it("reads a key without = as an empty value", () => {
    assert.deepEqual([...decodeValues("a&b=1")], [["a", ""], ["b", "1"]]);
  });

  it("refuses a semicolon separator, as Go does", () => {
    assert.throws(() => decodeValues("a=1;b=2"), RpcProtocolError);
  });

  it("refuses a malformed escape", () => {
    assert.throws(() => decodeValues("a=%zz"), RpcProtocolError);
  });
});

describe("parseRequestLine()", () => {
  it("splits at the first space", () => {
    assert.deepEqual(parseRequestLine("M a=1 b"), {
      method: "M",
      query: "a=1 b",
    });
  });
  it("reads a bare method as one without a query", () => {
    assert.deepEqual(parseRequestLine("M"), { method: "M", query: "" });
  });
});

describe("parseReplyLine()", () => {
  it("reads the code and text", () => {
    assert.deepEqual(parseReplyLine("500 unknown method"), {
      code: 500,
      text: "unknown method",
    });
  });
  it("accepts an empty result", () => {
    assert.deepEqual(parseReplyLine("200 "), { code: 200, text: "" });
  });
  it("refuses a line without a code", () => {
    assert.throws(() => parseReplyLine("hello"), RpcProtocolError);
  });
});

describe("readLine()", () => {
  function reader(...parts: string[]): () => Promise<Uint8Array | null> {
    const enc = new TextEncoder();
    return () =>
      Promise.resolve(parts.length ? enc.encode(parts.shift()) : null);
  }
  it("joins chunks and strips CRLF", async () => {
    assert.equal(await readLine(reader("ab", "c\r\nrest"), 100), "abc");
  });
  it("gives null at end of stream without a newline", async () => {
    assert.equal(await readLine(reader("abc"), 100), null);
  });
  it("refuses a line over the limit", async () => {
    await assert.rejects(
      readLine(reader("x".repeat(20)), 10),
      RpcProtocolError,
    );
  });
});
