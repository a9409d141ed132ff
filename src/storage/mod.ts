/**
 * Storage: the Kysely factory, the schema and the static migrations
 * (DESIGN §5, STYLE "Storage").
 *
 * - `createDb({ sqlite, url, dataDir })` opens SQLite (`<dataDir>/chaski.db`
 *   by default; `sqlite:<path>`, a bare path or `:memory:`), sets WAL,
 *   `synchronous=FULL`, foreign keys and a busy timeout, and migrates.
 *   `postgres://` URLs are refused for now with "PostgreSQL support is not
 *   implemented yet".
 * - Only `src/storage/**` and `*_store.ts` files import Kysely; module logic
 *   sees the store interfaces its module owns.
 * - Portability rules for new migrations: text ids, integer-millisecond
 *   timestamps in `bigint` columns, integers for booleans, JSON as text,
 *   binary via `binaryType()` (`blob`/`bytea`). SQLite returns `bigint`
 *   columns as JS numbers; the PostgreSQL dialect must install a type parser
 *   so they come back as numbers too (ms timestamps fit in 2^53).
 *
 * @module
 */

export {
  createDb,
  type CreateDbOptions,
  type DbTarget,
  DEFAULT_SQLITE_FILE,
  migrate,
  parseDbUrl,
  StorageError,
} from "./db.ts";
export type * from "./schema.ts";
