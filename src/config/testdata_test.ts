import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import process from "node:process";
import { loadConfig } from "./load.ts";
import { scanConfigDir } from "./scan.ts";
import { ConfigError } from "./errors.ts";
import { CONFIGS_DIR, testFiles } from "./_test_files.ts";

const files = testFiles();
const update = process.env.UPDATE_GOLDEN === "1";

async function casesIn(sub: string): Promise<string[]> {
  const dir = path.join(CONFIGS_DIR, sub);
  return (await fs.readdir(dir)).sort().map((n) => path.join(dir, n));
}

async function readIfExists(p: string): Promise<string | undefined> {
  try {
    return await fs.readFile(p, "utf8");
  } catch {
    return undefined;
  }
}

/** Loads a dir the way start-up does: config, then certs and domains. */
async function loadDir(dir: string) {
  const overrides = await readIfExists(path.join(dir, ".overrides"));
  const loaded = await loadConfig({
    files,
    configDir: dir,
    hostname: "os-host.example.test",
    ...(overrides === undefined ? {} : { overrides }),
  });
  const scan = await scanConfigDir({ files, configDir: dir });
  return { ...loaded, scan };
}

const badDirs = await casesIn("bad");
const goodDirs = [...await casesIn("good"), ...await casesIn("chasquid")];

describe("testdata/configs/bad", () => {
  for (const dir of badDirs) {
    it(`rejects ${path.basename(dir)}`, async () => {
      const expectedFile = path.join(dir, ".expected-error");
      const err = await loadDir(dir).then(
        () => assert.fail("loaded without error"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConfigError, `not a ConfigError: ${err}`);
      if (update) await fs.writeFile(expectedFile, err.message + "\n");
      const expected = (await fs.readFile(expectedFile, "utf8")).trimEnd();
      assert.equal(err.message, expected);
    });
  }
});

describe("testdata/configs/good and chasquid", () => {
  for (const dir of goodDirs) {
    it(`loads ${path.relative(CONFIGS_DIR, dir)}`, async () => {
      const { config, scan } = await loadDir(dir);
      assert.equal(config.config_dir, dir);
      assert.ok(scan.certs.length > 0);
      assert.ok(scan.domains.includes("localhost"));
    });
  }
});

describe("testdata/configs/good/both-files", () => {
  it("is not an error: chaski.yaml wins and a warning says so", async () => {
    const { config, warnings } = await loadDir(
      path.join(CONFIGS_DIR, "good/both-files"),
    );
    assert.equal(config.source_file, "chaski.yaml");
    assert.equal(config.hostname, "from-yaml.example.test");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /reading only chaski\.yaml$/);
  });

  it("is the only good dir with warnings", async () => {
    for (const dir of goodDirs) {
      if (dir.endsWith("both-files")) continue;
      assert.deepEqual((await loadDir(dir)).warnings, [], dir);
    }
  });
});
