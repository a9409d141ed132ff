/**
 * `QueueStore` on Kysely (SQLite now, PostgreSQL later): one `messages` row
 * per item and one `recipients` row per recipient, written in one
 * transaction before the 250. Claims are leases (owner + expiry) so
 * several instances can share one queue.
 *
 * @module
 */

import type { Kysely } from "kysely";
import type { Database } from "../storage/mod.ts";
import type {
  NewItem,
  QueueStore,
  RecipientStatus,
  StoredItem,
} from "./types.ts";

/** Creates the Kysely-backed store. */
export function createQueueStore(db: Kysely<Database>): QueueStore {
  return new KyselyQueueStore(db);
}

class KyselyQueueStore implements QueueStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(item: NewItem): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto("messages").values({
        id: item.id,
        from_addr: item.from,
        to_addrs: JSON.stringify(item.to),
        data: item.data,
        created_at: item.createdAt,
        updated_at: item.createdAt,
        next_attempt_at: item.createdAt,
        lease_owner: null,
        lease_expires_at: null,
        auth_as: item.authAs || null,
        remote_addr: item.remoteAddr || null,
        params: "{}",
        status: "active",
      }).execute();
      await trx.insertInto("recipients").values(
        item.recipients.map((r, idx) => ({
          message_id: item.id,
          idx,
          address: r.address,
          original_address: r.originalAddress,
          type: r.type,
          status: "pending" as const,
          attempts: 0,
          last_error: null,
          via: JSON.stringify(r.via),
          params: "{}",
          updated_at: item.createdAt,
        })),
      ).execute();
    });
  }

  async count(): Promise<number> {
    const r = await this.#db.selectFrom("messages").select((eb) =>
      eb.fn.countAll<number>().as("n")
    )
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async claimDue(
    now: number,
    owner: string,
    leaseMs: number,
    limit: number,
  ): Promise<string[]> {
    const due = this.#db.selectFrom("messages").select("id")
      .where("status", "=", "active")
      .where("next_attempt_at", "<=", now)
      .where((eb) =>
        eb.or([eb("lease_owner", "is", null), eb("lease_expires_at", "<", now)])
      )
      .orderBy("next_attempt_at").limit(limit);
    const rows = await this.#db.updateTable("messages")
      .set({ lease_owner: owner, lease_expires_at: now + leaseMs })
      .where("id", "in", due)
      .where((eb) =>
        eb.or([eb("lease_owner", "is", null), eb("lease_expires_at", "<", now)])
      )
      .returning("id").execute();
    return rows.map((r) => r.id);
  }

  async load(id: string): Promise<StoredItem | null> {
    const m = await this.#db.selectFrom("messages").selectAll().where(
      "id",
      "=",
      id,
    ).executeTakeFirst();
    if (!m) return null;
    const rs = await this.#db.selectFrom("recipients").selectAll().where(
      "message_id",
      "=",
      id,
    )
      .orderBy("idx").execute();
    return {
      id: m.id,
      from: m.from_addr,
      to: JSON.parse(m.to_addrs) as string[],
      data: new Uint8Array(m.data),
      createdAt: Number(m.created_at),
      delayNotified:
        (JSON.parse(m.params) as { delay?: boolean }).delay === true,
      recipients: rs.map((r) => ({
        idx: r.idx,
        address: r.address,
        originalAddress: r.original_address,
        type: r.type,
        via: JSON.parse(r.via) as string[],
        status: r.status,
        attempts: r.attempts,
        lastError: r.last_error ?? "",
        reported: (JSON.parse(r.params) as { dsn?: boolean }).dsn === true,
      })),
    };
  }

  async recordAttempt(
    id: string,
    idx: number,
    status: RecipientStatus,
    error: string,
    now: number,
  ): Promise<void> {
    await this.#db.updateTable("recipients")
      .set((eb) => ({
        status,
        last_error: error || null,
        attempts: eb("attempts", "+", 1),
        updated_at: now,
      }))
      .where("message_id", "=", id).where("idx", "=", idx).execute();
  }

  async markDelayNotified(id: string, now: number): Promise<void> {
    await this.#db.updateTable("messages")
      .set({ params: JSON.stringify({ delay: true }), updated_at: now })
      .where("id", "=", id).execute();
  }

  async markReported(
    id: string,
    idxs: readonly number[],
    now: number,
  ): Promise<void> {
    if (idxs.length === 0) return;
    await this.#db.updateTable("recipients")
      .set({ params: JSON.stringify({ dsn: true }), updated_at: now })
      .where("message_id", "=", id).where("idx", "in", [...idxs]).execute();
  }

  async reschedule(
    id: string,
    nextAttemptAt: number,
    now: number,
  ): Promise<void> {
    await this.#db.updateTable("messages")
      .set({
        next_attempt_at: nextAttemptAt,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: now,
      })
      .where("id", "=", id).execute();
  }

  async releaseLeases(owner: string, now: number): Promise<number> {
    const r = await this.#db.updateTable("messages")
      .set({ lease_owner: null, lease_expires_at: null, updated_at: now })
      .where("lease_owner", "=", owner).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async dueNow(now: number): Promise<number> {
    const r = await this.#db.updateTable("messages")
      .set({ next_attempt_at: now, updated_at: now })
      .where("status", "=", "active")
      .where("next_attempt_at", ">", now)
      .where((eb) =>
        eb.or([eb("lease_owner", "is", null), eb("lease_expires_at", "<", now)])
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async remove(id: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom("recipients").where("message_id", "=", id).execute();
      await trx.deleteFrom("messages").where("id", "=", id).execute();
    });
  }

  async nextDue(): Promise<number | null> {
    const r = await this.#db.selectFrom("messages").select((eb) =>
      eb.fn.min("next_attempt_at").as("t")
    )
      .where("status", "=", "active").executeTakeFirst();
    return r?.t == null ? null : Number(r.t);
  }
}
