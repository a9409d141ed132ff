/**
 * Test helpers for userdb: the runtime's clock and files, and a `UserDB`
 * over an in-memory SQLite database. Test-only.
 *
 * @module
 */

import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kysely } from "kysely";
import { createDb, type Database } from "../storage/mod.ts";
import { tempDir, testSqlite } from "../storage/_test_sqlite.ts";
import type { Clock, Files } from "../runtime/types.ts";
import { createSystemClock } from "../runtime/clock.ts";
import { createNodeFiles } from "../runtime/node_files.ts";
import { KyselyUserStore, UserDB } from "./mod.ts";

/** The repository's `testdata/userdb`. */
export const FIXTURES = fileURLToPath(
  new URL("../../testdata/userdb/", import.meta.url),
);

/** A wall clock (the runtime's). */
export function realClock(): Clock {
  return createSystemClock();
}

/** The runtime's `Files`. */
export function testFiles(): Files {
  return createNodeFiles();
}

/** A test environment: database, store, UserDB and a config dir. */
export interface TestEnv {
  readonly db: Kysely<Database>;
  readonly users: UserDB;
  readonly store: KyselyUserStore;
  readonly configDir: string;
  /** Writes `domains/<domain>/users` in the config dir. */
  writeUsers(domain: string, text: string): void;
  /** Copies a fixture to `domains/<domain>/users`. */
  copyUsers(domain: string, fixture: string): void;
  close(): Promise<void>;
}

/** Opens a fresh environment; `minAuthMs` defaults to 0 here. */
export async function openEnv(minAuthMs = 0): Promise<TestEnv> {
  const db = await createDb({
    sqlite: testSqlite(),
    url: ":memory:",
    dataDir: "/",
  });
  const store = new KyselyUserStore(db);
  const dir = tempDir("chaski-userdb-");
  const users = new UserDB({
    store,
    files: testFiles(),
    clock: realClock(),
    minAuthMs,
  });
  function target(domain: string): string {
    const path = join(dir.path, "domains", domain, "users");
    mkdirSync(dirname(path), { recursive: true });
    return path;
  }
  return {
    db,
    users,
    store,
    configDir: dir.path,
    writeUsers: (domain, text) => writeFileSync(target(domain), text),
    copyUsers: (domain, fixture) =>
      copyFileSync(join(FIXTURES, fixture), target(domain)),
    async close() {
      await db.destroy();
      dir.cleanup();
    },
  };
}
