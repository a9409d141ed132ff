/**
 * The initial schema: users, queue (messages and recipients), domaininfo,
 * MTA-STS cache and a key/value table. Shipped migrations are append-only:
 * change the schema with a new `NNNN_name.ts`, never by editing this one.
 *
 * @module
 */

import { type Kysely, PostgresAdapter, sql } from "kysely";
import type { Migration } from "kysely/migration";

/** `bytea` on PostgreSQL, `blob` elsewhere: the one non-portable type. */
function binaryType(db: Kysely<unknown>): "bytea" | "blob" {
  return db.getExecutor().adapter instanceof PostgresAdapter ? "bytea" : "blob";
}

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable("users")
    .addColumn("address", "text", (c) => c.primaryKey())
    .addColumn("domain", "text", (c) => c.notNull())
    .addColumn("scheme", "text", (c) => c.notNull())
    .addColumn("log_n", "integer")
    .addColumn("r", "integer")
    .addColumn("p", "integer")
    .addColumn("key_len", "integer")
    .addColumn("salt", "text")
    .addColumn("encrypted", "text")
    .addColumn("password", "text")
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("source_file", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("users_domain").on("users")
    .columns(["domain", "address"]).execute();

  await db.schema.createTable("messages")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("from_addr", "text", (c) => c.notNull())
    .addColumn("to_addrs", "text", (c) => c.notNull())
    .addColumn("data", binaryType(db), (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("lease_owner", "text")
    .addColumn("lease_expires_at", "bigint")
    .addColumn("auth_as", "text")
    .addColumn("remote_addr", "text")
    .addColumn("params", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("status", "text", (c) => c.notNull().defaultTo("active"))
    .execute();
  // The delivery loop's scan: active items by due time.
  await db.schema.createIndex("messages_due").on("messages")
    .column("next_attempt_at").where(sql.ref("status"), "=", "active")
    .execute();
  await db.schema.createIndex("messages_created").on("messages")
    .column("created_at").execute();

  await db.schema.createTable("recipients")
    .addColumn(
      "message_id",
      "text",
      (c) => c.notNull().references("messages.id").onDelete("cascade"),
    )
    .addColumn("idx", "integer", (c) => c.notNull())
    .addColumn("address", "text", (c) => c.notNull())
    .addColumn("original_address", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .addColumn("via", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("params", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("recipients_pk", ["message_id", "idx"])
    .execute();

  await db.schema.createTable("domaininfo")
    .addColumn("domain", "text", (c) => c.primaryKey())
    .addColumn("incoming_sec_level", "integer", (c) => c.notNull())
    .addColumn("outgoing_sec_level", "integer", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema.createTable("sts_cache")
    .addColumn("domain", "text", (c) => c.primaryKey())
    .addColumn("policy", "text", (c) => c.notNull())
    .addColumn("fetched_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema.createTable("meta")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  for (
    const t of [
      "meta",
      "sts_cache",
      "domaininfo",
      "recipients",
      "messages",
      "users",
    ]
  ) {
    await db.schema.dropTable(t).execute();
  }
}

/** Migration 0001. */
export const migration: Migration = { up, down };
