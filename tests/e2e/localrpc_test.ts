/**
 * The local RPC socket end to end (RPC-01..RPC-03, AL-12, U-05): a real
 * chaski process serves `<data_dir>/localrpc-v1`, and `chaski aliases
 * resolve` / `chaski aliases-resolve` run as subprocesses against it. Once
 * the server has stopped, the socket is gone and the CLI says so in one
 * line.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { runCli, startServer, type TestServer } from "../harness/server.ts";

const ALIASES = [
  "team: alice, bob",
  "logger: | /bin/cat -n",
  "out: carol@remote.test via mx1.remote.test/mx2.remote.test",
  "mixed: logger, out, alice, dave@remote.test",
].join("\n") + "\n";

/** One raw request with a plain node:net client; returns the reply. */
function raw(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const s = net.connect({ path }, () => s.write(line));
    s.on("data", (b) => (got += b.toString()));
    s.on("close", () => resolve(got));
    s.once("error", reject);
  });
}

describe("chaski aliases resolve", () => {
  let srv: TestServer;
  let socket = "";

  before(async () => {
    srv = await startServer({
      users: { "alice@a.test": "secret", "bob@a.test": "secret" },
      files: { "domains/a.test/aliases": ALIASES },
    });
    socket = join(srv.dir, "data", "localrpc-v1");
  });

  after(async () => {
    await srv.close();
  });

  function resolve(addr: string): ReturnType<typeof runCli> {
    return runCli(["aliases", "resolve", addr, "--config-dir", srv.configDir]);
  }

  it("serves a 0600 socket in the data dir", () => {
    const st = statSync(socket);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
  });

  it("prints email aliases", async () => {
    const r = await resolve("team@a.test");
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, "(email)  alice@a.test\n(email)  bob@a.test\n");
    assert.equal(r.code, 0);
  });

  it("prints a pipe alias", async () => {
    const r = await resolve("logger@a.test");
    assert.equal(r.stdout, "(pipe)  /bin/cat -n\n");
    assert.equal(r.code, 0);
  });

  it("prints a forward with its via servers", async () => {
    const r = await resolve("out@a.test");
    assert.equal(
      r.stdout,
      "(forward)  carol@remote.test via mx1.remote.test/mx2.remote.test\n",
    );
    assert.equal(r.code, 0);
  });

  it("sorts mixed recipients by type", async () => {
    const r = await resolve("mixed@a.test");
    assert.equal(
      r.stdout,
      "(email)  alice@a.test\n(email)  dave@remote.test\n" +
        "(forward)  carol@remote.test via mx1.remote.test/mx2.remote.test\n" +
        "(pipe)  /bin/cat -n\n",
    );
  });

  it("answers for a plain user and a remote address", async () => {
    assert.equal(
      (await resolve("alice@a.test")).stdout,
      "(email)  alice@a.test\n",
    );
    assert.equal(
      (await resolve("x@remote.test")).stdout,
      "(email)  x@remote.test\n",
    );
  });

  it("works under chasquid-util's spelling", async () => {
    const r = await runCli([
      "aliases-resolve",
      `-C=${srv.configDir}`,
      "team@a.test",
    ]);
    assert.equal(r.stdout, "(email)  alice@a.test\n(email)  bob@a.test\n");
    assert.equal(r.code, 0);
  });

  it("answers chasquid's wire format on the socket", async () => {
    assert.equal(
      await raw(socket, "AliasResolve Address=logger%40a.test\r\n"),
      "200 %28pipe%29=%2Fbin%2Fcat+-n\r\n",
    );
    assert.equal(
      await raw(socket, "DomaininfoClear Domain=a.test\r\n"),
      '500 unknown domain "a.test"\r\n',
    );
  });

  it("refuses an invalid address with one line, exit 1", async () => {
    const r = await resolve("nobody");
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^chaski: invalid address "nobody"[^\n]*\n$/);
  });

  it("says the server is not running once it stopped, exit 1", async () => {
    srv.signal("SIGTERM");
    assert.equal(await srv.exited, 0);
    assert.equal(existsSync(socket), false, "socket removed on shutdown");
    const r = await resolve("team@a.test");
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      `chaski: cannot reach the running server at ${socket}: is chaski running?\n`,
    );
  });
});
