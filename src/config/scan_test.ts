import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { scanConfigDir } from "./scan.ts";
import { ConfigError } from "./errors.ts";
import { CONFIGS_DIR, memoryFiles, testFiles } from "./_test_files.ts";

const files = testFiles();

describe("scanConfigDir()", () => {
  const debian = path.join(CONFIGS_DIR, "chasquid/debian");

  it("loads cert dirs and symlinks with both files, in name order", async () => {
    const scan = await scanConfigDir({ files, configDir: debian });
    assert.deepEqual(scan.certs.map((c) => c.name), [
      "mx.example.test",
      "mx3.example.test",
    ]);
    assert.match(scan.certs[0]!.cert, /BEGIN CERTIFICATE/);
    assert.match(scan.certs[0]!.key, /PRIVATE KEY/);
  });

  it("skips a cert dir missing a file, with a warning, and ignores files", async () => {
    const warned: string[] = [];
    const scan = await scanConfigDir({
      files,
      configDir: debian,
      log: { warn: (msg: string) => void warned.push(msg) },
    });
    assert.deepEqual(scan.warnings, [
      "certs/mx2.example.test: skipped: it needs both fullchain.pem and privkey.pem",
    ]);
    assert.deepEqual(warned, scan.warnings);
  });

  it("normalises domain dir names, adds localhost and sorts", async () => {
    const scan = await scanConfigDir({ files, configDir: debian });
    assert.deepEqual(scan.domains, [
      "example.org",
      "example.test",
      "localhost",
      "ñandú.test",
    ]);
    assert.equal(scan.domainDirs["ñandú.test"], "xn--and-6ma2c.test");
    assert.equal(scan.domainDirs["example.org"], "Example.ORG");
  });

  it("returns a frozen result", async () => {
    const scan = await scanConfigDir({ files, configDir: debian });
    assert.ok(Object.isFrozen(scan));
    assert.ok(Object.isFrozen(scan.domains));
    assert.ok(Object.isFrozen(scan.certs[0]));
  });

  it("treats only non-regular entries of domains/ as domains", async () => {
    const mem = memoryFiles({
      "/c/domains/a.test/users": "",
      "/c/domains/notes.txt": "",
    });
    const scan = await scanConfigDir({
      files: mem,
      configDir: "/c",
      allowNoCerts: true,
    });
    assert.deepEqual(scan.domains, ["a.test", "localhost"]);
  });

  it("accepts no certs/ at all with allowNoCerts", async () => {
    const mem = memoryFiles({ "/c/domains/a.test/aliases": "" });
    const scan = await scanConfigDir({
      files: mem,
      configDir: "/c",
      allowNoCerts: true,
    });
    assert.deepEqual(scan.certs, []);
  });

  it("fails without certs/ when certificates are required", async () => {
    const mem = memoryFiles({ "/c/domains/a.test/aliases": "" });
    await assert.rejects(
      scanConfigDir({ files: mem, configDir: "/c" }),
      (e: unknown) =>
        e instanceof ConfigError && e.file === "certs/" &&
        e.message === "certs/: the directory does not exist",
    );
  });

  it("fails on an empty certs/", async () => {
    const mem = memoryFiles({
      "/c/certs/README": "",
      "/c/domains/a.test/aliases": "",
    });
    await assert.rejects(
      scanConfigDir({ files: mem, configDir: "/c" }),
      { message: "certs/: no certificates found" },
    );
  });

  it("names the domain that fails IDNA", async () => {
    const mem = memoryFiles({ "/c/domains/xn--zz/aliases": "" });
    await assert.rejects(
      scanConfigDir({ files: mem, configDir: "/c", allowNoCerts: true }),
      (e: unknown) => e instanceof ConfigError && e.field === "xn--zz",
    );
  });
});
