import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openEnv, realClock, testFiles } from "./_test_env.ts";
import { UserDB, UserError } from "./mod.ts";

describe("UserDB.add()", () => {
  it("adds, authenticates and removes a user", async () => {
    const env = await openEnv();
    try {
      await env.users.add("Bob@Example.COM", { password: "s3cret" });
      assert.deepEqual(await env.users.list(), [
        {
          address: "bob@example.com",
          scheme: "scrypt",
          source: "db",
          sourceFile: null,
        },
      ]);
      assert.equal(await env.users.exists("bob@example.com"), true);
      assert.equal(await env.users.exists("BOB@example.com"), true);
      assert.equal(
        await env.users.authenticate("bob", "example.com", "s3cret"),
        "ok",
      );
      assert.equal(
        await env.users.authenticate("BOB", "EXAMPLE.com", "s3cret"),
        "ok",
      );
      assert.equal(
        await env.users.authenticate("bob", "example.com", "wrong"),
        "bad",
      );
      assert.equal(
        await env.users.authenticate("eve", "example.com", "s3cret"),
        "unknown",
      );
      await env.users.remove("bob@example.com");
      assert.equal(await env.users.exists("bob@example.com"), false);
      assert.equal(
        await env.users.authenticate("bob", "example.com", "s3cret"),
        "unknown",
      );
      await assert.rejects(env.users.remove("bob@example.com"), {
        name: "UserError",
        message: 'unknown user "bob@example.com"',
      });
    } finally {
      await env.close();
    }
  });

  it("makes receive-only users that exist but cannot authenticate", async () => {
    const env = await openEnv();
    try {
      await env.users.add("list@example.com", { receiveOnly: true });
      assert.equal(await env.users.exists("list@example.com"), true);
      assert.equal(
        await env.users.authenticate("list", "example.com", ""),
        "bad",
      );
      assert.equal(
        await env.users.authenticate("list", "example.com", "x"),
        "bad",
      );
      assert.equal((await env.users.list("example.com"))[0]?.scheme, "denied");
    } finally {
      await env.close();
    }
  });

  it("normalises IDNA domains and PRECIS users", async () => {
    const env = await openEnv();
    try {
      await env.users.add("Ñandú@XN--PJARO-XQA.example", { password: "p" });
      assert.equal(await env.users.exists("ñandú@pájaro.example"), true);
      assert.equal(
        await env.users.authenticate("ÑANDÚ", "PÁJARO.example", "p"),
        "ok",
      );
    } finally {
      await env.close();
    }
  });

  const badNames: [string, string, RegExp][] = [
    [
      "a space",
      "john doe@example.com",
      /^invalid address "john doe@example.com": /,
    ],
    [
      "a compatibility character",
      "henryⅣ@example.com",
      /^invalid address "henryⅣ@example.com": /,
    ],
    ["an empty address", "", /expected user@domain/],
    ["no domain", "john", /expected user@domain/],
    ["an empty domain", "john@", /expected user@domain/],
    ["an empty user", "@example.com", /expected user@domain/],
    ["two @", "a@b@example.com", /expected user@domain/],
  ];
  for (const [name, address, re] of badNames) {
    it(`refuses a name with ${name}`, async () => {
      const env = await openEnv();
      try {
        await assert.rejects(
          env.users.add(address, { password: "p" }),
          (err: unknown) => {
            assert.ok(err instanceof UserError);
            assert.match(err.message, re);
            assert.doesNotMatch(err.message, /\n/);
            return true;
          },
        );
        assert.deepEqual(await env.users.list(), []);
      } finally {
        await env.close();
      }
    });
  }

  it("refuses duplicates, even spelled differently", async () => {
    const env = await openEnv();
    try {
      await env.users.add("bob@example.com", { password: "one" });
      await assert.rejects(
        env.users.add("BOB@example.com", { password: "two" }),
        {
          name: "UserError",
          message: 'user "bob@example.com" already exists',
        },
      );
      assert.equal(
        await env.users.authenticate("bob", "example.com", "one"),
        "ok",
      );
    } finally {
      await env.close();
    }
  });

  it("needs exactly one of a password or receive-only", async () => {
    const env = await openEnv();
    try {
      await assert.rejects(env.users.add("a@x.test", {}), UserError);
      await assert.rejects(
        env.users.add("a@x.test", { password: "p", receiveOnly: true }),
        UserError,
      );
      await assert.rejects(
        env.users.add("a@x.test", { password: "" }),
        /must not be empty/,
      );
    } finally {
      await env.close();
    }
  });
});

describe("UserDB.exists()", () => {
  it("is false for names that cannot be users", async () => {
    const env = await openEnv();
    try {
      assert.equal(await env.users.exists("john doe@example.com"), false);
      assert.equal(await env.users.exists("john"), false);
    } finally {
      await env.close();
    }
  });
});

describe("UserDB.authenticate()", () => {
  it("takes at least 100 ms by default, success or not", async () => {
    const env = await openEnv(100);
    try {
      await env.users.add("bob@example.com", { receiveOnly: true });
      for (const user of ["bob", "nobody", "bad user"]) {
        const start = performance.now();
        const result = await env.users.authenticate(user, "example.com", "x");
        const elapsed = performance.now() - start;
        assert.notEqual(result, "ok");
        // A lower bound, with 1 ms of slack for timer rounding.
        assert.ok(elapsed >= 99, `${user}: ${elapsed} ms`);
      }
    } finally {
      await env.close();
    }
  });

  it("defaults to the 100 ms floor", async () => {
    const env = await openEnv();
    try {
      const users = new UserDB({
        store: env.store,
        files: testFiles(),
        clock: realClock(),
      });
      const start = performance.now();
      assert.equal(
        await users.authenticate("x", "example.com", "x"),
        "unknown",
      );
      assert.ok(performance.now() - start >= 99);
    } finally {
      await env.close();
    }
  });

  it("treats domainless identities as unknown", async () => {
    const env = await openEnv();
    try {
      assert.equal(await env.users.authenticate("bob", "", "x"), "unknown");
    } finally {
      await env.close();
    }
  });
});
