/**
 * Test helpers for userdb: a real clock, the few `Files` methods the sync
 * uses (on `node:fs`), and a `UserDB` over an in-memory SQLite database.
 * Test-only.
 *
 * @module
 */

import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kysely } from "kysely";
import { createDb, type Database } from "../storage/mod.ts";
import { tempDir, testSqlite } from "../storage/_test_sqlite.ts";
import type { Clock, Files } from "../runtime/types.ts";
import { KyselyUserStore, UserDB } from "./mod.ts";

/** The repository's `testdata/userdb`. */
export const FIXTURES = fileURLToPath(
  new URL("../../testdata/userdb/", import.meta.url),
);

/** A wall clock. */
export function realClock(): Clock {
  return {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    setTimer(ms, fn) {
      let t = setTimeout(fn, ms);
      return {
        cancel: () => clearTimeout(t),
        reset(next) {
          clearTimeout(t);
          t = setTimeout(fn, next);
        },
      };
    },
  };
}

/** `Files` with only `stat` and `readBytes`; the rest throw. */
export function testFiles(): Files {
  const files: Partial<Files> = {
    async stat(path) {
      try {
        const s = await stat(path);
        return {
          isFile: s.isFile(),
          isDirectory: s.isDirectory(),
          isSymlink: false,
          size: s.size,
          mode: s.mode,
          mtimeMs: s.mtimeMs,
        };
      } catch (err) {
        if ((err as { code?: string }).code === "ENOENT") return null;
        throw err;
      }
    },
    readBytes: async (path) => new Uint8Array(await readFile(path)),
  };
  return new Proxy(files as Files, {
    get(target, prop) {
      const v = target[prop as keyof Files];
      if (v === undefined) {
        throw new Error(`testFiles: ${String(prop)} not implemented`);
      }
      return v;
    },
  });
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
