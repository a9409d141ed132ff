import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createNodeSpawner } from "../runtime/node_spawn.ts";
import { createNodeFiles } from "../runtime/node_files.ts";
import { type EnvelopeStage, type HookFacts, runEnvelopeHook } from "./mod.ts";

const HOOKS = fileURLToPath(new URL("../../testdata/hooks/", import.meta.url));
const DAEMON = { USER: "mail", SHELL: "/bin/sh", PATH: "/usr/bin:/bin" };

const FACTS: HookFacts = {
  remoteAddr: "192.0.2.7:40000",
  ehloDomain: "client.example.org",
  mailFrom: "someone@example.org",
  rcptTo: [],
  authAs: "",
  onTls: true,
  fromLocalDomain: false,
  spfPass: false,
};

describe("runEnvelopeHook() with real scripts", () => {
  let dir = "";

  function install(script: string): void {
    rmSync(join(dir, "hooks"), { recursive: true, force: true });
    mkdirSync(join(dir, "hooks"));
    copyFileSync(join(HOOKS, script), join(dir, "hooks", "envelope"));
    chmodSync(join(dir, "hooks", "envelope"), 0o755);
  }

  function run(stage: EnvelopeStage, facts: Partial<HookFacts> = {}) {
    return runEnvelopeHook({
      spawner: createNodeSpawner(),
      files: createNodeFiles(),
      configDir: dir,
      daemonEnv: DAEMON,
      stage,
      facts: { ...FACTS, ...facts },
      timeoutMs: 500,
    });
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "chaski-envhook-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("skips a missing hook", async () => {
    assert.deepEqual(await run("mail"), { kind: "skip" });
  });

  it("accepts on exit 0, with STAGE and the one recipient in the env", async () => {
    install("env-dump.sh");
    assert.deepEqual(await run("rcpt", { rcptTo: ["user@a.test"] }), {
      kind: "accept",
    });
    const env = readFileSync(join(dir, "envelope-rcpt.env"), "utf8");
    assert.match(env, /^STAGE=rcpt$/m);
    assert.match(env, /^RCPT_TO=user@a\.test$/m);
    assert.match(env, /^MAIL_FROM=someone@example\.org$/m);
    assert.match(env, /^ON_TLS=1$/m);
    assert.match(env, new RegExp(`^PWD=${dir}$`, "m"));
  });

  it("rejects permanently on exit 20", async () => {
    install("env-dump.sh");
    assert.deepEqual(await run("mail", { mailFrom: "x@reject-mail.test" }), {
      kind: "reject",
      permanent: true,
      text: "5.7.1 Sender blocked by local policy",
    });
  });

  it("rejects temporarily on another exit", async () => {
    install("env-dump.sh");
    assert.deepEqual(await run("rcpt", { rcptTo: ["greylist@a.test"] }), {
      kind: "reject",
      permanent: false,
      text: "4.3.0 Greylisted, come back later",
    });
  });

  it("rejects temporarily on timeout", async () => {
    install("post-data-hang.sh");
    const r = await run("mail");
    assert.equal(r.kind, "reject");
    assert.equal(r.kind === "reject" && r.permanent, false);
  });
});
