import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { em, setup, type TestEnv } from "./_test_env.ts";
import { AliasesFileError } from "./aliases_file.ts";
import { AliasResolveError, type Recipient } from "./mod.ts";

const D_ALIASES = `
# The domain under test.
pepe: jose
juan+news: special
juan: juana
list: pepe, ana@r.test, pipe
pipe: | /bin/cat -n
twice: jose, jose
fwd: u@r.test via mx1/mx2
fwdlocal: pepe via mx1
ghost: nobody1, nobody2
half: nobody1, jose
toalias: ghost
toremote: someone@r.test
topipe: | /bin/true
tofwd: nobody1 via mx1
override: first
override: second
loop: loop
`;

function chain(n: number): string {
  // c0 → c1 → … → c<n-1>; c<n-1> is a user: n levels in all.
  const lines = [];
  for (let i = 0; i < n - 1; i++) lines.push(`c${i}: c${i + 1}`);
  return lines.join("\n");
}

describe("AliasResolver.resolve()", () => {
  let env: TestEnv;
  before(async () => {
    env = await setup({
      aliases: {
        "d.test": D_ALIASES,
        "e.test": null,
        "chain.test": `${chain(10)}\n${chain(11).replaceAll("c", "k")}`,
      },
      users: [
        "jose@d.test",
        "juana@d.test",
        "special@d.test",
        "first@d.test",
        "second@d.test",
        "c9@chain.test",
        "k10@chain.test",
      ],
    });
  });
  after(() => env.close());

  const cases: [name: string, addr: string, want: Recipient[]][] = [
    ["alias to a user", "pepe@d.test", [em("jose@d.test")]],
    ["a user is itself", "jose@d.test", [em("jose@d.test")]],
    ["non-local address unchanged", "Pe.Pe+x@r.test", [em("Pe.Pe+x@r.test")]],
    ["suffix removed to find the alias", "pepe+x@d.test", [em("jose@d.test")]],
    ["drop characters removed", "p.e.p.e@d.test", [em("jose@d.test")]],
    ["exact alias with suffix wins", "juan+news@d.test", [
      em("special@d.test"),
    ]],
    [
      // Drops go before the suffix only: this is still the exact alias.
      "exact alias with drops and suffix",
      "ju.an+news@d.test",
      [em("special@d.test")],
    ],
    ["other suffix falls back to the cleaned alias", "juan+x@d.test", [
      em("juana@d.test"),
    ]],
    ["user found after cleaning", "jo.se+tag@d.test", [em("jose@d.test")]],
    ["remote and pipe targets, pipe not recursed", "list@d.test", [
      em("jose@d.test"),
      em("ana@r.test"),
      { type: "pipe", address: "/bin/cat -n", via: [] },
    ]],
    ["duplicate targets kept", "twice@d.test", [
      em("jose@d.test"),
      em("jose@d.test"),
    ]],
    ["via alias", "fwd@d.test", [
      { type: "forward", address: "u@r.test", via: ["mx1", "mx2"] },
    ]],
    ["via target not recursed", "fwdlocal@d.test", [
      { type: "forward", address: "pepe@d.test", via: ["mx1"] },
    ]],
    ["override: last line wins", "override@d.test", [em("second@d.test")]],
    [
      // No alias, user or catch-all: returned cleaned, delivery fails later.
      "missing local address returned cleaned",
      "no.body+x@d.test",
      [em("nobody@d.test")],
    ],
    ["domain without an aliases file", "x@e.test", [em("x@e.test")]],
    ["10 levels resolve", "c0@chain.test", [em("c9@chain.test")]],
  ];
  for (const [name, addr, want] of cases) {
    it(
      name,
      async () => assert.deepEqual(await env.resolver.resolve(addr), want),
    );
  }

  it("fails beyond 10 levels", async () => {
    await assert.rejects(
      env.resolver.resolve("k0@chain.test"),
      new AliasResolveError("recursion limit exceeded"),
    );
  });
  it("fails on a loop", async () => {
    await assert.rejects(
      env.resolver.resolve("loop@d.test"),
      /recursion limit exceeded/,
    );
  });
});

