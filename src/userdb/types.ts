/**
 * Types the userdb module owns: user records and the `UserStore` contract
 * that `userdb_store.ts` implements over the database.
 *
 * @module
 */

import type { Credential } from "./users_file.ts";

/** Where a user came from: `chaski user-add` or a chasquid `users` file. */
export type UserSource = "db" | "file";

/** One user as stored. */
export interface UserRecord {
  /** Normalised `user@domain`. */
  readonly address: string;
  /** Normalised domain. */
  readonly domain: string;
  readonly credential: Credential;
  readonly source: UserSource;
  /** The `users` file of a file user; `null` for database users. */
  readonly sourceFile: string | null;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Outcome of `UserStore.addDbUser()`. */
export type AddOutcome = "added" | "shadowed" | "exists";

/** Persistence for users. Addresses passed in are already normalised. */
export interface UserStore {
  get(address: string): Promise<UserRecord | null>;
  /** Every user, or a domain's, sorted by address. */
  list(domain?: string): Promise<UserRecord[]>;
  /**
   * Stores a database user. A file user of the same address is replaced
   * (`"shadowed"`); an existing database user is left alone (`"exists"`).
   */
  addDbUser(rec: UserRecord): Promise<AddOutcome>;
  /** Deletes the user if its source is `source`; false when none was. */
  remove(address: string, source: UserSource): Promise<boolean>;
  /**
   * Applies a users-file sync in one transaction: `put` inserts or updates
   * file users (never overwriting a database user), `remove` deletes file
   * users by address.
   */
  applyFileSync(
    changes: { put: readonly UserRecord[]; remove: readonly string[] },
  ): Promise<void>;
}
