import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openEnv } from "./_test_env.ts";
import { UsersFileError } from "./users_file.ts";

function plainUser(user: string, password: string): string {
  return `users: { key: "${user}" value: { plain: { password: "${password}" } } }\n`;
}

describe("UserDB.syncUsersFiles()", () => {
  it("imports chasquid-util users whose passwords keep working", async () => {
    const env = await openEnv();
    try {
      env.copyUsers("example.com", "chasquid/domains/example.com/users");
      env.copyUsers("example.org", "handmade/users");
      const s = await env.users.syncUsersFiles(env.configDir, [
        "example.com",
        "example.org",
      ]);
      assert.deepEqual(s, { added: 5, changed: 0, removed: 0, errors: [] });
      const u = env.users;
      assert.equal(
        await u.authenticate("alice", "example.com", "secret"),
        "ok",
      );
      assert.equal(
        await u.authenticate("alice", "example.com", "wrong"),
        "bad",
      );
      assert.equal(
        await u.authenticate(
          "ñandú",
          "example.com",
          'contraseña "quoted" \\ back',
        ),
        "ok",
      );
      assert.equal(
        await u.authenticate("alice", "example.org", "secret"),
        "ok",
      );
      assert.equal(
        await u.authenticate("debug", "example.org", 'plain "pass"!'),
        "ok",
      );
      assert.equal(await u.exists("list@example.org"), true);
      assert.equal(await u.authenticate("list", "example.org", ""), "bad");
      const listed = await u.list("example.org");
      assert.deepEqual(listed.map((x) => [x.address, x.scheme, x.source]), [
        ["alice@example.org", "scrypt", "file"],
        ["debug@example.org", "plain", "file"],
        ["list@example.org", "denied", "file"],
      ]);
      assert.equal(
        listed[0]?.sourceFile,
        join(env.configDir, "domains/example.org/users"),
      );
      // Nothing changed: a second sync is a no-op.
      const again = await u.syncUsersFiles(env.configDir, [
        "example.com",
        "example.org",
      ]);
      assert.deepEqual(again, { added: 0, changed: 0, removed: 0, errors: [] });
    } finally {
      await env.close();
    }
  });

  it("applies additions, changes and removals", async () => {
    const env = await openEnv();
    try {
      env.writeUsers("x.test", plainUser("a", "1") + plainUser("b", "1"));
      await env.users.syncUsersFiles(env.configDir, ["x.test"]);
      env.writeUsers("x.test", plainUser("b", "2") + plainUser("c", "1"));
      const s = await env.users.syncUsersFiles(env.configDir, ["x.test"]);
      assert.deepEqual(s, { added: 1, changed: 1, removed: 1, errors: [] });
      assert.deepEqual((await env.users.list()).map((u) => u.address), [
        "b@x.test",
        "c@x.test",
      ]);
      assert.equal(await env.users.authenticate("b", "x.test", "2"), "ok");
      assert.equal(await env.users.authenticate("b", "x.test", "1"), "bad");
    } finally {
      await env.close();
    }
  });

  it("removes file users when the file or the domain goes", async () => {
    const env = await openEnv();
    try {
      env.writeUsers("x.test", plainUser("a", "1"));
      env.writeUsers("y.test", plainUser("a", "1"));
      await env.users.syncUsersFiles(env.configDir, ["x.test", "y.test"]);
      env.writeUsers("x.test", "# empty\n");
      const s = await env.users.syncUsersFiles(env.configDir, ["x.test"]);
      assert.equal(s.removed, 2);
      assert.deepEqual(await env.users.list(), []);
    } finally {
      await env.close();
    }
  });

  it("lets a database user shadow a file user and never removes it", async () => {
    const env = await openEnv();
    try {
      await env.users.add("a@x.test", { password: "db" });
      env.writeUsers("x.test", plainUser("a", "file") + plainUser("b", "file"));
      const s = await env.users.syncUsersFiles(env.configDir, ["x.test"]);
      assert.deepEqual(s, { added: 1, changed: 0, removed: 0, errors: [] });
      assert.equal(await env.users.authenticate("a", "x.test", "db"), "ok");
      assert.equal(await env.users.authenticate("a", "x.test", "file"), "bad");
      env.writeUsers("x.test", "");
      await env.users.syncUsersFiles(env.configDir, ["x.test"]);
      assert.deepEqual(
        (await env.users.list()).map((u) => [u.address, u.source]),
        [["a@x.test", "db"]],
      );
    } finally {
      await env.close();
    }
  });

  it("turns a file user into a database user on add, and back after remove", async () => {
    const env = await openEnv();
    try {
      env.writeUsers("x.test", plainUser("a", "file"));
      await env.users.syncUsersFiles(env.configDir, ["x.test"]);
      await env.users.add("a@x.test", { password: "db" });
      assert.equal(await env.users.authenticate("a", "x.test", "db"), "ok");
      await env.users.syncUsersFiles(env.configDir, ["x.test"]);
      assert.equal(await env.users.authenticate("a", "x.test", "db"), "ok");
      await env.users.remove("a@x.test");
      const s = await env.users.syncUsersFiles(env.configDir, ["x.test"]);
      assert.equal(s.added, 1);
      assert.equal(await env.users.authenticate("a", "x.test", "file"), "ok");
    } finally {
      await env.close();
    }
  });

  it("refuses to remove a file user, naming the file", async () => {
    const env = await openEnv();
    try {
      env.writeUsers("x.test", plainUser("a", "1"));
      await env.users.syncUsersFiles(env.configDir, ["x.test"]);
      const file = join(env.configDir, "domains/x.test/users");
      await assert.rejects(env.users.remove("a@x.test"), {
        name: "UserError",
        message:
          `user "a@x.test" comes from "${file}": remove it from that file instead`,
      });
      assert.equal(await env.users.exists("a@x.test"), true);
    } finally {
      await env.close();
    }
  });

  it("keeps the previous users of a domain whose file is broken", async () => {
    const env = await openEnv();
    try {
      env.writeUsers("x.test", plainUser("a", "1"));
      env.writeUsers("y.test", plainUser("a", "1"));
      await env.users.syncUsersFiles(env.configDir, ["x.test", "y.test"]);
      env.copyUsers("x.test", "handmade/broken_users");
      env.writeUsers("y.test", plainUser("b", "1"));
      const s = await env.users.syncUsersFiles(env.configDir, [
        "x.test",
        "y.test",
      ]);
      assert.equal(s.errors.length, 1);
      const err = s.errors[0];
      assert.ok(err instanceof UsersFileError);
      assert.equal(err.file, join(env.configDir, "domains/x.test/users"));
      assert.equal(err.line, 10);
      // x.test is untouched; y.test still synced.
      assert.deepEqual((await env.users.list()).map((u) => u.address), [
        "a@x.test",
        "b@y.test",
      ]);
      assert.equal(await env.users.authenticate("a", "x.test", "1"), "ok");
      assert.deepEqual([s.added, s.removed], [1, 1]);
    } finally {
      await env.close();
    }
  });

  it("reports skipped entries and loads the rest", async () => {
    const env = await openEnv();
    try {
      env.writeUsers(
        "x.test",
        plainUser("ok", "1") + plainUser("Not Normal", "1"),
      );
      const s = await env.users.syncUsersFiles(env.configDir, ["x.test"]);
      assert.equal(s.added, 1);
      assert.equal(s.errors.length, 1);
      assert.match(s.errors[0]!.message, /users:2: user "Not Normal" skipped/);
    } finally {
      await env.close();
    }
  });
});
