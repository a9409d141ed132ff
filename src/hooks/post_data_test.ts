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
import process from "node:process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createNodeSpawner } from "../runtime/node_spawn.ts";
import { createNodeFiles } from "../runtime/node_files.ts";
import { type HookFacts, parseHookHeaders, runPostDataHook } from "./mod.ts";

const HOOKS = fileURLToPath(new URL("../../testdata/hooks/", import.meta.url));

const DAEMON = { USER: "mail", SHELL: "/bin/sh", PATH: "/usr/bin:/bin" };

const FACTS: HookFacts = {
  remoteAddr: "192.0.2.7:40000",
  ehloDomain: "client.example.org",
  mailFrom: "",
  rcptTo: ["user@a.test", "other@b.test"],
  authAs: "",
  onTls: false,
  fromLocalDomain: false,
  spfPass: false,
};

const MESSAGE = new TextEncoder().encode(
  "Received: from client.example.org\r\n\tby mx.a.test (chaski)\r\n" +
    "Subject: hi\r\n\r\nbody\r\n",
);

describe("parseHookHeaders()", () => {
  const cases: { name: string; out: string; want: string | null }[] = [
    { name: "empty output adds nothing", out: "", want: "" },
    { name: "one LF header", out: "X-A: 1\n", want: "X-A: 1\r\n" },
    {
      name: "CRLF headers",
      out: "X-A: 1\r\nX-B: 2\r\n",
      want: "X-A: 1\r\nX-B: 2\r\n",
    },
    {
      name: "a continuation line",
      out: "X-A: 1\n  more\n\tand more\n",
      want: "X-A: 1\r\n  more\r\n\tand more\r\n",
    },
    { name: "a lone newline", out: "\n", want: null },
    { name: "no final newline", out: "X-A: 1", want: null },
    // A blank line would end the header block and push ours into the body.
    { name: "a blank line", out: "X-A: 1\n\nX-B: 2\n", want: null },
    { name: "a blank CRLF line", out: "X-A: 1\r\n\r\n", want: null },
    {
      name: "a line without a colon",
      out: "X-A: 1\nnot a header\n",
      want: null,
    },
    { name: "a continuation first", out: " X-A: 1\n", want: null },
    { name: "a stray CR", out: "X-A: 1\rX-B: 2\n", want: null },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(parseHookHeaders(c.out), c.want));
  }
});

describe("runPostDataHook() with real scripts", () => {
  let dir = "";
  const spawner = createNodeSpawner();
  const files = createNodeFiles();

  /** Installs testdata/hooks/<script> as <dir>/hooks/post-data. */
  function install(script: string, mode = 0o755): void {
    rmSync(join(dir, "hooks"), { recursive: true, force: true });
    mkdirSync(join(dir, "hooks"));
    copyFileSync(join(HOOKS, script), join(dir, "hooks", "post-data"));
    chmodSync(join(dir, "hooks", "post-data"), mode);
  }

  function run(facts: HookFacts = FACTS, timeoutMs?: number) {
    return runPostDataHook({
      spawner,
      files,
      configDir: dir,
      daemonEnv: DAEMON,
      facts,
      message: MESSAGE,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "chaski-hooks-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("skips a missing hook", async () => {
    rmSync(join(dir, "hooks"), { recursive: true, force: true });
    assert.deepEqual(await run(), { kind: "skip" });
  });

  it("returns the hook's headers as CRLF, having fed it the CRLF message", async () => {
    install("post-data-headers.sh");
    assert.deepEqual(await run(), {
      kind: "ok",
      headers: "X-Hook: pass\r\nX-Hook-Folded: one\r\n  two\r\n" +
        "X-Stdin-CRLF: yes\r\nX-Stdin-First: Received: from client.example.org\r\n",
    });
  });

  it("rejects permanently on exit 20 with the last stdout line", async () => {
    install("post-data-reject20.sh");
    assert.deepEqual(await run(), {
      kind: "reject",
      permanent: true,
      text: "5.7.1 Spam score too high",
    });
  });

  it("rejects temporarily on another exit, adding 4.3.0", async () => {
    install("post-data-reject-other.sh");
    assert.deepEqual(await run(), {
      kind: "reject",
      permanent: false,
      text: "4.3.0 Greylisted, please try again later",
    });
  });

  it("ignores output that is not headers and still accepts", async () => {
    install("post-data-garbage.sh");
    assert.deepEqual(await run(), { kind: "badoutput" });
  });

  it("kills the whole process group on timeout and rejects temporarily", async () => {
    install("post-data-hang.sh");
    const r = await run(FACTS, 500);
    assert.equal(r.kind, "reject");
    assert.equal(r.kind === "reject" && r.permanent, false);
    assert.match(r.kind === "reject" ? r.text : "", /^4\.3\.0 /);
    const pid = Number(readFileSync(join(dir, "hang.pid"), "utf8"));
    assert.ok(pid > 0);
    await waitGone(pid);
  });

  it("answers 4.3.0 when the hook exists but cannot run", async () => {
    install("not-a-program.txt", 0o644);
    const r = await run();
    assert.equal(r.kind, "reject");
    assert.equal(r.kind === "reject" && r.permanent, false);
    assert.match(r.kind === "reject" ? r.text : "", /^4\.3\.0 /);
  });

  it("passes exactly the documented environment, in the config dir", async () => {
    install("env-dump.sh");
    const r = await run();
    assert.deepEqual(r, { kind: "ok", headers: "" });
    assert.deepEqual(readEnv(join(dir, "post-data.env")), {
      USER: "mail",
      PWD: dir,
      SHELL: "/bin/sh",
      PATH: "/usr/bin:/bin",
      REMOTE_ADDR: "192.0.2.7:40000",
      EHLO_DOMAIN: "client.example.org",
      EHLO_DOMAIN_RAW: "client.example.org",
      MAIL_FROM: "<>",
      RCPT_TO: "user@a.test other@b.test",
      AUTH_AS: "",
      ON_TLS: "0",
      FROM_LOCAL_DOMAIN: "0",
      SPF_PASS: "0",
    });
  });
});

/** Variables the shell itself may add when it runs `env`. */
const SHELL_VARS = new Set(["SHLVL", "_", "OLDPWD"]);

/** Parses `env` output, dropping the shell's own variables. */
function readEnv(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const name = line.slice(0, eq);
    if (!SHELL_VARS.has(name)) env[name] = line.slice(eq + 1);
  }
  return env;
}

/** Waits until `pid` no longer exists. */
async function waitGone(pid: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      assert.fail(`process ${pid} survived the hook's timeout`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
