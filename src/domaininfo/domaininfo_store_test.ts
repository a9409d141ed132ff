import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createDb } from "../storage/mod.ts";
import { tempDir, testSqlite } from "../storage/_test_sqlite.ts";
import { KyselyDomainInfoStore } from "./domaininfo_store.ts";
import { SecLevel } from "./types.ts";

describe("KyselyDomainInfoStore", () => {
  let dir: ReturnType<typeof tempDir>;
  let db: Awaited<ReturnType<typeof createDb>>;
  let store: KyselyDomainInfoStore;

  beforeEach(async () => {
    dir = tempDir("chaski-dinfo-");
    db = await createDb({ sqlite: testSqlite(), url: "", dataDir: dir.path });
    store = new KyselyDomainInfoStore(db);
  });
  afterEach(async () => {
    await db.destroy();
    dir.cleanup();
  });

  it("creates a record with the other level PLAIN", async () => {
    await store.raise("b.test", {
      direction: "outgoing",
      level: SecLevel.TLS_SECURE,
      now: 1000,
    });
    assert.deepEqual(await store.get("b.test"), {
      domain: "b.test",
      incoming: SecLevel.PLAIN,
      outgoing: SecLevel.TLS_SECURE,
      updatedAt: 1000,
    });
    assert.equal(await store.get("c.test"), null);
  });

  it("raises but never lowers", async () => {
    const raise = (level: SecLevel, now: number) =>
      store.raise("b.test", { direction: "incoming", level, now });
    await raise(SecLevel.TLS_CLIENT, 1);
    await raise(SecLevel.PLAIN, 2);
    assert.equal((await store.get("b.test"))?.incoming, SecLevel.TLS_CLIENT);
    await store.raise("b.test", {
      direction: "outgoing",
      level: SecLevel.TLS_INSECURE,
      now: 3,
    });
    const rec = await store.get("b.test");
    assert.equal(rec?.incoming, SecLevel.TLS_CLIENT);
    assert.equal(rec?.outgoing, SecLevel.TLS_INSECURE);
  });

  it("lists by domain and survives reopening the file", async () => {
    for (const d of ["c.test", "a.test", "b.test"]) {
      await store.raise(d, {
        direction: "outgoing",
        level: SecLevel.TLS_INSECURE,
        now: 5,
      });
    }
    await db.destroy();
    db = await createDb({ sqlite: testSqlite(), url: "", dataDir: dir.path });
    store = new KyselyDomainInfoStore(db);
    const all = await store.list();
    assert.deepEqual(all.map((r) => r.domain), ["a.test", "b.test", "c.test"]);
    assert.ok(all.every((r) => r.outgoing === SecLevel.TLS_INSECURE));
  });

  it("clear() resets both levels of a known domain only", async () => {
    await store.raise("b.test", {
      direction: "outgoing",
      level: SecLevel.TLS_SECURE,
      now: 1,
    });
    await store.raise("b.test", {
      direction: "incoming",
      level: SecLevel.TLS_CLIENT,
      now: 1,
    });
    assert.equal(await store.clear("b.test", 9), true);
    assert.deepEqual(await store.get("b.test"), {
      domain: "b.test",
      incoming: SecLevel.PLAIN,
      outgoing: SecLevel.PLAIN,
      updatedAt: 9,
    });
    assert.equal(await store.clear("x.test", 9), false);
    assert.equal(await store.get("x.test"), null);
  });
});
