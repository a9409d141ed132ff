/**
 * chasquid's own `chasquid-util aliases-resolve` against a running chaski
 * (RPC-02, U-05): given a `chasquid.conf` whose `data_dir` is chaski's, it
 * dials `<data_dir>/localrpc-v1` and prints what chaski answers. Only
 * chasquid-util builds with local RPC can do that; older ones (Debian's
 * 1.11) resolve aliases themselves from the config dir, so the test skips,
 * naming the reason.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type TestServer } from "../harness/server.ts";

const BIN = process.env.CHASQUID_UTIL ?? "/usr/bin/chasquid-util";

/** Why the test cannot run here, or false. */
function unsupported(): string | false {
  if (!existsSync(BIN)) return `${BIN} is not installed`;
  // Go binaries keep their package paths; the localrpc client is in
  // chasquid-util only from the release that moved aliases-resolve to it.
  if (!readFileSync(BIN).includes("chasquid/internal/localrpc")) {
    return `${BIN} predates local RPC: it resolves aliases from the config dir, not through the daemon`;
  }
  return false;
}

const SKIP = unsupported();

describe("chasquid-util aliases-resolve against chaski", { skip: SKIP }, () => {
  let srv: TestServer;
  let confDir = "";

  before(async () => {
    srv = await startServer({
      users: { "alice@a.test": "secret" },
      files: {
        "domains/a.test/aliases": "team: alice, | /bin/cat -n, x@r.test\n",
      },
    });
    confDir = mkdtempSync(join(tmpdir(), "chaski-chasquid-util-"));
    writeFileSync(
      join(confDir, "chasquid.conf"),
      `data_dir: ${JSON.stringify(join(srv.dir, "data"))}\n`,
    );
  });

  after(async () => {
    await srv?.close();
    if (confDir) rmSync(confDir, { recursive: true, force: true });
  });

  it("prints chaski's resolution", () => {
    const r = spawnSync(BIN, [
      `-C=${confDir}`,
      "aliases-resolve",
      "team@a.test",
    ], {
      encoding: "utf8",
      timeout: 15_000,
    });
    assert.equal(r.stderr, "");
    assert.equal(
      r.stdout,
      "(email)  alice@a.test\n(email)  x@r.test\n(pipe)  /bin/cat -n\n",
    );
    assert.equal(r.status, 0);
  });
});
