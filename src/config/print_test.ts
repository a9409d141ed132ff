import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { parse } from "yaml";
import { formatConfig } from "./print.ts";
import { buildConfig, loadConfig } from "./load.ts";
import { parseYamlConf } from "./yaml_conf.ts";
import { CONFIGS_DIR, testFiles } from "./_test_files.ts";

describe("formatConfig()", () => {
  it("prints every key, chaski-only ones included", () => {
    const text = formatConfig(
      buildConfig([], { configDir: "/etc/chaski", hostname: "mx.test" }),
    );
    const data = parse(text) as Record<string, unknown>;
    assert.equal(data.hostname, "mx.test");
    assert.equal(data.give_up_send_after, "20h");
    assert.equal(data.reload_every, "30s");
    assert.deepEqual(data.smtp_address, [":25"]);
    assert.equal(data.database, "sqlite:chaski.db");
    assert.equal(Object.keys(data).length, 34);
    assert.match(
      text,
      /^# config_dir: \/etc\/chaski\n# source_file: \(defaults\)\n/,
    );
  });

  it("reads back as the same config", async () => {
    const dir = path.join(CONFIGS_DIR, "good/full");
    const { config } = await loadConfig({
      files: testFiles(),
      configDir: dir,
      hostname: "os",
    });
    const layer = parseYamlConf(formatConfig(config), "x");
    const again = buildConfig([layer], {
      configDir: dir,
      hostname: "os",
      sourceFile: "chaski.yaml",
    });
    assert.deepEqual({ ...again }, { ...config });
  });
});
