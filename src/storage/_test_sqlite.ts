/**
 * Test-only `Sqlite` on `node:sqlite`, for storage and store tests until the
 * runtime's `node_sqlite.ts` lands. Statements are adapted to the shape
 * Kysely's `SqliteDialect` drives: parameters spread, `reader` from
 * `columns().length`.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type {
  Sqlite,
  SqliteDatabase,
  SqliteStatement,
} from "../runtime/types.ts";

/** A `Sqlite` for tests. */
export function testSqlite(): Sqlite {
  return { open };
}

function open(path: string): SqliteDatabase {
  const db = new DatabaseSync(path);
  return {
    prepare(sql: string): SqliteStatement {
      const stmt = db.prepare(sql);
      // deno-lint-ignore no-explicit-any
      type P = any[];
      return {
        reader: stmt.columns().length > 0,
        all: (params) => stmt.all(...(params as P)),
        run: (params) => stmt.run(...(params as P)),
        iterate: (params) => stmt.iterate(...(params as P)),
      };
    },
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  };
}

/** A fresh private directory under the system temp dir, removed by `cleanup()`. */
export function tempDir(prefix: string): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    cleanup: () => rmSync(path, { recursive: true, force: true }),
  };
}
