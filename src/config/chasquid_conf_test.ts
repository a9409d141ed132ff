import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseChasquidConf } from "./chasquid_conf.ts";
import { ConfigError } from "./errors.ts";

function parse(text: string): Record<string, unknown> {
  const layer = parseChasquidConf(text, "chasquid.conf");
  return Object.fromEntries(
    [...layer.values].map(([k, s]) => [k, s.value]),
  );
}

function lines(text: string): Record<string, number> {
  const layer = parseChasquidConf(text, "chasquid.conf");
  return Object.fromEntries([...layer.values].map(([k, s]) => [k, s.line]));
}

function error(text: string): ConfigError {
  try {
    parseChasquidConf(text, "chasquid.conf");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e;
  }
  return assert.fail("no error");
}

describe("parseChasquidConf()", () => {
  it("reads strings, integers and booleans", () => {
    assert.deepEqual(
      parse('hostname: "mx.test"\nmax_data_size_mb: 5\ndovecot_auth: true\n'),
      { hostname: "mx.test", max_data_size_mb: 5, dovecot_auth: true },
    );
  });

  it("keeps the line of each key", () => {
    assert.deepEqual(
      lines(
        '# c\n\nhostname: "a"\n  # x\nsmtp_address: ":1"\nsmtp_address: ":2"',
      ),
      { hostname: 3, smtp_address: 5 },
    );
  });

  it("appends repeated fields in order, both syntaxes", () => {
    assert.deepEqual(
      parse('smtp_address: ":25"\nsmtp_address: [":2525", "[::1]:26"]'),
      { smtp_address: [":25", ":2525", "[::1]:26"] },
    );
  });

  it("reads several fields on one line, as overrides do", () => {
    assert.deepEqual(
      parse('hostname: "x" max_data_size_mb: 5; dovecot_auth: t'),
      {
        hostname: "x",
        max_data_size_mb: 5,
        dovecot_auth: true,
      },
    );
  });

  it("accepts both quote styles, escapes and adjacent strings", () => {
    assert.deepEqual(
      parse(
        String.raw`hostname: 'a\'b' "c\"d" mail_log_path: "\x41\101\u00e9\t"`,
      ),
      { hostname: `a'bc"d`, mail_log_path: "AAé\t" },
    );
  });

  it("reads UTF-8 text and octal-escaped UTF-8 bytes alike", () => {
    assert.deepEqual(parse(String.raw`hostname: "ñ\303\261"`), {
      hostname: "ññ",
    });
  });

  it("converts durations to milliseconds", () => {
    assert.deepEqual(parse('give_up_send_after: "1h30m"'), {
      give_up_send_after: 5_400_000,
    });
  });

  it("drops zero values: they never override", () => {
    assert.deepEqual(
      parse(
        'hostname: "" max_data_size_mb: 0 dovecot_auth: false ' +
          'haproxy_incoming: False smtp_address: [] give_up_send_after: ""',
      ),
      {},
    );
  });

  it('keeps "" for suffix_separators and drop_characters', () => {
    assert.deepEqual(parse('suffix_separators: "" drop_characters: ""'), {
      suffix_separators: "",
      drop_characters: "",
    });
  });

  it("accepts chaski-only keys", () => {
    assert.deepEqual(parse('outgoing_smtp_port: 2525 reload_every: "1s"'), {
      outgoing_smtp_port: 2525,
      reload_every: 1000,
    });
  });

  it("reads 0 and 1 as booleans, as protobuf does", () => {
    assert.deepEqual(parse("dovecot_auth: 1 haproxy_incoming: 0"), {
      dovecot_auth: true,
    });
  });

  it("reads hexadecimal integers", () => {
    assert.deepEqual(parse("max_queue_items: 0x10"), { max_queue_items: 16 });
  });

  const bad: [string, string, string][] = [
    [
      "unknown key",
      'hostname: "a"\nbogus: 1',
      'chasquid.conf:2: unknown field "bogus"',
    ],
    [
      "missing colon",
      'hostname "a"',
      'chasquid.conf:1: syntax error: expected ":" after "hostname", found "\\"a\\""',
    ],
    [
      "missing value",
      "hostname:",
      "chasquid.conf:1: syntax error: expected a value, found end of input",
    ],
    [
      "enum value",
      "hostname: foo",
      'chasquid.conf:1: syntax error: expected a value, found "foo"',
    ],
    [
      "message field",
      "hostname {\n}",
      'chasquid.conf:1: syntax error: unexpected "{": chasquid\'s config has no message fields',
    ],
    [
      "bad escape",
      String.raw`hostname: "\q"`,
      'chasquid.conf:1: syntax error: bad escape "\\q"',
    ],
    [
      "newline in string",
      'hostname: "a\nb"',
      "chasquid.conf:1: syntax error: unterminated string",
    ],
    [
      "bad number",
      "max_data_size_mb: 12abc",
      'chasquid.conf:1: syntax error: bad number "12abc"',
    ],
    [
      "string for int",
      'max_data_size_mb: "5"',
      'chasquid.conf:1: field "max_data_size_mb" must be a positive integer, not a string: current value is "5"',
    ],
    [
      "int for string",
      "hostname: 5",
      'chasquid.conf:1: field "hostname" must be a string, not a number: current value is "5"',
    ],
    [
      "negative int",
      "max_data_size_mb: -5",
      'chasquid.conf:1: field "max_data_size_mb" must be a positive integer: current value is "-5"',
    ],
    [
      "float for int",
      "max_data_size_mb: 1.5",
      'chasquid.conf:1: field "max_data_size_mb" must be a positive integer: current value is "1.5"',
    ],
    [
      "list for string",
      'hostname: ["a"]',
      'chasquid.conf:1: field "hostname" must be a string, not a list: current value is ["a"]',
    ],
    [
      "scalar twice",
      'hostname: "a"\nhostname: "b"',
      'chasquid.conf:2: field "hostname" is set more than once',
    ],
    [
      "unclosed list",
      'smtp_address: [":25" ":26"',
      'chasquid.conf:1: syntax error: expected "," or "]", found end of input',
    ],
  ];
  bad.push([
    "stray character",
    'hostname: "a"\n@',
    'chasquid.conf:2: syntax error: unexpected character "@"',
  ]);
  for (const [name, text, message] of bad) {
    it(`rejects: ${name}`, () => {
      assert.equal(error(text).message, message);
    });
  }

  it("points at the list entry that is wrong", () => {
    const e = error('smtp_address: ":25"\n# x\nsmtp_address: ""');
    assert.equal(e.line, 3);
    assert.equal(e.field, "smtp_address");
  });

  it("names the field in the error", () => {
    const e = error('\n\nmax_data_size_mb: "x"');
    assert.equal(e.file, "chasquid.conf");
    assert.equal(e.line, 3);
    assert.equal(e.field, "max_data_size_mb");
  });
});
