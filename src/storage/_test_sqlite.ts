/**
 * Test helpers for storage and store tests: the runtime's `node:sqlite`
 * driver and temp directories.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNodeSqlite } from "../runtime/node_sqlite.ts";
import type { Sqlite } from "../runtime/types.ts";

/** A `Sqlite` for tests (the runtime's `node:sqlite` one). */
export function testSqlite(): Sqlite {
  return createNodeSqlite();
}

/** A fresh private directory under the system temp dir, removed by `cleanup()`. */
export function tempDir(prefix: string): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    cleanup: () => rmSync(path, { recursive: true, force: true }),
  };
}
