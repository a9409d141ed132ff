/**
 * `UserStore` over Kysely (the `users` table of `src/storage/schema.ts`).
 * Hash bytes are stored as base64 text so the table is the same on SQLite
 * and PostgreSQL.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Kysely, Selectable, Transaction } from "kysely";
import type { Database, UsersTable } from "../storage/mod.ts";
import type { AddOutcome, UserRecord, UserSource, UserStore } from "./types.ts";
import type { Credential } from "./users_file.ts";

type Db = Kysely<Database> | Transaction<Database>;

/** Users in the database. */
export class KyselyUserStore implements UserStore {
  #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get(address: string): Promise<UserRecord | null> {
    return await getUser(this.#db, address);
  }

  async list(domain?: string): Promise<UserRecord[]> {
    let q = this.#db.selectFrom("users").selectAll();
    if (domain !== undefined) q = q.where("domain", "=", domain);
    const rows = await q.orderBy("address").execute();
    return rows.map(fromRow);
  }

  addDbUser(rec: UserRecord): Promise<AddOutcome> {
    return this.#db.transaction().execute(async (trx) => {
      const old = await getUser(trx, rec.address);
      if (old?.source === "db") return "exists";
      const row = toRow({ ...rec, source: "db", sourceFile: null });
      if (old === null) {
        await trx.insertInto("users").values(row).execute();
        return "added";
      }
      await trx.updateTable("users").set(row).where("address", "=", rec.address)
        .execute();
      return "shadowed";
    });
  }

  async remove(address: string, source: UserSource): Promise<boolean> {
    const r = await this.#db.deleteFrom("users")
      .where("address", "=", address).where("source", "=", source)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async applyFileSync(
    changes: { put: readonly UserRecord[]; remove: readonly string[] },
  ): Promise<void> {
    if (changes.put.length === 0 && changes.remove.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (const rec of changes.put) {
        const row = toRow({ ...rec, source: "file" });
        const { created_at: _, ...update } = row;
        await trx.insertInto("users").values(row)
          .onConflict((oc) =>
            oc.column("address").doUpdateSet(update)
              .where("users.source", "=", "file")
          )
          .execute();
      }
      for (const address of changes.remove) {
        await trx.deleteFrom("users").where("address", "=", address)
          .where("source", "=", "file").execute();
      }
    });
  }
}

async function getUser(db: Db, address: string): Promise<UserRecord | null> {
  const row = await db.selectFrom("users").selectAll()
    .where("address", "=", address).executeTakeFirst();
  return row === undefined ? null : fromRow(row);
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function unb64(text: string | null): Uint8Array {
  return new Uint8Array(Buffer.from(text ?? "", "base64"));
}

function toRow(rec: UserRecord): UsersTable {
  const c = rec.credential;
  const h = c.scheme === "scrypt" ? c.hash : null;
  return {
    address: rec.address,
    domain: rec.domain,
    scheme: c.scheme,
    log_n: h?.logN ?? null,
    r: h?.r ?? null,
    p: h?.p ?? null,
    key_len: h?.keyLen ?? null,
    salt: h ? b64(h.salt) : null,
    encrypted: h ? b64(h.encrypted) : null,
    password: c.scheme === "plain" ? c.password : null,
    source: rec.source,
    source_file: rec.sourceFile,
    created_at: rec.createdAt,
    updated_at: rec.updatedAt,
  };
}

function credentialOf(row: Selectable<UsersTable>): Credential {
  switch (row.scheme) {
    case "scrypt":
      return {
        scheme: "scrypt",
        hash: {
          logN: Number(row.log_n),
          r: Number(row.r),
          p: Number(row.p),
          keyLen: Number(row.key_len),
          salt: unb64(row.salt),
          encrypted: unb64(row.encrypted),
        },
      };
    case "plain":
      return { scheme: "plain", password: row.password ?? "" };
    default:
      // Unknown schemes fail closed: the user exists but cannot log in.
      return { scheme: "denied" };
  }
}

function fromRow(row: Selectable<UsersTable>): UserRecord {
  return {
    address: row.address,
    domain: row.domain,
    credential: credentialOf(row),
    source: row.source === "file" ? "file" : "db",
    sourceFile: row.source_file,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
