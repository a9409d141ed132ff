import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES } from "./_test_env.ts";
import { parseUsersFile, UsersFileError } from "./users_file.ts";

function plainOf(text: string): string {
  const { entries } = parseUsersFile(
    `users: { key: "u" value: { plain: { password: ${text} } } }`,
    "users",
  );
  const c = entries[0]?.credential;
  assert.equal(c?.scheme, "plain");
  return c.scheme === "plain" ? c.password : "";
}

function saltOf(text: string): number[] {
  const { entries } = parseUsersFile(
    `users { key: "u" value { scrypt { logN: 14 r: 8 p: 1 keyLen: 16 salt: ${text} encrypted: "0123456789abcdef" } } }`,
    "users",
  );
  const c = entries[0]?.credential;
  assert.equal(c?.scheme, "scrypt");
  return c.scheme === "scrypt" ? [...c.hash.salt] : [];
}

describe("parseUsersFile()", () => {
  it("reads a users file written by chasquid-util", () => {
    const file = join(FIXTURES, "chasquid/domains/example.com/users");
    const { entries, skipped } = parseUsersFile(readFileSync(file), file);
    assert.deepEqual(skipped, []);
    assert.deepEqual(
      entries.map((e) => [e.user, e.line, e.credential.scheme]),
      [
        ["alice", 1, "scrypt"],
        ["ñandú", 14, "scrypt"],
      ],
    );
    const c = entries[0]!.credential;
    assert.ok(c.scheme === "scrypt");
    assert.deepEqual(
      [
        c.hash.logN,
        c.hash.r,
        c.hash.p,
        c.hash.keyLen,
        c.hash.salt.length,
        c.hash.encrypted.length,
      ],
      [14, 8, 1, 32, 16, 32],
    );
  });

  it("reads the old format with plain and denied users", () => {
    const file = join(FIXTURES, "handmade/users");
    const { entries } = parseUsersFile(readFileSync(file), file);
    assert.deepEqual(entries.map((e) => [e.user, e.credential.scheme]), [
      ["alice", "scrypt"],
      ["debug", "plain"],
      ["list", "denied"],
    ]);
    const debug = entries[1]!.credential;
    assert.deepEqual(debug, { scheme: "plain", password: 'plain "pass"!' });
  });

  const escapes: [string, string, number[]][] = [
    ["simple escapes", String.raw`"\a\b\f\n\r\t\v\\\'\"\?"`, [
      7,
      8,
      12,
      10,
      13,
      9,
      11,
      92,
      39,
      34,
      63,
    ]],
    ["octal of 1, 2 and 3 digits", String.raw`"\0\12\101\1234"`, [
      0,
      10,
      65,
      83,
      52,
    ]],
    ["hex of 1 and 2 digits", String.raw`"\x7\xff\xAbc"`, [7, 255, 171, 99]],
    ["raw UTF-8 is its bytes", `"ñ"`, [0xc3, 0xb1]],
    ["\\u escape is UTF-8", String.raw`"\u00f1"`, [0xc3, 0xb1]],
    ["\\U escape is UTF-8", String.raw`"\U0001F600"`, [0xf0, 0x9f, 0x98, 0x80]],
    ["surrogate pair in \\u", String.raw`"\ud83d\ude00"`, [
      0xf0,
      0x9f,
      0x98,
      0x80,
    ]],
    ["adjacent strings concatenate", `"a" 'b'`, [97, 98]],
    ["single quotes hold double quotes", `'"'`, [34]],
  ];
  for (const [name, text, bytes] of escapes) {
    it(`decodes ${name}`, () => {
      assert.deepEqual(saltOf(text), bytes);
    });
  }

  it("decodes a plain password through escapes", () => {
    assert.equal(plainOf(String.raw`"p\141ss\x21"`), "pass!");
  });

  const broken: [string, string, number, RegExp][] = [
    ["unterminated string", 'users {\n key: "a\n}', 2, /unterminated string/],
    ["unknown escape", 'users { key: "\\q" }', 1, /unknown escape "\\q"/],
    ["unknown top-level field", "# c\nfoo: 1", 2, /unknown field "foo"/],
    [
      "unknown scheme",
      'users { key: "a"\n value { md5 {} } }',
      2,
      /unknown password scheme "md5"/,
    ],
    [
      "two schemes",
      'users { key: "a" value {\n plain {} denied {} } }',
      1,
      /exactly one/,
    ],
    ["missing brace", 'users { key: "a" value { denied {} }', 1, /missing "}"/],
    [
      "non-integer logN",
      'users { key: "a" value { scrypt {\n logN: x } } }',
      2,
      /"logN" must be an integer/,
    ],
    ["no key", "users {\n value { denied {} } }", 1, /has no "key"/],
  ];
  for (const [name, text, line, re] of broken) {
    it(`rejects ${name} with file and line`, () => {
      assert.throws(
        () => parseUsersFile(text, "/etc/x/users"),
        (err: unknown) => {
          assert.ok(err instanceof UsersFileError);
          assert.ok(err instanceof SyntaxError);
          assert.equal(err.file, "/etc/x/users");
          assert.equal(err.line, line);
          assert.match(err.message, new RegExp(`^/etc/x/users:${line}: `));
          assert.match(err.message, re);
          return true;
        },
      );
    });
  }

  it("names the line of the broken fixture", () => {
    assert.throws(
      () =>
        parseUsersFile(
          readFileSync(join(FIXTURES, "handmade/broken_users")),
          "users",
        ),
      { message: "users:10: unterminated string" },
    );
  });

  it("skips entries with bad keys or parameters and keeps the rest", () => {
    const text = [
      'users { key: "ok" value { denied {} } }',
      'users { key: "has space" value { denied {} } }',
      'users { key: "Upper" value { denied {} } }',
      'users { key: "big" value { scrypt { logN: 30 r: 8 p: 1 keyLen: 1 salt: "" encrypted: "x" } } }',
    ].join("\n");
    const { entries, skipped } = parseUsersFile(text, "f");
    assert.deepEqual(entries.map((e) => e.user), ["ok"]);
    assert.deepEqual(skipped.map((e) => e.line), [2, 3, 4]);
    assert.match(skipped[1]!.message, /expected "upper"/);
    assert.match(skipped[2]!.message, /logN must be an integer from 1 to 20/);
  });

  it("lets a later entry for the same user win", () => {
    const text = 'users { key: "a" value { denied {} } }\n' +
      'users { key: "a" value { plain { password: "p" } } }';
    const { entries } = parseUsersFile(text, "f");
    assert.deepEqual(
      entries.map((e) => [e.user, e.line, e.credential.scheme]),
      [["a", 2, "plain"]],
    );
  });

  it("rejects bytes that are not UTF-8", () => {
    assert.throws(
      () => parseUsersFile(new Uint8Array([0x75, 0xff]), "f"),
      /f:1: file is not valid UTF-8/,
    );
  });
});
