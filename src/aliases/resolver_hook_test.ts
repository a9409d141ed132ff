import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { em, setup, type TestEnv } from "./_test_env.ts";
import { AliasResolveError } from "./resolver.ts";
import { createNodeFiles } from "../runtime/node_files.ts";
import { MetricsRegistry } from "../monitoring/mod.ts";

// Records each call in `calls` (the cwd is the config dir) and answers
// per address.
const HOOK = `#!/bin/sh
echo "$1" >> calls
case "$1" in
  pepe@d.test) echo "extra@r.test, more" ;;
  hooked@d.test) echo "pepe" ;;
  piped@d.test) echo "| /bin/true arg" ;;
  fwd@d.test) echo "u@r.test via mx1" ;;
  pwd@d.test) echo "$PWD" | tr / _ | sed 's/$/@r.test/' ;;
  fail@d.test) echo "oops"; exit 1 ;;
  bad@d.test) echo "x via " ;;
  slow@d.test) sleep 10 ;;
esac
exit 0
`;

describe("AliasResolver with the alias-resolve hook", () => {
  let env: TestEnv;
  before(async () => {
    env = await setup({
      aliases: { "d.test": "pepe: jose\nlist: jose, jose, nobody1, nobody2" },
      users: ["jose@d.test", "more@d.test"],
      hook: HOOK,
      props: { hookTimeoutMs: 500 },
    });
  });
  after(() => env.close());

  async function calls(run: () => Promise<unknown>): Promise<string[]> {
    const before = (await env.hookCalls()).length;
    await run();
    return (await env.hookCalls()).slice(before);
  }

  it("appends the hook's recipients to the file's", async () => {
    assert.deepEqual(await env.resolver.resolve("pepe@d.test"), [
      em("jose@d.test"),
      em("extra@r.test"),
      em("more@d.test"),
    ]);
  });

  it("resolves hook-only aliases recursively", async () => {
    assert.deepEqual(await env.resolver.resolve("hooked@d.test"), [
      em("jose@d.test"),
      em("extra@r.test"),
      em("more@d.test"),
    ]);
  });

  it("returns pipe and forward recipients from the hook", async () => {
    assert.deepEqual(await env.resolver.resolve("piped@d.test"), [
      { type: "pipe", address: "/bin/true arg", via: [] },
    ]);
    assert.deepEqual(await env.resolver.resolve("fwd@d.test"), [
      { type: "forward", address: "u@r.test", via: ["mx1"] },
    ]);
  });

  it("runs with PWD set to the config dir", async () => {
    const want = `${env.dir.replaceAll("/", "_")}@r.test`.toLowerCase();
    assert.deepEqual(await env.resolver.resolve("pwd@d.test"), [em(want)]);
  });

  it("asks each distinct address once per pass", async () => {
    // list → jose twice, nobody1 and nobody2 both falling to the catch-all
    // lookup: *@d.test is asked once.
    const got = await calls(() => env.resolver.resolve("list@d.test"));
    assert.deepEqual(got, [
      "list@d.test",
      "jose@d.test",
      "nobody1@d.test",
      "*@d.test",
      "nobody2@d.test",
    ]);
  });

  it("asks again on the next pass", async () => {
    const first = await calls(() => env.resolver.exists("x.y+z@d.test"));
    assert.deepEqual(first, ["x.y+z@d.test", "xy@d.test", "*@d.test"]);
    const second = await calls(() => env.resolver.exists("x.y+z@d.test"));
    assert.deepEqual(second, first);
  });

  it("counts hook targets as existing for the RCPT check", async () => {
    assert.equal(await env.resolver.exists("hooked@d.test"), true);
    assert.equal(await env.resolver.checkRecipient("hooked@d.test"), "ok");
    assert.equal(await env.resolver.checkRecipient("list@d.test"), "ok");
  });

  const failures: [name: string, addr: string, why: RegExp][] = [
    ["non-zero exit", "fail@d.test", /exited with 1/],
    ["bad output", "bad@d.test", /bad output/],
    ["timeout", "slow@d.test", /timed out/],
  ];
  for (const [name, addr, why] of failures) {
    it(`fails the resolution on ${name}`, async () => {
      await assert.rejects(env.resolver.resolve(addr), (e) => {
        assert.ok(e instanceof AliasResolveError);
        assert.match(e.message, why);
        return true;
      });
    });
    it(`makes exists() and checkRecipient() throw on ${name}`, async () => {
      await assert.rejects(env.resolver.exists(addr), AliasResolveError);
      await assert.rejects(
        env.resolver.checkRecipient(addr),
        AliasResolveError,
      );
    });
  }
});

describe("AliasResolver with an unusable hook", () => {
  it("fails when the hook is not executable", async () => {
    const env = await setup({ aliases: { "d.test": "" }, hook: HOOK });
    try {
      await createNodeFiles().chmod(`${env.dir}/hooks/alias-resolve`, 0o644);
      // Deno reports a start error, Bun a shell-style exit 126/127.
      await assert.rejects(
        env.resolver.resolve("a@d.test"),
        /alias-resolve hook for "a@d.test" failed/,
      );
      assert.deepEqual(await env.hookCalls(), []);
    } finally {
      await env.close();
    }
  });
});

describe("AliasResolver hookResults metric (K-10)", () => {
  const results = (m: MetricsRegistry) =>
    m.snapshot()["chasquid/aliases/hookResults"];

  it("counts success, fail and parse_err per hook run", async () => {
    const metrics = new MetricsRegistry();
    const env = await setup({
      aliases: { "d.test": "" },
      hook: HOOK,
      props: { metrics },
    });
    try {
      // A pipe target is final: one run.
      await env.resolver.resolve("piped@d.test");
      assert.deepEqual(results(metrics), { "resolve:success": 1 });
      await assert.rejects(env.resolver.resolve("fail@d.test"));
      await assert.rejects(env.resolver.resolve("bad@d.test"));
      assert.deepEqual(results(metrics), {
        "resolve:fail": 1,
        "resolve:parse_err": 1,
        "resolve:success": 1,
      });
    } finally {
      await env.close();
    }
  });

  it("counts skip when there is no hook", async () => {
    const metrics = new MetricsRegistry();
    const env = await setup({ aliases: { "d.test": "" }, props: { metrics } });
    try {
      await env.resolver.resolve("a@d.test");
      // The exact address and the catch-all were looked up.
      assert.deepEqual(results(metrics), { "resolve:skip": 2 });
    } finally {
      await env.close();
    }
  });
});
