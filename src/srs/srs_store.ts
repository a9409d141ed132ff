/**
 * The SRS keys in the database: the `meta` row `srs_keys`, a JSON array of
 * base64 keys, newest first.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../storage/mod.ts";

const META_KEY = "srs_keys";
const KEY_BYTES = 32;

/** Where the SRS keys live. */
export interface SrsKeyStore {
  /** The stored keys, newest first; empty when none were made yet. */
  load(): Promise<Uint8Array[]>;
  /** Replaces the stored keys. */
  save(keys: readonly Uint8Array[], now: number): Promise<void>;
}

/** `SrsKeyStore` over the `meta` table. */
export class KyselySrsKeyStore implements SrsKeyStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async load(): Promise<Uint8Array[]> {
    const row = await this.#db.selectFrom("meta").select("value")
      .where("key", "=", META_KEY).executeTakeFirst();
    if (!row) return [];
    const list = JSON.parse(row.value) as unknown;
    if (!Array.isArray(list)) {
      throw new TypeError("meta srs_keys is not a list");
    }
    return list.map((k) => new Uint8Array(Buffer.from(String(k), "base64")));
  }

  async save(keys: readonly Uint8Array[], now: number): Promise<void> {
    const value = JSON.stringify(
      keys.map((k) => Buffer.from(k).toString("base64")),
    );
    await this.#db.insertInto("meta")
      .values({ key: META_KEY, value, updated_at: now })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet({ value, updated_at: now })
      )
      .execute();
  }
}

/** The stored keys; at first start, one new random key, stored before use. */
export async function loadSrsKeys(
  store: SrsKeyStore,
  opts: { now: number },
): Promise<Uint8Array[]> {
  const keys = await store.load();
  if (keys.length > 0) return keys;
  const fresh = [new Uint8Array(randomBytes(KEY_BYTES))];
  await store.save(fresh, opts.now);
  return fresh;
}

/** Adds a new signing key; the old ones stay valid for verification. */
export async function rotateSrsKeys(
  store: SrsKeyStore,
  opts: { now: number },
): Promise<Uint8Array[]> {
  const keys = [new Uint8Array(randomBytes(KEY_BYTES)), ...await store.load()];
  await store.save(keys, opts.now);
  return keys;
}
