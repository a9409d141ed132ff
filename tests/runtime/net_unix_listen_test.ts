/**
 * Runtime contract: `Net.listen()` on a unix socket (`ListenOptions.path`),
 * as the local RPC server uses for `<data_dir>/localrpc-v1`. The client here
 * is plain `node:net`, not our own code.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testRuntime } from "./_runtime.ts";
import { readUntil } from "./_net.ts";
import type { Conn } from "../../src/runtime/types.ts";

const rt = testRuntime();

function connectPath(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path }, () => resolve(s));
    s.once("error", reject);
  });
}

async function echo(conn: Conn): Promise<void> {
  await conn.write("hello\n");
  for (let c = await conn.read(); c !== null; c = await conn.read()) {
    await conn.write(c);
  }
  conn.close();
}

describe("Net.listen() with a unix socket path", () => {
  let dir = "";

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "chaski-unix-listen-"));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts connections on the path, with mode 0600", async () => {
    const path = join(dir, "a.sock");
    const lis = await rt.net.listen(
      { host: "", port: 0, path },
      (c) => void echo(c),
    );
    try {
      assert.equal(lis.addr.host, path);
      assert.ok(statSync(path).isSocket());
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const s = await connectPath(path);
      try {
        assert.equal(await readUntil(s, "\n"), "hello\n");
        s.write("ping\n");
        assert.equal(await readUntil(s, "ping\n"), "ping\n");
      } finally {
        s.destroy();
      }
    } finally {
      await lis.close();
    }
  });

  it("replaces a stale file left at the path", async () => {
    const path = join(dir, "stale.sock");
    writeFileSync(path, "left over by a crash");
    const lis = await rt.net.listen(
      { host: "", port: 0, path },
      (c) => void echo(c),
    );
    try {
      assert.ok(statSync(path).isSocket());
      const s = await connectPath(path);
      try {
        assert.equal(await readUntil(s, "\n"), "hello\n");
      } finally {
        s.destroy();
      }
    } finally {
      await lis.close();
    }
  });
});
