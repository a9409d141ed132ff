import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { configFromValues, loadConfig, parseOverrides } from "./load.ts";
import type { LoadConfigOptions } from "./load.ts";
import { ConfigError } from "./errors.ts";
import { CONFIGS_DIR, memoryFiles, testFiles } from "./_test_files.ts";

const DIR = "/etc/chaski";

async function load(
  tree: Record<string, string>,
  extra: Partial<LoadConfigOptions> = {},
) {
  const files = memoryFiles(
    Object.fromEntries(
      Object.entries(tree).map(([k, v]) => [path.join(DIR, k), v]),
    ),
  );
  return await loadConfig({
    files,
    configDir: DIR,
    hostname: "os.test",
    ...extra,
  });
}

async function loadError(
  tree: Record<string, string>,
  overrides?: string,
): Promise<ConfigError> {
  const err = await load(tree, overrides === undefined ? {} : { overrides })
    .then(() => assert.fail("no error"), (e: unknown) => e);
  assert.ok(err instanceof ConfigError, String(err));
  return err;
}

describe("loadConfig()", () => {
  it("uses the documented defaults without a config file", async () => {
    const { config, warnings } = await load({});
    assert.deepEqual(warnings, []);
    assert.deepEqual({ ...config }, {
      config_dir: DIR,
      source_file: "",
      hostname: "os.test",
      max_data_size_mb: 50,
      smtp_address: [":25"],
      submission_address: [":587"],
      submission_over_tls_address: [":465"],
      monitoring_address: "",
      mail_delivery_agent_bin: "maildrop",
      mail_delivery_agent_args: ["-f", "%from%", "-d", "%to_user%"],
      data_dir: "/var/lib/chaski",
      suffix_separators: "+",
      drop_characters: ".",
      mail_log_path: "<syslog>",
      dovecot_auth: false,
      dovecot_userdb_path: "",
      dovecot_client_path: "",
      haproxy_incoming: false,
      max_queue_items: 10_000,
      give_up_send_after: 72_000_000,
      database: "sqlite:chaski.db",
      outgoing_smtp_port: 25,
      dns_server: "",
      dmarc_enforce: false,
      sender_policy: "report",
      sender_policy_overrides: {},
      send_as: {},
      lmtp_address: "",
      max_connections: 500,
      max_connections_per_ip: 20,
      command_timeout: 60_000,
      connection_timeout: 1_200_000,
      shutdown_timeout: 60_000,
      reload_every: 30_000,
      max_received_headers: 50,
      mda_timeout: 30_000,
    });
  });

  it("returns a deep-frozen config", async () => {
    const { config } = await load({});
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.smtp_address));
    assert.throws(
      () => (config.smtp_address as string[]).push(":1"),
      TypeError,
    );
  });

  it("does not share the default lists between loads", async () => {
    const a = await load({});
    const b = await load({});
    assert.notEqual(a.config.smtp_address, b.config.smtp_address);
  });

  it("reads chaski.yaml", async () => {
    const { config } = await load({ "chaski.yaml": "hostname: y.test\n" });
    assert.equal(config.source_file, "chaski.yaml");
    assert.equal(config.hostname, "y.test");
  });

  it("reads chasquid.conf when there is no chaski.yaml", async () => {
    const { config } = await load({ "chasquid.conf": 'hostname: "c.test"' });
    assert.equal(config.source_file, "chasquid.conf");
    assert.equal(config.hostname, "c.test");
  });

  it("reads only chaski.yaml when both exist, with a warning", async () => {
    const { config, warnings } = await load({
      "chaski.yaml": "hostname: y.test\n",
      "chasquid.conf": "this is not even valid",
    });
    assert.equal(config.hostname, "y.test");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /both chaski\.yaml and chasquid\.conf exist/);
  });

  it("uses the OS hostname when hostname is unset or empty", async () => {
    assert.equal(
      (await load({ "chaski.yaml": 'hostname: ""' })).config.hostname,
      "os.test",
    );
    const err = await load({}, { hostname: "" }).catch((e: unknown) => e);
    assert.ok(err instanceof ConfigError);
    assert.equal(err.field, "hostname");
  });

  it("resolves data_dir and a mail_log_path file against the config dir", async () => {
    const { config } = await load({
      "chaski.yaml": "data_dir: data\nmail_log_path: log/mail.log\n",
    });
    assert.equal(config.data_dir, "/etc/chaski/data");
    assert.equal(config.mail_log_path, "/etc/chaski/log/mail.log");
  });

  it("keeps absolute paths and <stdout>-style log targets", async () => {
    const { config } = await load({
      "chaski.yaml": "data_dir: /srv/chaski\nmail_log_path: <stdout>\n",
    });
    assert.equal(config.data_dir, "/srv/chaski");
    assert.equal(config.mail_log_path, "<stdout>");
  });

  describe("merge rules", () => {
    it("chasquid.conf: zero values never override", async () => {
      const { config } = await load({
        "chasquid.conf":
          'max_data_size_mb: 0 smtp_address: [] monitoring_address: ""',
      }, { overrides: "dovecot_auth: false" });
      assert.equal(config.max_data_size_mb, 50);
      assert.deepEqual(config.smtp_address, [":25"]);
    });

    it("text-proto overrides cannot set a bool back to false", async () => {
      const { config } = await load(
        { "chaski.yaml": "dovecot_auth: true\n" },
        { overrides: "dovecot_auth: false" },
      );
      assert.equal(config.dovecot_auth, true);
    });

    it("YAML overrides can set a bool back to false", async () => {
      const { config } = await load(
        { "chasquid.conf": "dovecot_auth: true" },
        { overrides: "{dovecot_auth: false}" },
      );
      assert.equal(config.dovecot_auth, false);
    });

    it("chaski.yaml: present values always override", async () => {
      const { config } = await load({
        "chaski.yaml":
          'submission_over_tls_address: []\nsuffix_separators: ""\n',
      });
      assert.deepEqual(config.submission_over_tls_address, []);
      assert.equal(config.suffix_separators, "");
    });

    it("repeated fields are replaced, not appended", async () => {
      const { config } = await load(
        { "chasquid.conf": 'smtp_address: ":1"\nsmtp_address: ":2"' },
        { overrides: 'smtp_address: ":3"' },
      );
      assert.deepEqual(config.smtp_address, [":3"]);
    });

    it('"" is a real value for drop_characters in chasquid.conf', async () => {
      const { config } = await load({ "chasquid.conf": 'drop_characters: ""' });
      assert.equal(config.drop_characters, "");
    });

    it("overrides apply last, on one line", async () => {
      const { config } = await load(
        { "chaski.yaml": "hostname: y.test\nmax_data_size_mb: 20\n" },
        { overrides: 'hostname: "o.test" max_data_size_mb: 5' },
      );
      assert.equal(config.hostname, "o.test");
      assert.equal(config.max_data_size_mb, 5);
    });
  });

  it("names the file and line of an error", async () => {
    const err = await loadError({
      "chaski.yaml": "hostname: a\n\nmax_data_size_mb: -1\n",
    });
    assert.equal(err.file, "chaski.yaml");
    assert.equal(err.line, 3);
    assert.equal(err.field, "max_data_size_mb");
    assert.equal(
      err.message,
      'chaski.yaml:3: field "max_data_size_mb" must be a positive integer: current value is "-1"',
    );
  });

  it("names --config-overrides in override errors", async () => {
    const err = await loadError({}, "{max_data_size_mb: -1}");
    assert.equal(err.file, "--config-overrides");
    const err2 = await loadError({}, 'hostname: "a"\nbogus: 1');
    assert.equal(err2.message, '--config-overrides:2: unknown field "bogus"');
  });

  it("loads the chasquid-style dir with chasquid's merge rule", async () => {
    const dir = path.join(CONFIGS_DIR, "chasquid/debian");
    const { config } = await loadConfig({
      files: testFiles(),
      configDir: dir,
      hostname: "os",
    });
    assert.equal(config.hostname, "mx.example.test");
    assert.equal(config.max_data_size_mb, 25);
    assert.deepEqual(config.smtp_address, [":25", "[::]:2525"]);
    assert.deepEqual(config.submission_over_tls_address, [":465"]);
    assert.equal(config.mail_delivery_agent_bin, "/usr/bin/maildrop");
    assert.equal(config.suffix_separators, "+-");
    assert.equal(config.drop_characters, "");
    assert.equal(config.dovecot_auth, true);
    assert.equal(config.haproxy_incoming, false);
    assert.equal(config.max_queue_items, 10_000);
    assert.equal(config.give_up_send_after, 48 * 3_600_000);
    assert.equal(config.data_dir, "/var/lib/chasquid");
  });
});

