import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createDb } from "../storage/mod.ts";
import { tempDir, testSqlite } from "../storage/_test_sqlite.ts";
import { KyselySrsKeyStore, loadSrsKeys, rotateSrsKeys } from "./srs_store.ts";

describe("loadSrsKeys()", () => {
  let dir: ReturnType<typeof tempDir>;
  let db: Awaited<ReturnType<typeof createDb>>;
  let store: KyselySrsKeyStore;

  beforeEach(async () => {
    dir = tempDir("chaski-srs-");
    db = await createDb({ sqlite: testSqlite(), url: "", dataDir: dir.path });
    store = new KyselySrsKeyStore(db);
  });
  afterEach(async () => {
    await db.destroy();
    dir.cleanup();
  });

  it("makes one 32-byte key at first start and returns it afterwards", async () => {
    const first = await loadSrsKeys(store, { now: 1 });
    assert.equal(first.length, 1);
    assert.equal(first[0]!.length, 32);
    const again = await loadSrsKeys(store, { now: 2 });
    assert.deepEqual(again, first);
  });

  it("rotation puts a new key first and keeps the old ones", async () => {
    const [old] = await loadSrsKeys(store, { now: 1 });
    const rotated = await rotateSrsKeys(store, { now: 2 });
    assert.equal(rotated.length, 2);
    assert.deepEqual(rotated[1], old);
    assert.notDeepEqual(rotated[0], old);
    assert.deepEqual(await loadSrsKeys(store, { now: 3 }), rotated);
  });
});
