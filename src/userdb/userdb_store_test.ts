import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openEnv } from "./_test_env.ts";
import type { UserRecord } from "./types.ts";

function rec(address: string, over: Partial<UserRecord> = {}): UserRecord {
  return {
    address,
    domain: address.slice(address.indexOf("@") + 1),
    credential: { scheme: "denied" },
    source: "db",
    sourceFile: null,
    createdAt: 1000,
    updatedAt: 2000,
    ...over,
  };
}

describe("KyselyUserStore", () => {
  it("round-trips every scheme", async () => {
    const env = await openEnv();
    try {
      const hash = {
        logN: 14,
        r: 8,
        p: 1,
        keyLen: 32,
        salt: new Uint8Array(16).fill(7),
        encrypted: new Uint8Array(32).fill(255),
      };
      const recs = [
        rec("a@x.test", { credential: { scheme: "scrypt", hash } }),
        rec("b@x.test", {
          credential: { scheme: "plain", password: "pässword" },
        }),
        rec("c@y.test"),
      ];
      for (const r of recs) assert.equal(await env.store.addDbUser(r), "added");
      assert.deepEqual(await env.store.get("a@x.test"), recs[0]);
      assert.deepEqual(await env.store.list(), recs);
      assert.deepEqual(await env.store.list("y.test"), [recs[2]]);
      assert.equal(await env.store.get("nobody@x.test"), null);
    } finally {
      await env.close();
    }
  });

  it("reports an existing database user and shadows a file user", async () => {
    const env = await openEnv();
    try {
      await env.store.applyFileSync({
        put: [rec("f@x.test", { source: "file", sourceFile: "/c/users" })],
        remove: [],
      });
      assert.equal(await env.store.addDbUser(rec("f@x.test")), "shadowed");
      assert.equal(await env.store.addDbUser(rec("f@x.test")), "exists");
      assert.deepEqual(await env.store.get("f@x.test"), rec("f@x.test"));
    } finally {
      await env.close();
    }
  });

  it("never lets a file sync overwrite or remove a database user", async () => {
    const env = await openEnv();
    try {
      await env.store.addDbUser(rec("d@x.test"));
      await env.store.applyFileSync({
        put: [rec("d@x.test", {
          source: "file",
          sourceFile: "/c/users",
          credential: { scheme: "plain", password: "p" },
        })],
        remove: ["d@x.test"],
      });
      assert.deepEqual(await env.store.get("d@x.test"), rec("d@x.test"));
    } finally {
      await env.close();
    }
  });

  it("removes only the given source", async () => {
    const env = await openEnv();
    try {
      await env.store.addDbUser(rec("d@x.test"));
      assert.equal(await env.store.remove("d@x.test", "file"), false);
      assert.equal(await env.store.remove("d@x.test", "db"), true);
      assert.equal(await env.store.remove("d@x.test", "db"), false);
    } finally {
      await env.close();
    }
  });
});
