import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { rfc1123z } from "../smtpsrv/received.ts";
import {
  buildDsn,
  type DsnInput,
  type DsnRecipient,
  MAX_RETURNED_BYTES,
  originalMessageId,
  reportingDomain,
  statusCode,
} from "./dsn.ts";

const DIR = new URL("../../testdata/dsn/", import.meta.url);
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A `testdata/dsn/NN-name.input.json` case. */
interface Case {
  id: string;
  reportingDomain: string;
  sender: string;
  recipients: DsnRecipient[];
  /** The original's lines, joined with CRLF. */
  original: string[];
  /** Lines appended to `original`, to make big messages. */
  bodyRepeat?: { line: string; count: number };
  date: string;
  kind: "failure" | "delay";
  headersOnly?: boolean;
}

function loadCase(name: string): DsnInput {
  const c: Case = JSON.parse(readFileSync(new URL(name, DIR), "utf8"));
  let original = c.original.join("\r\n");
  if (c.bodyRepeat) {
    original += `${c.bodyRepeat.line}\r\n`.repeat(c.bodyRepeat.count);
  }
  return {
    id: c.id,
    reportingDomain: c.reportingDomain,
    sender: c.sender,
    recipients: c.recipients,
    original: enc.encode(original),
    date: new Date(c.date),
    kind: c.kind,
    ...(c.headersOnly === undefined ? {} : { headersOnly: c.headersOnly }),
  };
}

/**
 * The output with its Date value as `{{date}}`: rfc1123z() writes local
 * time, so the golden would otherwise depend on the machine's time zone.
 */
function render(input: DsnInput): string {
  const text = dec.decode(buildDsn(input));
  const date = `\r\nDate: ${rfc1123z(input.date)}\r\n`;
  assert.ok(text.includes(date), "Date header is RFC 1123Z of input.date");
  return text.replace(date, "\r\nDate: {{date}}\r\n");
}

/** The first differing line, with its neighbours, for a readable failure. */
function diff(want: string, got: string): string {
  const w = want.split("\r\n");
  const g = got.split("\r\n");
  let i = 0;
  while (i < w.length && i < g.length && w[i] === g[i]) i++;
  const show = (ls: string[]) =>
    ls.slice(Math.max(0, i - 2), i + 3).map((l) => JSON.stringify(l))
      .join("\n    ");
  return `first difference at line ${i + 1}:\n  want:\n    ${show(w)}\n` +
    `  got:\n    ${show(g)}`;
}

const cases = readdirSync(DIR).filter((f) => f.endsWith(".input.json"))
  .sort().map((f) => f.slice(0, -".input.json".length));

describe("buildDsn() goldens", () => {
  it("has the seven cases", () => assert.equal(cases.length, 7));
  for (const name of cases) {
    it(`matches testdata/dsn/${name}.eml`, () => {
      const got = render(loadCase(`${name}.input.json`));
      const url = new URL(`${name}.eml`, DIR);
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(url, got);
      const want = readFileSync(url, "utf8");
      if (got !== want) assert.fail(diff(want, got));
    });
  }
});

/** Splits a DSN into its top headers and its parts (headers, body). */
function parse(bytes: Uint8Array) {
  const text = dec.decode(bytes);
  const [head = "", ...rest] = text.split("\r\n\r\n");
  const body = rest.join("\r\n\r\n");
  const boundary = /boundary="([^"]+)"/.exec(head)?.[1];
  assert.ok(boundary, "top Content-Type has a boundary");
  const sections = body.split(`\r\n--${boundary}`);
  assert.equal(sections.at(-1), "--\r\n", "closing delimiter ends the message");
  const parts = sections.slice(1, -1).map((s) => {
    assert.ok(s.startsWith("\r\n"), "delimiter line ends in CRLF");
    const end = s.indexOf("\r\n\r\n");
    return { head: s.slice(2, end), body: s.slice(end + 4) };
  });
  return { text, head, boundary, parts };
}

function contentType(partHead: string): string {
  return /^Content-Type: ([^;\r\n]+)/m.exec(partHead)?.[1] ?? "";
}

describe("buildDsn() structure", () => {
  for (const name of cases) {
    it(`${name}: three parts, CRLF only, well-formed status fields`, () => {
      const input = loadCase(`${name}.input.json`);
      const { text, head, parts } = parse(buildDsn(input));
      assert.doesNotMatch(text, /[^\r]\n|\r[^\n]/, "no bare LF or CR");
      assert.match(
        head,
        /^Content-Type: multipart\/report; report-type=delivery-status;/m,
      );
      assert.equal(parts.length, 3);
      assert.equal(contentType(parts[0]!.head), "text/plain");
      assert.equal(
        contentType(parts[1]!.head),
        "message/global-delivery-status",
      );
      const headersOnly = input.kind === "delay" || input.headersOnly === true;
      assert.match(
        contentType(parts[2]!.head),
        headersOnly
          ? /^(text\/rfc822-headers|message\/global-headers)$/
          : /^message\/(rfc822|global)$/,
      );
      // Part 2: a per-message block, then one block per recipient, each a
      // run of `Name: value` fields, continuation lines starting with a space.
      const blocks = parts[1]!.body.replace(/\r\n$/, "").split("\r\n\r\n");
      assert.equal(blocks.length, 1 + input.recipients.length);
      assert.match(blocks[0]!, /^Reporting-MTA: dns; \S+$/);
      for (const [i, block] of blocks.slice(1).entries()) {
        for (const line of block.split("\r\n")) {
          assert.match(line, /^([A-Za-z-]+: \S.*| \S.*)$/u);
        }
        const r = input.recipients[i]!;
        assert.match(block, /^Original-Recipient: utf-8; \S+$/m);
        assert.match(block, /^Final-Recipient: utf-8; \S+$/m);
        assert.match(block, /^Action: (failed|delayed)$/m);
        assert.match(block, new RegExp(`^Status: ${statusCode(r)}$`, "m"));
      }
    });
  }

  it("returns the message cut at a line end before 256 KiB", () => {
    const input = loadCase("05-over-256k.input.json");
    const { parts } = parse(buildDsn(input));
    const returned = enc.encode(parts[2]!.body);
    assert.ok(returned.length <= MAX_RETURNED_BYTES + 2);
    assert.ok(input.original.length > MAX_RETURNED_BYTES);
    assert.match(parts[2]!.body, /0123\r\n$/);
  });

  it("picks another boundary when the original contains the first one", () => {
    const input = loadCase("01-permanent-failure.input.json");
    const first = parse(buildDsn(input)).boundary;
    const original = enc.encode(`Subject: x\r\n\r\n--${first}\r\n`);
    const second = parse(buildDsn({ ...input, original })).boundary;
    assert.notEqual(second, first);
  });
});

