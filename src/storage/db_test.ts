import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { sql } from "kysely";
import { tempDir, testSqlite } from "./_test_sqlite.ts";
import { createDb, migrate, parseDbUrl, StorageError } from "./mod.ts";

describe("parseDbUrl()", () => {
  const cases: [string, string, string][] = [
    ["empty means chaski.db in the data dir", "", "/data/chaski.db"],
    ["bare relative path", "q.db", "/data/q.db"],
    ["bare absolute path", "/var/x.db", "/var/x.db"],
    ["sqlite: relative", "sqlite:sub/q.db", "/data/sub/q.db"],
    ["sqlite: absolute", "sqlite:/var/x.db", "/var/x.db"],
    ["sqlite:/// URL form", "sqlite:///var/x.db", "/var/x.db"],
    ["memory", ":memory:", ":memory:"],
    ["sqlite:memory", "sqlite::memory:", ":memory:"],
  ];
  for (const [name, url, path] of cases) {
    it(`resolves ${name}`, () => {
      assert.deepEqual(parseDbUrl(url, "/data"), { kind: "sqlite", path });
    });
  }
  it("recognises postgres URLs", () => {
    assert.equal(parseDbUrl("postgresql://h/db", "/d").kind, "postgres");
  });
  it("refuses other schemes", () => {
    assert.throws(() => parseDbUrl("mysql://h/db", "/d"), StorageError);
  });
});

describe("createDb()", () => {
  it("migrates a new SQLite file in WAL mode", async () => {
    const dir = tempDir("chaski-db-");
    try {
      const db = await createDb({
        sqlite: testSqlite(),
        url: "",
        dataDir: dir.path,
      });
      const mode = await sql<{ journal_mode: string }>`PRAGMA journal_mode`
        .execute(db);
      assert.equal(mode.rows[0]?.journal_mode, "wal");
      const tables = await db.introspection.getTables();
      const names = tables.map((t) => t.name).sort();
      for (
        const t of [
          "domaininfo",
          "messages",
          "meta",
          "recipients",
          "sts_cache",
          "users",
        ]
      ) {
        assert.ok(names.includes(t), `table ${t} missing: ${names.join(",")}`);
      }
      assert.deepEqual(await migrate(db), [], "a second run applies nothing");
      await db.destroy();
      // Reopening the same file keeps the data and migrates nothing.
      const again = await createDb({
        sqlite: testSqlite(),
        url: `sqlite:${join(dir.path, "chaski.db")}`,
        dataDir: "/nonexistent",
      });
      assert.deepEqual(await migrate(again), []);
      await again.destroy();
    } finally {
      dir.cleanup();
    }
  });

  it("deletes recipients with their message", async () => {
    const db = await createDb({
      sqlite: testSqlite(),
      url: ":memory:",
      dataDir: "/x",
    });
    try {
      await db.insertInto("messages").values({
        id: "AAAAAAAAAAA",
        from_addr: "a@x.test",
        to_addrs: '["b@y.test"]',
        data: new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n"),
        created_at: 1,
        updated_at: 1,
        next_attempt_at: 1,
        lease_owner: null,
        lease_expires_at: null,
        auth_as: null,
        remote_addr: null,
        params: "{}",
        status: "active",
      }).execute();
      await db.insertInto("recipients").values({
        message_id: "AAAAAAAAAAA",
        idx: 0,
        address: "b@y.test",
        original_address: "b@y.test",
        type: "email",
        status: "pending",
        last_error: null,
        via: "[]",
        params: "{}",
        updated_at: 1,
      }).execute();
      const msg = await db.selectFrom("messages").select("data")
        .executeTakeFirstOrThrow();
      assert.equal(
        new TextDecoder().decode(msg.data),
        "Subject: hi\r\n\r\nbody\r\n",
      );
      const rcpt = await db.selectFrom("recipients").select("attempts")
        .executeTakeFirstOrThrow();
      assert.equal(rcpt.attempts, 0);
      await db.deleteFrom("messages").execute();
      const left = await db.selectFrom("recipients").selectAll().execute();
      assert.equal(left.length, 0);
    } finally {
      await db.destroy();
    }
  });

  it("refuses postgres URLs with a clear error", async () => {
    await assert.rejects(
      createDb({
        sqlite: testSqlite(),
        url: "postgres://u@h/db",
        dataDir: "/x",
      }),
      {
        name: "StorageError",
        message: "PostgreSQL support is not implemented yet",
      },
    );
  });

  it("fails with the cause when a migration cannot apply", async () => {
    const dir = tempDir("chaski-db-");
    try {
      const file = join(dir.path, "bad.db");
      const raw = testSqlite().open(file);
      raw.exec("CREATE TABLE users (x integer)");
      raw.close();
      await assert.rejects(
        createDb({ sqlite: testSqlite(), url: file, dataDir: dir.path }),
        (err: unknown) => {
          assert.ok(err instanceof StorageError);
          assert.match(err.message, /migration "0001_initial" failed/);
          assert.match(String((err.cause as Error).message), /users/);
          return true;
        },
      );
    } finally {
      dir.cleanup();
    }
  });

  it("names the path when the file cannot be opened", async () => {
    await assert.rejects(
      createDb({
        sqlite: testSqlite(),
        url: "/nonexistent/dir/x.db",
        dataDir: "/",
      }),
      /cannot open database "\/nonexistent\/dir\/x.db"/,
    );
  });
});
