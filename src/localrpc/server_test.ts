import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNodeNet } from "../runtime/node_net.ts";
import { createSystemClock } from "../runtime/clock.ts";
import { nullLogger } from "../log/mod.ts";
import { type RpcHandler, RpcServer } from "./server.ts";
import { rpcCall, RpcConnectError, RpcRemoteError } from "./client.ts";

const rtNet = createNodeNet();

/** A raw exchange with a plain node:net client: sends `text`, returns all it got. */
function raw(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const s = net.connect({ path }, () => s.write(text));
    s.on("data", (b) => (got += b.toString()));
    s.on("end", () => resolve(got));
    s.on("close", () => resolve(got));
    s.once("error", reject);
  });
}

const HANDLERS: Record<string, RpcHandler> = {
  Echo: (q) => Promise.resolve(q),
  Raw: () => Promise.resolve("x=1"),
  Empty: () => Promise.resolve(new URLSearchParams()),
  Fail: () => Promise.reject(new Error("does not exist\nsecond line")),
};

describe("RpcServer and rpcCall()", () => {
  let dir = "";
  let path = "";
  let server: RpcServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "chaski-rpc-"));
    path = join(dir, "localrpc-v1");
    writeFileSync(path, "stale");
    server = new RpcServer({
      net: rtNet,
      path,
      handlers: HANDLERS,
      log: nullLogger(),
      clock: createSystemClock(),
      deadlineMs: 300,
    });
    await server.start();
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("replaces a stale file and makes the socket 0600", () => {
    const st = statSync(path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
  });

  it("round-trips a query through the url encoding", async () => {
    const q = new URLSearchParams();
    q.append("Address", "a+b c%d&e=f;g@ñ.test");
    q.append("Address", "second");
    q.append("(email)", "");
    const got = await rpcCall({ net: rtNet, path, method: "Echo", query: q });
    assert.deepEqual(
      [...got].sort(),
      [...q].sort(),
    );
  });

  it("speaks chasquid's wire format", async () => {
    assert.equal(
      await raw(path, "Echo b=2&Address=a%40b\r\n"),
      "200 Address=a%40b&b=2\r\n",
    );
    assert.equal(await raw(path, "Raw\n"), "200 x=1\r\n");
    assert.equal(await raw(path, "Empty \n"), "200 \r\n");
  });

  it("answers 500 unknown method for a method it does not serve", async () => {
    assert.equal(
      await raw(path, "DomaininfoClear Domain=a.test\n"),
      "500 unknown method\r\n",
    );
    await assert.rejects(
      rpcCall({ net: rtNet, path, method: "DomaininfoClear" }),
      (err) =>
        err instanceof RpcRemoteError && err.message === "unknown method",
    );
  });

  it("answers 500 with the first line of a handler's error", async () => {
    assert.equal(await raw(path, "Fail \n"), "500 does not exist\r\n");
  });

  it("answers 500 to a query Go would not parse", async () => {
    assert.match(await raw(path, "Echo a=1;b=2\n"), /^500 .*semicolon/);
  });

  it("closes a connection that never sends a newline at the deadline", async () => {
    // Resolves only because the server hangs up; the test would time out.
    assert.equal(await raw(path, "Echo a=1"), "");
  });

  it("reports a missing server as RpcConnectError", async () => {
    await assert.rejects(
      rpcCall({ net: rtNet, path: join(dir, "nobody"), method: "Echo" }),
      RpcConnectError,
    );
  });
});
