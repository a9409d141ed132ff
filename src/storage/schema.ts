/**
 * Table types of chaski's database, shared by every store (`*_store.ts`).
 *
 * The schema is portable between SQLite and PostgreSQL: ids and addresses
 * are text, timestamps are integer milliseconds since the epoch (`bigint`
 * columns), booleans and enums are integers or text checked by the code,
 * JSON is stored as text, and binary data (message bodies) is the one
 * dialect-specific type (`blob` on SQLite, `bytea` on PostgreSQL).
 *
 * @module
 */

import type { ColumnType } from "kysely";

/** How a user's password is stored (F-03). */
export type UserScheme = "scrypt" | "plain" | "denied";

/** Where a user came from: `chaski user-add` or a chasquid `users` file. */
export type UserSource = "db" | "file";

/**
 * `users`: one row per address. A database user and a file user of the same
 * address cannot both exist: the database user shadows the file one, which
 * the users-file sync then leaves alone.
 */
export interface UsersTable {
  /** Normalised `user@domain` (PRECIS user, IDNA Unicode domain). */
  address: string;
  /** The normalised domain part, for per-domain listing and sync. */
  domain: string;
  scheme: UserScheme;
  /** scrypt parameters; `null` for other schemes. */
  log_n: number | null;
  r: number | null;
  p: number | null;
  key_len: number | null;
  /** scrypt salt, base64. */
  salt: string | null;
  /** scrypt derived key, base64. */
  encrypted: string | null;
  /** The clear-text password of a `plain` user (chasquid's debug scheme). */
  password: string | null;
  source: UserSource;
  /** The `users` file a file user came from, for error messages. */
  source_file: string | null;
  /** Milliseconds since the epoch. */
  created_at: number;
  updated_at: number;
}

/** Queue item state; finished items are deleted by the queue. */
export type MessageStatus = "active" | "held";

/** `messages`: one queued item, with its lease (DESIGN §5). */
export interface MessagesTable {
  /** The Q-01 item id: base64url of 8 random bytes. */
  id: string;
  /** Envelope sender, `""` for the null sender `<>`. */
  from_addr: string;
  /** The original RCPT TO list as given by the client, JSON array of strings. */
  to_addrs: string;
  /** The message as received, headers included. */
  data: Uint8Array;
  created_at: number;
  updated_at: number;
  /** When the delivery loop should next look at the item. */
  next_attempt_at: number;
  /** Instance currently working the item, `null` when free. */
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** The authenticated user that submitted it, `null` when none. */
  auth_as: string | null;
  /** Client address (`ip` or `ip:port`), `null` for local sources (DSNs). */
  remote_addr: string | null;
  /**
   * MAIL parameters and other per-item flags as a JSON object (B-11
   * REQUIRETLS, B-13 RET/ENVID, delay-notice sent, ...). `"{}"` when none.
   */
  params: string;
  status: MessageStatus;
}

/** Recipient kind. */
export type RecipientType = "email" | "pipe" | "forward";

/** Recipient delivery state. */
export type RecipientStatus = "pending" | "sent" | "failed";

/** `recipients`: the expanded recipients of a message, in order. */
export interface RecipientsTable {
  message_id: string;
  /** Position in the item, from 0; with `message_id` the primary key. */
  idx: number;
  /** Where to deliver: an address, or the command line of a pipe alias. */
  address: string;
  /** The RCPT TO address that expanded to this recipient. */
  original_address: string;
  type: RecipientType;
  status: RecipientStatus;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  /** Forward-via servers, JSON array of strings; `"[]"` when none. */
  via: string;
  /** Per-recipient parameters (B-13 NOTIFY, ORCPT) as a JSON object. */
  params: string;
  updated_at: number;
}

/** `domaininfo`: security levels per domain (SL-01..SL-06). */
export interface DomaininfoTable {
  domain: string;
  /** SL-01 level number: PLAIN=0, TLS_CLIENT=1. */
  incoming_sec_level: number;
  /** SL-01 level number: PLAIN=0, TLS_INSECURE=2, TLS_SECURE=3. */
  outgoing_sec_level: number;
  updated_at: number;
}

/** `sts_cache`: MTA-STS policies by policy domain. */
export interface StsCacheTable {
  domain: string;
  /** The parsed policy as JSON. */
  policy: string;
  fetched_at: number;
  expires_at: number;
}

/** `meta`: small key/value settings (e.g. generated secrets). */
export interface MetaTable {
  key: string;
  value: string;
  updated_at: number;
}

/** The whole database, as Kysely sees it. */
export interface Database {
  users: UsersTable;
  messages: MessagesTable;
  recipients: RecipientsTable;
  domaininfo: DomaininfoTable;
  sts_cache: StsCacheTable;
  meta: MetaTable;
}
