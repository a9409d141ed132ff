/**
 * `StsStore` over Kysely: the `sts_cache` table of `src/storage/schema.ts`.
 * The policy is kept as JSON in chasquid's cache file shape (F-09:
 * `{version, mode, mx, max_age}`), times as milliseconds since the epoch.
 *
 * @module
 */

import type { Kysely } from "kysely";
import type { Database } from "../storage/mod.ts";

/** One cached policy, as stored. */
export interface StsCacheEntry {
  /** The policy domain, lower-case ASCII. */
  readonly domain: string;
  /** The policy as JSON `{version, mode, mx, max_age}`. */
  readonly policy: string;
  readonly fetchedAt: number;
  readonly expiresAt: number;
}

/** Where `StsCache` keeps policies. */
export interface StsStore {
  get(domain: string): Promise<StsCacheEntry | null>;
  /** Inserts or replaces the entry of `entry.domain`. */
  put(entry: StsCacheEntry): Promise<void>;
  /** Every cached domain, sorted. */
  domains(): Promise<string[]>;
}

/** The policy cache in the database. */
export class KyselyStsStore implements StsStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get(domain: string): Promise<StsCacheEntry | null> {
    const row = await this.#db.selectFrom("sts_cache").selectAll()
      .where("domain", "=", domain).executeTakeFirst();
    if (!row) return null;
    return {
      domain: row.domain,
      policy: row.policy,
      fetchedAt: Number(row.fetched_at),
      expiresAt: Number(row.expires_at),
    };
  }

  async put(e: StsCacheEntry): Promise<void> {
    const row = {
      domain: e.domain,
      policy: e.policy,
      fetched_at: e.fetchedAt,
      expires_at: e.expiresAt,
    };
    await this.#db.insertInto("sts_cache").values(row)
      .onConflict((oc) =>
        oc.column("domain").doUpdateSet({
          policy: row.policy,
          fetched_at: row.fetched_at,
          expires_at: row.expires_at,
        })
      ).execute();
  }

  async domains(): Promise<string[]> {
    const rows = await this.#db.selectFrom("sts_cache").select("domain")
      .orderBy("domain").execute();
    return rows.map((r) => r.domain);
  }
}
