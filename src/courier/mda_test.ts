import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { expandArg, MdaCourier } from "./mda.ts";
import type { Spawner, SpawnOptions, SpawnResult } from "../runtime/types.ts";

function fakeSpawner(
  result: Partial<SpawnResult>,
): Spawner & { calls: SpawnOptions[] } {
  const calls: SpawnOptions[] = [];
  return {
    calls,
    run(opts) {
      calls.push(opts);
      return Promise.resolve({
        code: 0,
        signal: null,
        stdout: new Uint8Array(),
        stderr: new Uint8Array(),
        timedOut: false,
        ...result,
      });
    },
  };
}

describe("expandArg()", () => {
  it("substitutes every placeholder with sanitised values", () => {
    assert.equal(
      expandArg("-f %from% -d %to_user%", "a@b.test", "c@d.test"),
      "-f a@b.test -d c",
    );
    assert.equal(
      expandArg(
        "%from_user%/%from_domain%/%to_domain%",
        "a@b.test",
        "c@d.test",
      ),
      "a/b.test/d.test",
    );
    assert.equal(expandArg("%from%", "", "c@d.test"), "<>");
    assert.equal(expandArg("%to%", "", "x;rm -rf /`@d.test"), "xrm-rf@d.test");
  });
});

describe("MdaCourier.deliver()", () => {
  const props = {
    bin: "/bin/mda",
    args: ["-d", "%to_user%"],
    cwd: "/cfg",
    timeoutMs: 30_000,
  };

  it("runs the MDA with the message on stdin and a clean environment", async () => {
    const sp = fakeSpawner({ code: 0 });
    const c = new MdaCourier({ spawner: sp, ...props });
    const data = new TextEncoder().encode("Subject: x\r\n\r\nhi\r\n");
    assert.deepEqual(await c.deliver("a@b", "u@d", data), { status: "sent" });
    assert.equal(sp.calls[0]!.cmd, "/bin/mda");
    assert.deepEqual(sp.calls[0]!.args, ["-d", "u"]);
    assert.equal(sp.calls[0]!.stdin, data);
    assert.deepEqual(Object.keys(sp.calls[0]!.env), ["PATH"]);
  });

  const cases: {
    name: string;
    result: Partial<SpawnResult>;
    status: string;
  }[] = [
    { name: "exit 75 is temporary", result: { code: 75 }, status: "temporary" },
    {
      name: "timeout is temporary",
      result: { code: null, signal: "SIGKILL", timedOut: true },
      status: "temporary",
    },
    { name: "exit 1 is permanent", result: { code: 1 }, status: "permanent" },
    {
      name: "a missing binary is permanent",
      result: { code: null, startError: new Error("ENOENT") },
      status: "permanent",
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await new MdaCourier({
        spawner: fakeSpawner(c.result),
        ...props,
      }).deliver("a@b", "u@d", new Uint8Array());
      assert.equal(r.status, c.status);
      if (r.status !== "sent") {
        assert.match(r.error.message, /^MDA delivery failed: /);
      }
    });
  }
});
