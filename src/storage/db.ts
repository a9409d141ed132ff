/**
 * `createDb()`: opens the database named by the config's URL, applies the
 * connection settings and runs the static migrations.
 *
 * @module
 */

import { join } from "node:path";
import { Kysely, SqliteDialect } from "kysely";
import { type MigrationResult, Migrator } from "kysely/migration";
import type { Sqlite, SqliteDatabase } from "../runtime/types.ts";
import { MIGRATIONS } from "./migrations/mod.ts";
import type { Database } from "./schema.ts";

/** The database file used when the URL is empty. */
export const DEFAULT_SQLITE_FILE = "chaski.db";

/** Opening or migrating the database failed; the detail is in `cause`. */
export class StorageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageError";
  }
}

/** What `createDb()` needs. */
export interface CreateDbOptions {
  /** The runtime's SQLite driver. */
  readonly sqlite: Sqlite;
  /**
   * Where the data lives: `sqlite:<path>`, `sqlite:///<absolute path>`, a
   * bare path (relative paths are under `dataDir`), `:memory:` for tests,
   * or `postgres://…` (not implemented yet).
   * @default "" (`<dataDir>/chaski.db`)
   */
  readonly url?: string;
  /** Directory for relative SQLite paths. */
  readonly dataDir: string;
  /**
   * Run pending migrations before returning.
   * @default true
   */
  readonly migrate?: boolean;
}

/** What a database URL resolves to. */
export type DbTarget =
  | { readonly kind: "sqlite"; readonly path: string }
  | { readonly kind: "postgres"; readonly url: string };

/**
 * Resolves a database URL against `dataDir`.
 * @throws {StorageError} on an unknown scheme.
 */
export function parseDbUrl(url: string, dataDir: string): DbTarget {
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: "postgres", url };
  let path = url;
  if (/^sqlite:/i.test(path)) {
    path = path.slice("sqlite:".length);
    // `sqlite:///abs` (URL form) means `/abs`; `sqlite://rel` means `rel`.
    if (path.startsWith("//")) path = path.slice(2);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new StorageError(
      `database URL "${url}" has an unsupported scheme: use sqlite: or postgres://`,
    );
  }
  if (path === "") path = DEFAULT_SQLITE_FILE;
  if (path === ":memory:" || path.startsWith("/")) {
    return { kind: "sqlite", path };
  }
  return { kind: "sqlite", path: join(dataDir, path) };
}

/**
 * Opens the database and brings its schema up to date. SQLite runs in WAL
 * mode with `synchronous=FULL` (a commit is durable before the 250),
 * foreign keys on and a 5 s busy timeout.
 *
 * @throws {StorageError} when the database cannot be opened or a migration
 *   fails (start-up must stop); the driver's error is the `cause`.
 * @example
 * const db = await createDb({ sqlite: runtime.sqlite, url: "", dataDir });
 * // ... use stores ...
 * await db.destroy();
 */
export async function createDb(
  opts: CreateDbOptions,
): Promise<Kysely<Database>> {
  const target = parseDbUrl(opts.url ?? "", opts.dataDir);
  if (target.kind === "postgres") {
    // TODO(postgres): a `pg` dialect; the schema and migrations are ready.
    throw new StorageError("PostgreSQL support is not implemented yet");
  }
  const raw = openSqlite(opts.sqlite, target.path);
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: raw }),
  });
  if (opts.migrate ?? true) {
    try {
      await migrate(db);
    } catch (err) {
      await db.destroy();
      throw err;
    }
  }
  return db;
}

function openSqlite(sqlite: Sqlite, path: string): SqliteDatabase {
  let raw: SqliteDatabase;
  try {
    raw = sqlite.open(path);
  } catch (err) {
    throw new StorageError(`cannot open database "${path}"`, { cause: err });
  }
  try {
    raw.exec("PRAGMA journal_mode = WAL");
    raw.exec("PRAGMA synchronous = FULL");
    raw.exec("PRAGMA foreign_keys = ON");
    raw.exec("PRAGMA busy_timeout = 5000");
  } catch (err) {
    raw.close();
    throw new StorageError(`cannot set up database "${path}"`, { cause: err });
  }
  return raw;
}

/**
 * Applies every pending migration from `migrations/mod.ts`.
 * @returns the migrations applied by this call, by name.
 * @throws {StorageError} naming the failed migration, with the driver error as `cause`.
 */
export async function migrate(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r: MigrationResult) => r.status === "Error");
    const what = failed ? `migration "${failed.migrationName}"` : "migrations";
    throw new StorageError(`database ${what} failed`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === "Success")
    .map((r) => r.migrationName);
}