describe("reportingDomain()", () => {
  const local = (d: string) => d === "example.com" || d === "local.test";
  const table: [string, string, string[], string][] = [
    [
      "the sender's domain when local",
      "a@example.com",
      ["b@local.test"],
      "example.com",
    ],
    ["the first local recipient domain", "a@far.test", [
      "b@x.test",
      "c@local.test",
      "d@example.com",
    ], "local.test"],
    ["unknown when nothing is local", "a@far.test", ["b@x.test"], "unknown"],
    ["unknown with no recipients", "a@far.test", [], "unknown"],
    // The null sender has no domain; recipients still count.
    [
      "a recipient domain for the null sender",
      "",
      ["b@example.com"],
      "example.com",
    ],
    ["the last @ splits the domain", '"a@b"@example.com', [], "example.com"],
    [
      "an address without @ is skipped",
      "postmaster",
      ["x", "y@local.test"],
      "local.test",
    ],
  ];
  for (const [name, sender, rcpts, want] of table) {
    it(name, () => assert.equal(reportingDomain(sender, rcpts, local), want));
  }
});

describe("statusCode()", () => {
  const table: [string, DsnRecipient["status"], string, string][] = [
    ["failed defaults to 5.0.0", "failed", "exit status 1", "5.0.0"],
    ["timeout defaults to 4.0.0", "timeout", "connection refused", "4.0.0"],
    ["delayed defaults to 4.0.0", "delayed", "", "4.0.0"],
    [
      "uses the enhanced code of a reply",
      "failed",
      "550 5.1.1 no user",
      "5.1.1",
    ],
    [
      "reads a multi-line reply",
      "failed",
      "554-5.7.1 no\n554 5.7.1 no",
      "5.7.1",
    ],
    ["drops leading zeros", "timeout", "451 4.04.002 later", "4.4.2"],
    [
      "keeps its class when the reply disagrees",
      "failed",
      "451 4.3.0 later",
      "5.0.0",
    ],
    [
      "needs the reply code to match the class",
      "failed",
      "250 5.1.1 odd",
      "5.0.0",
    ],
    ["ignores a code not at the start", "failed", "said: 550 5.1.1 x", "5.0.0"],
    ["ignores a version-like number", "failed", "550 5.1.1.1 x", "5.0.0"],
  ];
  for (const [name, status, error, want] of table) {
    it(name, () => assert.equal(statusCode({ status, error }), want));
  }
});

describe("originalMessageId()", () => {
  const table: [string, string, string | null][] = [
    ["finds the field", "Message-ID: <a@b>\r\n\r\n", "<a@b>"],
    ["any case, folded", "message-id:\r\n <a@b> (c)\r\n\r\n", "<a@b>"],
    ["adds missing brackets", "Message-Id: a@b\r\n\r\n", "<a@b>"],
    ["none in the body", "Subject: x\r\n\r\nMessage-ID: <a@b>\r\n", null],
    ["none at all", "Subject: x\r\n\r\nbody\r\n", null],
    ["rejects junk", "Message-ID: hello world\r\n\r\n", null],
    ["keeps UTF-8", "Message-ID: <ñ@b>\r\n\r\n", "<ñ@b>"],
  ];
  for (const [name, msg, want] of table) {
    it(name, () => assert.equal(originalMessageId(enc.encode(msg)), want));
  }
});

describe("buildDsn() with Python's email parser", () => {
  const python = spawnSync("python3", ["--version"]);
  const skip = python.error || python.status !== 0
    ? "python3 is not installed"
    : false;
  const script = [
    "import sys, email, email.policy",
    "m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.SMTP)",
    "parts = list(m.iter_parts())",
    "print(m.get_content_type(), m.get_param('report-type'), len(parts), m.defects == [])",
    "print(' '.join(p.get_content_type() for p in parts))",
  ].join("\n");
  for (const name of cases) {
    it(`${name} parses as multipart/report with 3 parts`, { skip }, () => {
      const out = spawnSync("python3", ["-c", script], {
        input: buildDsn(loadCase(`${name}.input.json`)),
      });
      assert.equal(out.status, 0, String(out.stderr));
      const [summary, types] = String(out.stdout).trim().split("\n");
      assert.equal(summary, "multipart/report delivery-status 3 True");
      assert.match(types!, /^text\/plain message\/global-delivery-status /);
    });
  }
});
