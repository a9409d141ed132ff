import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createNodeFiles } from "../runtime/node_files.ts";
import { createNodeSpawner } from "../runtime/node_spawn.ts";
import { AliasResolver } from "../aliases/mod.ts";
import { MetricsRegistry } from "../monitoring/mod.ts";
import { SenderPolicy, type SenderPolicyProps } from "./mod.ts";

const files = createNodeFiles();
const USERS = new Set(["bob@d.test", "alice@d.test", "carol@e.test"]);
const ALIASES: Record<string, string> = {
  "d.test": [
    "sales: bob",
    "team: alice, bob",
    "support: sales", // bob's, through another alias
    "boss: alice",
    "piped: | /bin/true",
    "fwd: bob@remote.example",
    "*: bob", // the catch-all: never an identity
  ].join("\n"),
  "e.test": "*: *@d.test\n",
};

let dir = "";
let aliases: AliasResolver;

before(async () => {
  dir = await files.makeTempDir("chaski-policy-");
  for (const [d, text] of Object.entries(ALIASES)) {
    await files.mkdir(`${dir}/domains/${d}`);
    await files.writeAtomic(`${dir}/domains/${d}/aliases`, text, 0o644);
  }
  aliases = new AliasResolver({
    files,
    spawner: createNodeSpawner(),
    configDir: dir,
    dropChars: ".",
    suffixSeps: "+-",
    userExists: (a) => Promise.resolve(USERS.has(a)),
  });
  const { errors } = await aliases.load([
    { domain: "d.test", dir: "d.test" },
    { domain: "e.test", dir: "e.test" },
  ]);
  assert.deepEqual(errors, []);
});

after(async () => {
  await files.remove(dir, { recursive: true });
});

function policy(props: Partial<SenderPolicyProps> = {}): SenderPolicy {
  return new SenderPolicy({
    dropChars: ".",
    suffixSeps: "+-",
    resolve: (a) => aliases.resolve(a, { catchAll: false }),
    isLocal: (d) => d === "d.test" || d === "e.test",
    sendAs: {
      "bob@d.test": ["info@other.example", "*@wild.example"],
      "D.TEST": ["noreply@d.test"],
    },
    ...props,
  });
}

describe("SenderPolicy.owns()", () => {
  const cases: { name: string; address: string; owned: boolean }[] = [
    { name: "own address", address: "bob@d.test", owned: true },
    { name: "own address, other case", address: "Bob@D.TEST", owned: true },
    { name: "suffix", address: "bob+news@d.test", owned: true },
    { name: "second separator", address: "bob-x+y@d.test", owned: true },
    // N-07: drop characters go before the suffix, so b.o.b is bob.
    { name: "drop characters", address: "b.o.b+x.y@d.test", owned: true },
    { name: "alias owned", address: "sales@d.test", owned: true },
    { name: "alias with suffix", address: "sales+q@d.test", owned: true },
    { name: "alias of an alias", address: "support@d.test", owned: true },
    { name: "list alias, one member", address: "team@d.test", owned: true },
    { name: "alias not owned", address: "boss@d.test", owned: false },
    { name: "pipe alias", address: "piped@d.test", owned: false },
    // bob@remote.example is not bob@d.test.
    { name: "forward to a remote", address: "fwd@d.test", owned: false },
    // The catch-all "*: bob" would give bob every free address.
    { name: "catch-all", address: "nobody@d.test", owned: false },
    // e.test's "*: *@d.test" maps bob@e.test to bob@d.test.
    { name: "star catch-all", address: "bob@e.test", owned: false },
    { name: "send_as exact", address: "info@other.example", owned: true },
    {
      name: "send_as exact, no suffix",
      address: "info+x@other.example",
      owned: false,
    },
    { name: "send_as wildcard", address: "any@wild.example", owned: true },
    { name: "send_as for the domain", address: "noreply@d.test", owned: true },
    { name: "other user's address", address: "alice@d.test", owned: false },
    { name: "other user, suffix", address: "alice+bob@d.test", owned: false },
    {
      name: "same user, other domain",
      address: "bob@remote.example",
      owned: false,
    },
    { name: "no domain", address: "bob", owned: false },
    { name: "bad IDNA", address: "bob@xn--zz.test", owned: false },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.address} ${c.owned ? "is" : "is not"} bob's`, async () => {
      assert.equal(await policy().owns("bob@d.test", c.address), c.owned);
    });
  }

  it("gives domain grants to every user of the domain", async () => {
    assert.equal(await policy().owns("alice@d.test", "noreply@d.test"), true);
    assert.equal(
      await policy().owns("alice@d.test", "any@wild.example"),
      false,
    );
  });

  it("resolves aliases only for local domains", async () => {
    const asked: string[] = [];
    const p = policy({
      resolve: (a) => {
        asked.push(a);
        return Promise.resolve([]);
      },
    });
    await p.owns("bob@d.test", "x@remote.example");
    await p.owns("bob@d.test", "x@d.test");
    assert.deepEqual(asked, ["x@d.test"]);
  });
});

describe("SenderPolicy.notOwned()", () => {
  it("lists what is not the user's; the null sender always is", async () => {
    const bad = await policy().notOwned("bob@d.test", [
      "",
      "bob@d.test",
      "alice@d.test",
      "sales@d.test",
      "x@y.example",
    ]);
    assert.deepEqual(bad, ["alice@d.test", "x@y.example"]);
  });

  it("lets resolver errors through", async () => {
    const p = policy({ resolve: () => Promise.reject(new Error("hook")) });
    await assert.rejects(p.notOwned("bob@d.test", ["x@d.test"]), /hook/);
  });
});

describe("SenderPolicy.modeFor()", () => {
  const p = policy({
    mode: "report",
    overrides: { "D.test": "enforce", "bob@d.test": "off" },
  });
  it("prefers the user's entry, then the domain's, then the global mode", () => {
    assert.equal(p.modeFor("bob@d.test"), "off");
    assert.equal(p.modeFor("alice@d.test"), "enforce");
    assert.equal(p.modeFor("carol@e.test"), "report");
  });

  it("defaults to report", () => {
    assert.equal(policy().modeFor("bob@d.test"), "report");
  });
});

describe("new SenderPolicy()", () => {
  it("refuses keys that do not normalise", () => {
    assert.throws(
      () => policy({ sendAs: { "bob@d.test": ["x@xn--zz.test"] } }),
      /send_as: "x@xn--zz.test" is not a valid address/,
    );
  });

  it("counts results in chaski/senderPolicy", () => {
    const metrics = new MetricsRegistry();
    const p = policy({ metrics });
    p.count("ok");
    p.count("violation");
    p.count("violation");
    const c = metrics.counter("chaski/senderPolicy", "", "result");
    assert.equal(c.value("ok"), 1);
    assert.equal(c.value("violation"), 2);
  });
});
