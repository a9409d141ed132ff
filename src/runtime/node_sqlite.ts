/**
 * `Sqlite` on `node:sqlite`, which Deno and Bun both provide.
 *
 * The statement shim gives Kysely's `SqliteDialect` what it expects from
 * better-sqlite3: `reader`, and parameters as an array (node:sqlite wants
 * them spread).
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Sqlite, SqliteDatabase, SqliteStatement } from "./types.ts";

type Param = null | number | bigint | string | Uint8Array;

/**
 * node:sqlite rows have a null prototype, which breaks deep equality and
 * some libraries; hand out plain objects.
 */
function plain(row: unknown): unknown {
  return row && typeof row === "object" ? { ...row } : row;
}

function wrapStatement(stmt: StatementSync): SqliteStatement {
  return {
    reader: stmt.columns().length > 0,
    all: (params) => stmt.all(...(params as Param[])).map(plain),
    run(params) {
      const r = stmt.run(...(params as Param[]));
      return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
    },
    *iterate(params) {
      for (const row of stmt.iterate(...(params as Param[]))) yield plain(row);
    },
  };
}

/**
 * Opens a database. Files get WAL (readers do not block the writer),
 * `synchronous=FULL` (a 250 must survive a power cut), a busy timeout for
 * concurrent CLI use, and foreign keys.
 */
export function openSqlite(path: string): SqliteDatabase {
  const db = new DatabaseSync(path);
  if (path !== ":memory:") {
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA synchronous=FULL");
    db.exec("PRAGMA busy_timeout=5000");
  }
  db.exec("PRAGMA foreign_keys=ON");
  return {
    prepare: (sql) => wrapStatement(db.prepare(sql)),
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  };
}

/** Creates the `Sqlite` implementation. */
export function createNodeSqlite(): Sqlite {
  return { open: openSqlite };
}
