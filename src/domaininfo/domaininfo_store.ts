/**
 * `DomainInfoStore` over Kysely (the `domaininfo` table of
 * `src/storage/schema.ts`).
 *
 * @module
 */

import type { Kysely, Selectable } from "kysely";
import type { Database, DomaininfoTable } from "../storage/mod.ts";
import type {
  Direction,
  DomainInfoStore,
  DomainRecord,
  SecLevel,
} from "./types.ts";

const COLUMN = {
  incoming: "incoming_sec_level",
  outgoing: "outgoing_sec_level",
} as const satisfies Record<Direction, keyof DomaininfoTable>;

/** Domain security levels in the database. */
export class KyselyDomainInfoStore implements DomainInfoStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get(domain: string): Promise<DomainRecord | null> {
    const row = await this.#db.selectFrom("domaininfo").selectAll()
      .where("domain", "=", domain).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async raise(
    domain: string,
    change: { direction: Direction; level: SecLevel; now: number },
  ): Promise<void> {
    const col = COLUMN[change.direction];
    // One statement: insert, or raise only when the new level is higher
    // (CASE rather than max()/greatest(), which differ between dialects).
    await this.#db.insertInto("domaininfo")
      .values({
        domain,
        incoming_sec_level: 0,
        outgoing_sec_level: 0,
        [col]: change.level,
        updated_at: change.now,
      })
      .onConflict((oc) =>
        oc.column("domain").doUpdateSet((eb) => ({
          [col]: eb.case()
            .when(`excluded.${col}`, ">", eb.ref(`domaininfo.${col}`))
            .then(eb.ref(`excluded.${col}`))
            .else(eb.ref(`domaininfo.${col}`))
            .end(),
          updated_at: change.now,
        }))
      )
      .execute();
  }

  async list(): Promise<DomainRecord[]> {
    const rows = await this.#db.selectFrom("domaininfo").selectAll()
      .orderBy("domain").execute();
    return rows.map(fromRow);
  }

  async clear(domain: string, now: number): Promise<boolean> {
    const r = await this.#db.updateTable("domaininfo")
      .set({ incoming_sec_level: 0, outgoing_sec_level: 0, updated_at: now })
      .where("domain", "=", domain)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}

function fromRow(row: Selectable<DomaininfoTable>): DomainRecord {
  return {
    domain: row.domain,
    incoming: row.incoming_sec_level as SecLevel,
    outgoing: row.outgoing_sec_level as SecLevel,
    updatedAt: Number(row.updated_at),
  };
}
