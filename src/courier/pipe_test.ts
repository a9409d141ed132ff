import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNodeSpawner } from "../runtime/node_spawn.ts";
import { PipeCourier, pipeResult } from "./pipe.ts";
import type { DeliveryResult } from "./types.ts";

const enc = new TextEncoder();
/** CRLF line endings and a leading dot: what the queue stores (D-01). */
const MESSAGE = enc.encode(
  "From: a@b.test\r\nSubject: pipe\r\n\r\n.dot line\r\nbody\r\n",
);

function errorOf(r: DeliveryResult): string {
  assert.notEqual(r.status, "sent");
  return r.status === "sent" ? "" : r.error.message;
}

describe("PipeCourier.deliver() with real scripts", () => {
  let dir = "";
  let courier: PipeCourier;

  function script(name: string, body: string): string {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "chaski-pipe-"));
    courier = new PipeCourier({ spawner: createNodeSpawner(), cwd: dir });
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("gives the command the stored bytes on stdin, CRLF kept", async () => {
    const cmd = script("ok.sh", 'cat > got.bin\necho "$#:$1:$2" > args.txt');
    const r = await courier.deliver("a@b.test", [cmd, "x y", "z"], MESSAGE);
    assert.deepEqual(r, { status: "sent" });
    // Relative paths land in the config dir: cwd is honoured.
    assert.deepEqual(
      new Uint8Array(readFileSync(join(dir, "got.bin"))),
      MESSAGE,
    );
    assert.equal(readFileSync(join(dir, "args.txt"), "utf8"), "2:x y:z\n");
  });

  it("runs with a clean environment holding PATH only", async () => {
    const cmd = script("env.sh", "env > env.txt");
    const r = await courier.deliver("a@b.test", [cmd], MESSAGE);
    assert.deepEqual(r, { status: "sent" });
    const names = readFileSync(join(dir, "env.txt"), "utf8").trim().split("\n")
      .map((l) => l.slice(0, l.indexOf("=")));
    // The shell itself adds PWD (and may add SHLVL, _); nothing is inherited.
    const inherited = names.filter((n) => !["PWD", "SHLVL", "_"].includes(n));
    assert.deepEqual(inherited, ["PATH"]);
  });

  it("uses the given PATH", async () => {
    const c = new PipeCourier({
      spawner: createNodeSpawner(),
      cwd: dir,
      path: "/bin:/usr/bin:/opt/x",
    });
    const cmd = script("path.sh", 'printf %s "$PATH" > path.txt');
    assert.deepEqual(await c.deliver("", [cmd], MESSAGE), { status: "sent" });
    assert.equal(
      readFileSync(join(dir, "path.txt"), "utf8"),
      "/bin:/usr/bin:/opt/x",
    );
  });

  it("treats exit 75 as temporary, with the status and output", async () => {
    const cmd = script("tempfail.sh", "echo mailbox busy >&2\nexit 75");
    const r = await courier.deliver("a@b.test", [cmd], MESSAGE);
    assert.equal(r.status, "temporary");
    assert.match(errorOf(r), /exit status 75 - "mailbox busy"$/);
  });

  it("treats exit 1 as permanent, output trimmed", async () => {
    const cmd = script(
      "fail.sh",
      "cat >/dev/null\necho '  no such list  '\nexit 1",
    );
    const r = await courier.deliver("a@b.test", [cmd], MESSAGE);
    assert.equal(r.status, "permanent");
    assert.equal(
      errorOf(r),
      `Pipe delivery failed: "${cmd}" exit status 1 - "no such list"`,
    );
  });

  it("caps the output excerpt", async () => {
    const cmd = script(
      "noisy.sh",
      "head -c 5000 /dev/zero | tr '\\0' x\nexit 3",
    );
    const r = await courier.deliver("a@b.test", [cmd], MESSAGE);
    assert.equal(r.status, "permanent");
    assert.ok(errorOf(r).length < 700, `too long: ${errorOf(r).length}`);
  });

  it("treats the timeout as temporary and kills the command", async () => {
    const c = new PipeCourier({
      spawner: createNodeSpawner(),
      cwd: dir,
      timeoutMs: 300,
    });
    const cmd = script("slow.sh", "echo started\nsleep 10");
    const t0 = Date.now();
    const r = await c.deliver("a@b.test", [cmd], MESSAGE);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(r.status, "temporary");
    assert.match(errorOf(r), /timed out - "started"$/);
  });

  it("treats a missing binary as permanent", async () => {
    const cmd = join(dir, "does-not-exist");
    const r = await courier.deliver("a@b.test", [cmd], MESSAGE);
    assert.equal(r.status, "permanent");
    assert.match(errorOf(r), /could not be started/);
  });

  it("refuses an empty command as permanent", async () => {
    const r = await courier.deliver("a@b.test", [], MESSAGE);
    assert.equal(r.status, "permanent");
  });
});

describe("pipeResult()", () => {
  const base = {
    code: 0,
    signal: null,
    stdout: new Uint8Array(),
    stderr: new Uint8Array(),
    timedOut: false,
  };
  const table: [string, Parameters<typeof pipeResult>[1], string][] = [
    ["exit 0", base, "sent"],
    ["exit 75", { ...base, code: 75 }, "temporary"],
    ["exit 1", { ...base, code: 1 }, "permanent"],
    ["exit 20", { ...base, code: 20 }, "permanent"],
    ["signal", { ...base, code: null, signal: "SIGSEGV" }, "permanent"],
    [
      "timeout",
      { ...base, code: null, signal: "SIGKILL", timedOut: true },
      "temporary",
    ],
    [
      "start error",
      { ...base, code: null, startError: new Error("ENOENT") },
      "permanent",
    ],
  ];
  for (const [name, result, status] of table) {
    it(`maps ${name} to ${status}`, () => {
      assert.equal(pipeResult("/x", result).status, status);
    });
  }

  it("names the signal", () => {
    const r = pipeResult("/x", { ...base, code: null, signal: "SIGSEGV" });
    assert.match(errorOf(r), /"\/x" signal SIGSEGV - ""$/);
  });
});
