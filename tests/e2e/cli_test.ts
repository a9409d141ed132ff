/**
 * The `chaski` CLI as a subprocess (the harness's runtime selection, or
 * `$CHASKI_BIN`): user management with chaski's and chasquid-util's
 * spellings (U-01..U-04), `config print|check`, `serve` on a bad config, and
 * `--version`. Failures exit non-zero with one line on stderr.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliResult, ROOT, runCli } from "../harness/server.ts";

/** The `chaski: …` lines of stderr (warnings are other lines). */
function errorLines(r: CliResult): string[] {
  return r.stderr.split("\n").filter((l) => l.startsWith("chaski: "));
}

function assertOneLineFailure(r: CliResult, includes?: string): void {
  assert.notEqual(r.code, 0, `exit code; stdout ${r.stdout}`);
  const lines = errorLines(r);
  assert.equal(lines.length, 1, `stderr: ${r.stderr}`);
  if (includes !== undefined) {
    assert.ok(lines[0]!.includes(includes), lines[0]!);
  }
}

describe("cli", () => {
  let dir: string;
  let cfg: string;
  const cli = (args: string[], stdin?: string) =>
    runCli(
      [...args, "--config-dir", cfg],
      stdin === undefined ? {} : { stdin },
    );

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "chaski-cli-"));
    cfg = join(dir, "config");
    mkdirSync(join(cfg, "domains/a.test"), { recursive: true });
    mkdirSync(join(cfg, "domains/example.com"), { recursive: true });
    cpSync(
      join(ROOT, "testdata/userdb/chasquid/domains/example.com/users"),
      join(cfg, "domains/example.com/users"),
    );
    cpSync(
      join(ROOT, "testdata/certs/mx.a.test"),
      join(cfg, "certs/mx.a.test"),
      {
        recursive: true,
      },
    );
    writeFileSync(
      join(cfg, "chaski.yaml"),
      "hostname: mx.a.test\ndata_dir: ../data\nmail_log_path: ../mail.log\n",
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("user add with --password, --password-stdin and --receive-only", async () => {
    let r = await cli(["user", "add", "pw@a.test", "--password", "one"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pw@a\.test/);
    r = await cli(["user", "add", "stdin@a.test", "--password-stdin"], "two\n");
    assert.equal(r.code, 0, r.stderr);
    r = await cli(["user", "add", "ro@a.test", "--receive-only"]);
    assert.equal(r.code, 0, r.stderr);

    assert.equal(
      (await cli(["user", "check", "pw@a.test", "--password", "one"])).code,
      0,
    );
    assert.equal(
      (await cli(
        ["user", "check", "stdin@a.test", "--password-stdin"],
        "two\n",
      ))
        .code,
      0,
    );
    r = await cli(["user", "check", "pw@a.test", "--password", "nope"]);
    assert.equal(r.code, 1);
    r = await cli(["user", "check", "ro@a.test", "--password", ""]);
    assert.equal(r.code, 1);
  });

  it("refuses duplicates and bad names with one line", async () => {
    assertOneLineFailure(
      await cli(["user", "add", "pw@a.test", "--password", "x"]),
      "pw@a.test",
    );
    for (const bad of ["henryⅣ@a.test", "a b@a.test", "nodomain"]) {
      const r = await cli(["user", "add", bad, "--password", "x"]);
      assertOneLineFailure(r);
      assert.ok(errorLines(r)[0]!.includes(bad.split(" ")[0]!), r.stderr);
    }
  });

  it("user list shows database and file users", async () => {
    const r = await cli(["user", "list"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split("\n").map((l) => l.split("\t"));
    const by = new Map(rows.map((row) => [row[0], row]));
    assert.equal(by.get("pw@a.test")?.[2], "database");
    assert.equal(by.get("ro@a.test")?.[1], "receive-only");
    assert.match(
      by.get("alice@example.com")?.[2] ?? "",
      /^file .*domains\/example\.com\/users$/,
    );
  });

  it("user remove works for database users and refuses file users", async () => {
    assert.equal(
      (await cli(["user", "add", "gone@a.test", "--password", "x"])).code,
      0,
    );
    let r = await cli(["user", "remove", "gone@a.test"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      (await cli(["user", "check", "gone@a.test", "--password", "x"])).code,
      1,
    );
    r = await cli(["user", "remove", "alice@example.com"]);
    assertOneLineFailure(r, "domains/example.com/users");
  });

  it("accepts chasquid-util spellings", async () => {
    let r = await cli(["user-add", "cu@a.test", "--password=secret3"]);
    assert.equal(r.code, 0, r.stderr);
    r = await cli(["authenticate", "cu@a.test", "--password=secret3"]);
    assert.equal(r.code, 0, r.stderr);
    r = await cli(["authenticate", "alice@example.com", "--password=secret"]);
    assert.equal(r.code, 0, r.stderr);
    r = await cli(["authenticate", "alice@example.com", "--password=wrong"]);
    assert.equal(r.code, 1);
    r = await cli(["user-remove", "cu@a.test"]);
    assert.equal(r.code, 0, r.stderr);
  });

  it("config print shows YAML and config check passes", async () => {
    let r = await cli(["config", "print"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^hostname: "?mx\.a\.test"?$/m);
    assert.match(r.stdout, /^max_data_size_mb: 50$/m);
    r = await cli(["config", "check"]);
    assert.equal(r.code, 0, r.stderr);
  });

  it("--version prints the version", async () => {
    const r = await runCli(["--version"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^chaski \d+\.\d+\.\d+/);
  });
});

describe("cli on bad configs", () => {
  const BAD = join(ROOT, "testdata/configs/bad");
  const cases = [
    "c-01-unknown-key",
    "c-04-bad-duration",
    "c-07-textproto-syntax",
    "c-12-no-certs",
    "c-18-cert-key-mismatch",
  ].filter((c) => readdirSync(BAD).includes(c));

  for (const c of cases) {
    it(`config check ${c}`, async () => {
      const want = readFileSync(join(BAD, c, ".expected-error"), "utf8").trim();
      const r = await runCli(["config", "check", "--config-dir", join(BAD, c)]);
      assertOneLineFailure(r, want);
    });
  }

  for (const c of ["c-01-unknown-key", "c-18-cert-key-mismatch"]) {
    it(`serve ${c} exits with a one-line reason`, async () => {
      const want = readFileSync(join(BAD, c, ".expected-error"), "utf8").trim();
      const r = await runCli(["serve", "--config-dir", join(BAD, c)]);
      assertOneLineFailure(r, want);
    });
  }
});