describe("AliasResolver catch-all", () => {
  let env: TestEnv;
  before(async () => {
    env = await setup({
      aliases: {
        "d.test": "*: catch\nalias: jose",
        "s.test": "*: *@r.test\nkeep: jose@d.test",
        "m.test": "*: * via mx1",
      },
      users: ["jose@d.test", "catch@d.test", "user@s.test"],
    });
  });
  after(() => env.close());

  const cases: [name: string, addr: string, want: Recipient[]][] = [
    ["unknown address caught", "nobody@d.test", [em("catch@d.test")]],
    ["user before catch-all", "jose+x@d.test", [em("jose@d.test")]],
    ["alias before catch-all", "alias@d.test", [em("jose@d.test")]],
    [
      // AL-07: the user is copied as given, drops and suffix included.
      "star target copies the user as given",
      "Li.lly+x@s.test",
      [em("Li.lly+x@r.test")],
    ],
    ["star target skipped for a user", "user@s.test", [em("user@s.test")]],
    ["star target skipped for an alias", "keep@s.test", [em("jose@d.test")]],
    ["secondary MX pattern", "any+x@m.test", [
      { type: "forward", address: "any+x@m.test", via: ["mx1"] },
    ]],
  ];
  for (const [name, addr, want] of cases) {
    it(
      name,
      async () => assert.deepEqual(await env.resolver.resolve(addr), want),
    );
  }

  it("exists() is true for anything in a catch-all domain", async () => {
    assert.equal(await env.resolver.exists("whatever@d.test"), true);
  });
});

describe("AliasResolver.exists() and checkRecipient()", () => {
  let env: TestEnv;
  before(async () => {
    env = await setup({
      aliases: {
        "d.test": D_ALIASES,
        "c.test": "*: nobody",
        "k.test": "*: catch\nlist: missing",
      },
      users: ["jose@d.test", "juana@d.test", "catch@k.test"],
    });
  });
  after(() => env.close());

  const cases: [name: string, addr: string, exists: boolean, check: string][] =
    [
      ["alias", "pepe@d.test", true, "ok"],
      ["alias through drops and suffix", "pe.pe+x@d.test", true, "ok"],
      ["user", "jose@d.test", true, "ok"],
      ["user after cleaning", "j.ose+y@d.test", true, "ok"],
      ["unknown", "nobody@d.test", false, "unknown"],
      ["every target missing (R-03)", "ghost@d.test", true, "unknown"],
      ["one target exists", "half@d.test", true, "ok"],
      ["target is an alias", "toalias@d.test", true, "ok"],
      ["remote target", "toremote@d.test", true, "ok"],
      ["pipe target", "topipe@d.test", true, "ok"],
      ["via target to a missing user", "tofwd@d.test", true, "ok"],
      ["catch-all to a missing user", "x@c.test", true, "unknown"],
      ["missing target caught by a catch-all", "list@k.test", true, "ok"],
    ];
  for (const [name, addr, exists, check] of cases) {
    it(name, async () => {
      assert.equal(await env.resolver.exists(addr), exists);
      assert.equal(await env.resolver.checkRecipient(addr), check);
    });
  }
});

describe("AliasResolver.load()", () => {
  it("keeps the old table when a file breaks, and takes the fixed one", async () => {
    const env = await setup({
      aliases: { "d.test": "a: b\n", "e.test": "x: y\n" },
      users: ["b@d.test", "y@e.test", "c@d.test", "z@e.test"],
    });
    try {
      await env.writeAliases("d.test", "a: c\n# fine\nbroken line\n");
      await env.writeAliases("e.test", "x: z\n");
      const errors = await env.load();
      assert.equal(errors.length, 1);
      const e = errors[0];
      assert.ok(e instanceof AliasesFileError);
      assert.equal(e.line, 3);
      assert.equal(e.file, `${env.dir}/domains/d.test/aliases`);
      assert.deepEqual(await env.resolver.resolve("a@d.test"), [
        em("b@d.test"),
      ]);
      assert.deepEqual(await env.resolver.resolve("x@e.test"), [
        em("z@e.test"),
      ]);

      await env.writeAliases("d.test", "a: c\n");
      assert.deepEqual(await env.load(), []);
      assert.deepEqual(await env.resolver.resolve("a@d.test"), [
        em("c@d.test"),
      ]);

      // A removed file means no aliases.
      await env.writeAliases("d.test", null);
      assert.deepEqual(await env.load(), []);
      assert.deepEqual(await env.resolver.resolve("a@d.test"), [
        em("a@d.test"),
      ]);
    } finally {
      await env.close();
    }
  });

  it("drops domains no longer listed, making them non-local", async () => {
    const env = await setup({
      aliases: { "d.test": "a: b\n", "e.test": "x: y" },
    });
    try {
      await env.load(["e.test"]);
      assert.deepEqual(await env.resolver.resolve("a@d.test"), [
        em("a@d.test"),
      ]);
      assert.equal(await env.resolver.exists("a@d.test"), false);
    } finally {
      await env.close();
    }
  });

  it("uses isLocal when given", async () => {
    const env = await setup({
      aliases: { "d.test": "a: ghost@localhost\n" },
      props: { isLocal: (d) => d === "d.test" || d === "localhost" },
    });
    try {
      assert.deepEqual(await env.resolver.resolve("a@d.test"), [
        em("ghost@localhost"),
      ]);
      // localhost is local, so its missing user counts.
      assert.equal(await env.resolver.checkRecipient("a@d.test"), "unknown");
    } finally {
      await env.close();
    }
  });
});
