/**
 * `chaski try` (B-18): starts on port 0, prints a user, password and the
 * addresses; a message sent with swaks using the printed values lands in
 * the printed maildir; SIGINT stops it with exit 0.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chaskiCommand } from "../harness/server.ts";

const noSwaks = spawnSync("sh", ["-c", "command -v swaks"]).status === 0
  ? false
  : "swaks is not installed";

async function until<T>(f: () => T | null, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = f();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("try mode", () => {
  it("serves, delivers to the printed maildir and stops on SIGINT", {
    skip: noSwaks,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "chaski-try-"));
    const [cmd, ...pre] = chaskiCommand();
    const child = spawn(
      cmd!,
      [...pre, "try", "--dir", dir, "--ports", "0,0,0"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout!.on(
      "data",
      (b: Uint8Array) => (out += new TextDecoder().decode(b)),
    );
    child.stderr!.on(
      "data",
      (b: Uint8Array) => (out += new TextDecoder().decode(b)),
    );
    const exited = new Promise<number | null>((r) =>
      child.on("exit", (code) => r(code))
    );
    try {
      const m = await until(
        () => /Press Ctrl-C/.test(out) ? out : null,
        "the try banner",
      );
      const sub = /submission\s+(127\.0\.0\.1):(\d+)/.exec(m);
      const cred = /user (\S+)\s+password (\S+)/.exec(m);
      const maildir = /delivered to (\S+)/.exec(m);
      assert.ok(sub && cred && maildir, m);
      const [, user, password] = cred;
      const r = spawnSync("swaks", [
        "--server",
        sub[1]!,
        "--port",
        sub[2]!,
        "--tls",
        "--auth",
        "PLAIN",
        "--auth-user",
        user!,
        "--auth-password",
        password!,
        "--from",
        user!,
        "--to",
        user!,
        "--header",
        "Subject: try mode",
      ], { encoding: "utf8", timeout: 30_000 });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const newDir = maildir[1]!;
      await until(
        () =>
          existsSync(newDir) && readdirSync(newDir).length > 0 ? true : null,
        `mail in ${newDir}`,
      );
      process.kill(child.pid!, "SIGINT");
      assert.equal(await exited, 0, out);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
