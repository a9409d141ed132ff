/**
 * Runtime contract: files and SQLite.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { testRuntime } from "./_runtime.ts";

const rt = testRuntime();

describe("Files", () => {
  let dir: string;
  before(async () => {
    dir = await rt.files.makeTempDir("chaski-files-");
  });
  after(() => rt.files.remove(dir, { recursive: true }));

  it("writeAtomic() creates, replaces and leaves no temp file", async () => {
    const file = join(dir, "users");
    await rt.files.writeAtomic(file, "one\n", 0o640);
    await rt.files.writeAtomic(file, new TextEncoder().encode("two\n"), 0o600);
    assert.equal(await rt.files.readText(file), "two\n");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ["users"]);
  });

  it("append() creates with the mode and appends", async () => {
    const file = join(dir, "log");
    await rt.files.append(file, "a\n", 0o600);
    await rt.files.append(file, new TextEncoder().encode("b\n"));
    assert.equal(await rt.files.readText(file), "a\nb\n");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it("stat() returns null for a missing path and facts otherwise", async () => {
    assert.equal(await rt.files.stat(join(dir, "missing")), null);
    await rt.files.mkdir(join(dir, "sub", "deep"), 0o700);
    const st = await rt.files.stat(join(dir, "sub"));
    assert.equal(st?.isDirectory, true);
    assert.equal(st?.isFile, false);
  });

  it("readDir() lists names sorted; rename() and remove() work", async () => {
    const d = join(dir, "list");
    await rt.files.mkdir(d);
    for (const n of ["c", "a", "b"]) {
      await rt.files.writeAtomic(join(d, n), n, 0o600);
    }
    await rt.files.rename(join(d, "c"), join(d, "d"));
    await rt.files.remove(join(d, "a"));
    assert.deepEqual(await rt.files.readDir(d), ["b", "d"]);
    assert.deepEqual(
      await rt.files.readBytes(join(d, "b")),
      new Uint8Array([0x62]),
    );
  });
});

describe("Sqlite.open()", () => {
  let dir: string;
  before(async () => {
    dir = await rt.files.makeTempDir("chaski-sqlite-");
  });
  after(() => rt.files.remove(dir, { recursive: true }));

  it("opens files in WAL mode with synchronous=FULL", () => {
    const db = rt.sqlite.open(join(dir, "t.db"));
    try {
      const mode = db.prepare("PRAGMA journal_mode").all([]);
      assert.deepEqual(mode, [{ journal_mode: "wal" }]);
      const sync = db.prepare("PRAGMA synchronous").all([]);
      assert.deepEqual(sync, [{ synchronous: 2 }]);
      const fk = db.prepare("PRAGMA foreign_keys").all([]);
      assert.deepEqual(fk, [{ foreign_keys: 1 }]);
    } finally {
      db.close();
    }
  });

  it("runs statements with spread parameters and returns plain rows", () => {
    const db = rt.sqlite.open(":memory:");
    try {
      db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)");
      const ins = db.prepare("INSERT INTO t (name, n) VALUES (?, ?)");
      assert.equal(ins.reader, false);
      const r1 = ins.run(["a", 1]);
      ins.run(["b", 2]);
      assert.equal(r1.changes, 1);
      assert.equal(Number(r1.lastInsertRowid), 1);
      const sel = db.prepare("SELECT name, n FROM t WHERE n >= ? ORDER BY n");
      assert.equal(sel.reader, true);
      const rows = sel.all([1]);
      // node:sqlite rows have a null prototype; ours must be plain objects.
      assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype);
      assert.deepEqual(rows, [{ name: "a", n: 1 }, { name: "b", n: 2 }]);
      assert.deepEqual([...sel.iterate([2])], [{ name: "b", n: 2 }]);
    } finally {
      db.close();
    }
  });
});