describe("parseOverrides()", () => {
  it("returns null for a blank string", () => {
    assert.equal(parseOverrides("  \n"), null);
  });

  it("detects a YAML flow mapping by its leading {", () => {
    const layer = parseOverrides("  {hostname: x}");
    assert.equal(layer?.values.get("hostname")?.value, "x");
  });

  it("reads anything else as text-proto", () => {
    const layer = parseOverrides('hostname: "x"');
    assert.equal(layer?.values.get("hostname")?.value, "x");
    assert.throws(() => parseOverrides("hostname: x"), ConfigError);
  });
});

describe("configFromValues()", () => {
  const opts = { configDir: "/c", hostname: "mx.test" };

  it("builds a frozen config over the defaults", () => {
    const config = configFromValues(
      { smtp_address: ["127.0.0.1:0"], reload_every: "100ms" },
      opts,
    );
    assert.deepEqual(config.smtp_address, ["127.0.0.1:0"]);
    assert.equal(config.reload_every, 100);
    assert.equal(config.hostname, "mx.test");
    assert.equal(config.data_dir, "/var/lib/chaski");
    assert.ok(Object.isFrozen(config));
  });

  it("checks keys and values as chaski.yaml does", () => {
    assert.throws(() => configFromValues({ bogus: 1 }, opts), {
      message: '(values): unknown field "bogus"',
    });
    assert.throws(() => configFromValues({ max_data_size_mb: -1 }, opts), {
      message:
        '(values): field "max_data_size_mb" must be a positive integer: current value is "-1"',
    });
  });
});
