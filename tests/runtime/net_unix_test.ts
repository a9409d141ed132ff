/**
 * Runtime contract: `Net.dial()` to a unix socket (`DialOptions.path`), as
 * the LMTP courier uses for Dovecot's `/run/dovecot/lmtp`. The server here is
 * plain `node:net`, not our own code.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testRuntime } from "./_runtime.ts";
import { connReadUntil } from "./_net.ts";

const rt = testRuntime();

describe("Net.dial() with a unix socket path", () => {
  let dir = "";
  let path = "";
  let server: net.Server;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "chaski-unix-"));
    path = join(dir, "echo.sock");
    server = net.createServer((s) => {
      s.on("error", () => {});
      s.write("hello\r\n");
      s.on("data", (c) => s.write(c));
    });
    await new Promise<void>((r) => server.listen(path, r));
  });

  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects to the socket, ignoring host and port", async () => {
    const conn = await rt.net.dial({
      host: "",
      port: 0,
      path,
      timeoutMs: 5000,
    });
    try {
      assert.equal(await connReadUntil(conn, "\r\n"), "hello\r\n");
      await conn.write("ping\r\n");
      assert.equal(await connReadUntil(conn, "ping\r\n"), "ping\r\n");
    } finally {
      conn.close();
      await conn.closed;
    }
  });

  it("rejects when nothing listens on the path", async () => {
    await assert.rejects(
      rt.net.dial({
        host: "",
        port: 0,
        path: join(dir, "missing.sock"),
        timeoutMs: 5000,
      }),
    );
  });
});
