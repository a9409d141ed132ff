import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseYamlConf } from "./yaml_conf.ts";
import { ConfigError } from "./errors.ts";

function parse(text: string): Record<string, unknown> {
  const layer = parseYamlConf(text, "chaski.yaml");
  return Object.fromEntries([...layer.values].map(([k, s]) => [k, s.value]));
}

function error(text: string): ConfigError {
  try {
    parseYamlConf(text, "chaski.yaml");
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  return assert.fail("no error");
}

describe("parseYamlConf()", () => {
  it("reads every kind of value", () => {
    assert.deepEqual(
      parse(
        "hostname: mx.test\nmax_data_size_mb: 5\ndovecot_auth: true\n" +
          'smtp_address: [":25", "[::1]:2525"]\nreload_every: 1m30s\n' +
          "outgoing_smtp_port: 2525\n",
      ),
      {
        hostname: "mx.test",
        max_data_size_mb: 5,
        dovecot_auth: true,
        smtp_address: [":25", "[::1]:2525"],
        reload_every: 90_000,
        outgoing_smtp_port: 2525,
      },
    );
  });

  it("keeps present zero values: they always override", () => {
    assert.deepEqual(
      parse(
        'dovecot_auth: false\nhaproxy_incoming: false\nmonitoring_address: ""\n' +
          'smtp_address: []\nsuffix_separators: ""\nmail_delivery_agent_args: []\n',
      ),
      {
        dovecot_auth: false,
        haproxy_incoming: false,
        monitoring_address: "",
        smtp_address: [],
        suffix_separators: "",
        mail_delivery_agent_args: [],
      },
    );
  });

  it("keeps the line of each key", () => {
    const layer = parseYamlConf(
      "# c\n\nhostname: a\nsmtp_address:\n  - :25\n",
      "f",
    );
    assert.equal(layer.values.get("hostname")?.line, 3);
    assert.equal(layer.values.get("smtp_address")?.line, 4);
  });

  it("reads unquoted addresses", () => {
    assert.deepEqual(
      parse(
        "smtp_address: [:25, 127.0.0.1:26]\nmonitoring_address: 127.0.0.1:1099",
      ),
      {
        smtp_address: [":25", "127.0.0.1:26"],
        monitoring_address: "127.0.0.1:1099",
      },
    );
  });

  it("reads an empty document as no settings", () => {
    assert.deepEqual(parse(""), {});
    assert.deepEqual(parse("# only a comment\n"), {});
  });

  it("reads a flow mapping, as overrides use", () => {
    assert.deepEqual(
      parse("{hostname: x, dovecot_auth: false, smtp_address: []}"),
      {
        hostname: "x",
        dovecot_auth: false,
        smtp_address: [],
      },
    );
  });

  it("does not read YAML 1.1 booleans", () => {
    assert.match(error("dovecot_auth: yes").message, /not a string/);
  });

  const bad: [string, string, string][] = [
    [
      "unknown key",
      "hostname: a\nhostnme: b",
      'chaski.yaml:2: unknown field "hostnme"',
    ],
    [
      "string for int",
      'max_data_size_mb: "5"',
      'chaski.yaml:1: field "max_data_size_mb" must be a positive integer, not a string: current value is "5"',
    ],
    [
      "zero size",
      "max_data_size_mb: 0",
      'chaski.yaml:1: field "max_data_size_mb" must be a positive integer: current value is "0"',
    ],
    [
      "negative size",
      "max_data_size_mb: -1",
      'chaski.yaml:1: field "max_data_size_mb" must be a positive integer: current value is "-1"',
    ],
    [
      "null value",
      "hostname:",
      'chaski.yaml:1: field "hostname" must be a string, not empty: current value is null',
    ],
    [
      "number for duration",
      "reload_every: 30",
      'chaski.yaml:1: field "reload_every" must be a duration such as "30s" or "1h30m", not a number: current value is "30"',
    ],
    [
      "zero duration",
      "mda_timeout: 0s",
      'chaski.yaml:1: field "mda_timeout" must be a positive duration: current value is "0s"',
    ],
    [
      "day unit",
      "give_up_send_after: 1d",
      'chaski.yaml:1: field "give_up_send_after" must be a duration such as "30s" or "1h30m": current value is "1d"',
    ],
    [
      "port zero",
      "outgoing_smtp_port: 0",
      'chaski.yaml:1: field "outgoing_smtp_port" must be a port number between 1 and 65535: current value is "0"',
    ],
    [
      "number in list",
      "mail_delivery_agent_args: [-f, 5]",
      'chaski.yaml:1: field "mail_delivery_agent_args" must be a list of strings, not contain a number: current value is "5"',
    ],
    [
      "mapping value",
      "hostname: {a: 1}",
      'chaski.yaml:1: field "hostname" must be a string, not a mapping: current value is {"a":1}',
    ],
    [
      "empty listen",
      'smtp_address: [""]',
      'chaski.yaml:1: field "smtp_address" has an empty address: remove the entry to disable smtp listeners',
    ],
    [
      "systemd",
      "submission_over_tls_address: [systemd]",
      'chaski.yaml:1: field "submission_over_tls_address" lists "systemd": socket activation is not supported yet, list addresses such as ":25" instead',
    ],
    [
      "address without port",
      "smtp_address: [localhost]",
      'chaski.yaml:1: field "smtp_address" must be "host:port" or ":port": current value is "localhost"',
    ],
    [
      "bad monitoring address",
      "monitoring_address: 1099",
      'chaski.yaml:1: field "monitoring_address" must be a string, not a number: current value is "1099"',
    ],
    [
      "empty MDA",
      'mail_delivery_agent_bin: ""',
      'chaski.yaml:1: field "mail_delivery_agent_bin" must not be empty: current value is ""',
    ],
    [
      "too many queue items",
      "max_queue_items: 4294967296",
      'chaski.yaml:1: field "max_queue_items" must be at most 4294967295: current value is "4294967296"',
    ],
    [
      "list root",
      "- a",
      "chaski.yaml:1: the document must be a mapping of keys to values",
    ],
    [
      "duplicate key",
      "hostname: a\nhostname: b",
      "chaski.yaml:2: syntax error: map keys must be unique",
    ],
    ["numeric key", "1: a", 'chaski.yaml:1: unknown field "1"'],
  ];
  for (const [name, text, message] of bad) {
    it(`rejects: ${name}`, () => {
      assert.equal(error(text).message, message);
    });
  }

  it("names the line of a syntax error", () => {
    const e = error('hostname: a\nsmtp_address: [":25"\n\nx: 1\n');
    assert.match(e.message, /^chaski\.yaml:\d+: syntax error: /);
    assert.ok(e.line >= 2);
  });
});

describe("parseYamlConf() sender policy keys (B-02)", () => {
  it("reads the mode, the overrides and the grants", () => {
    assert.deepEqual(
      parse(
        "sender_policy: enforce\n" +
          "sender_policy_overrides:\n  example.com: report\n  bob@example.com: off\n" +
          'send_as: {bob@example.com: [sales@example.com, "*@other.example"], example.com: []}\n',
      ),
      {
        sender_policy: "enforce",
        sender_policy_overrides: {
          "example.com": "report",
          "bob@example.com": "off",
        },
        send_as: {
          "bob@example.com": ["sales@example.com", "*@other.example"],
          "example.com": [],
        },
      },
    );
  });

  const bad: [name: string, text: string, message: string][] = [
    [
      "unknown mode",
      "sender_policy: strict",
      'chaski.yaml:1: field "sender_policy" must be "off", "report" or "enforce": current value is "strict"',
    ],
    [
      // YAML 1.2: `off` is a string, but `false` is not.
      "boolean mode",
      "sender_policy: false",
      'chaski.yaml:1: field "sender_policy" must be a string, not a boolean: current value is "false"',
    ],
    [
      "overrides as a list",
      "sender_policy_overrides: [a]",
      'chaski.yaml:1: field "sender_policy_overrides" must be a mapping of "user@domain" or "domain" to "off", "report" or "enforce", not a list: current value is ["a"]',
    ],
    [
      "bad mode in an override, on its line",
      "sender_policy_overrides:\n  a.test: report\n  b@a.test: reject\n",
      'chaski.yaml:3: field "sender_policy_overrides" entry "b@a.test" must be "off", "report" or "enforce": current value is "reject"',
    ],
    [
      "override key with two @",
      "sender_policy_overrides: {a@b@c: off}",
      'chaski.yaml:1: field "sender_policy_overrides" must have "user@domain" or "domain" keys: current value is "a@b@c"',
    ],
    [
      "grant that is not a list",
      "send_as:\n  bob@a.test: sales@a.test\n",
      'chaski.yaml:2: field "send_as" entry "bob@a.test" must be a list of "user@domain" or "*@domain": current value is "sales@a.test"',
    ],
    [
      "grant without a domain",
      "send_as: {bob@a.test: [sales]}",
      'chaski.yaml:1: field "send_as" entry "bob@a.test" must be a list of "user@domain" or "*@domain": current value is "sales"',
    ],
    [
      "partial wildcard",
      'send_as: {bob@a.test: ["s*@a.test"]}',
      'chaski.yaml:1: field "send_as" entry "bob@a.test" must be a list of "user@domain" or "*@domain": current value is "s*@a.test"',
    ],
    [
      "wildcard domain",
      'send_as: {bob@a.test: ["*@*"]}',
      'chaski.yaml:1: field "send_as" entry "bob@a.test" must be a list of "user@domain" or "*@domain": current value is "*@*"',
    ],
  ];
  for (const [name, text, message] of bad) {
    it(`rejects: ${name}`, () => {
      assert.equal(error(text).message, message);
    });
  }
});
