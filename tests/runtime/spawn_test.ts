/**
 * Runtime contract: subprocesses (hooks, MDA, pipe aliases).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { testRuntime, waitFor } from "./_runtime.ts";

const rt = testRuntime();
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A killed orphan may linger as a zombie until init reaps it: dead. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

describe("Spawner.run()", () => {
  let dir: string;
  before(async () => {
    dir = realpathSync(await mkdtemp(join(tmpdir(), "chaski-spawn-")));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  function sh(
    script: string,
    extra: Partial<Parameters<typeof rt.spawner.run>[0]> = {},
  ) {
    return rt.spawner.run({
      cmd: "/bin/sh",
      args: ["-c", script],
      env: { PATH: "/usr/bin:/bin" },
      cwd: dir,
      timeoutMs: 10_000,
      ...extra,
    });
  }

  it("gives the child exactly the environment passed", async () => {
    const res = await sh("env", {
      env: { ONLY: "this", PATH: "/usr/bin:/bin" },
    });
    assert.equal(res.code, 0);
    const vars = text(res.stdout).trim().split("\n").filter((l) =>
      // sh itself may export PWD, SHLVL and _.
      !/^(PWD|SHLVL|_|OLDPWD)=/.test(l)
    ).sort();
    assert.deepEqual(vars, ["ONLY=this", "PATH=/usr/bin:/bin"]);
  });

  it("runs in the given directory", async () => {
    const res = await sh("pwd");
    assert.equal(text(res.stdout).trim(), dir);
  });

  it("delivers stdin and collects stdout, stderr and the exit code", async () => {
    const res = await sh("cat; echo oops >&2; exit 3", {
      stdin: new TextEncoder().encode("hello\n"),
    });
    assert.equal(res.code, 3);
    assert.equal(res.signal, null);
    assert.equal(text(res.stdout), "hello\n");
    assert.equal(text(res.stderr), "oops\n");
    assert.equal(res.timedOut, false);
  });

  it("survives a child that exits without reading stdin (EPIPE)", async () => {
    const big = new Uint8Array(4 * 1024 * 1024).fill(0x61);
    const res = await sh("exit 0", { stdin: big });
    assert.equal(res.code, 0);
    assert.equal(res.startError, undefined);
  });

  it("keeps at most maxOutput bytes", async () => {
    const res = await sh("head -c 100000 /dev/zero", { maxOutput: 1000 });
    assert.equal(res.code, 0);
    assert.equal(res.stdout.byteLength, 1000);
  });

  it("kills the whole process group on timeout, grandchildren included", async () => {
    const pidFile = join(dir, "grandchild.pid");
    const res = await sh(`sleep 30 & echo $! > ${pidFile}; sleep 30`, {
      timeoutMs: 300,
    });
    assert.equal(res.timedOut, true);
    assert.equal(res.code, null);
    assert.equal(res.signal, "SIGKILL");
    const grandchild = Number(await rt.files.readText(pidFile));
    assert.ok(grandchild > 0);
    await waitFor("the grandchild to die", () => !alive(grandchild));
  });

  it("reports a missing binary as startError instead of throwing", async () => {
    const res = await rt.spawner.run({
      cmd: join(dir, "does-not-exist"),
      args: [],
      env: {},
      cwd: dir,
      timeoutMs: 1000,
    });
    assert.equal(res.code, null);
    assert.ok(res.startError instanceof Error);
    assert.match(String((res.startError as { code?: string }).code), /ENOENT/);
  });

  it("reports a non-executable file as startError", async () => {
    const file = join(dir, "not-exec");
    await rt.files.writeAtomic(file, "#!/bin/sh\n", 0o644);
    const res = await rt.spawner.run({
      cmd: file,
      args: [],
      env: {},
      cwd: dir,
      timeoutMs: 1000,
    });
    assert.equal(res.code, null);
    assert.ok(res.startError instanceof Error);
  });
});
