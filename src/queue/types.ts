/**
 * The queue's storage contract. The queue owns this interface;
 * `queue_store.ts` implements it with Kysely, tests may fake it.
 *
 * @module
 */

/** Recipient kind. */
export type RecipientType = "email" | "pipe" | "forward";

/** Recipient delivery state. */
export type RecipientStatus = "pending" | "sent" | "failed";

/** A recipient about to be stored. */
export interface NewRecipient {
  /** Address, or the command line of a pipe alias. */
  readonly address: string;
  /** The RCPT TO address it came from. */
  readonly originalAddress: string;
  readonly type: RecipientType;
  /** Servers for `forward` (via) recipients. */
  readonly via: readonly string[];
}

/** An item about to be stored. */
export interface NewItem {
  readonly id: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly data: Uint8Array;
  readonly createdAt: number;
  readonly authAs: string;
  readonly remoteAddr: string;
  readonly recipients: readonly NewRecipient[];
}

/** A stored recipient. */
export interface StoredRecipient extends NewRecipient {
  readonly idx: number;
  readonly status: RecipientStatus;
  readonly attempts: number;
  readonly lastError: string;
  /** A failure DSN already covers this recipient. */
  readonly reported: boolean;
}

/** A stored item with its recipients. */
export interface StoredItem {
  readonly id: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly data: Uint8Array;
  readonly createdAt: number;
  /** A B-13 delay notice was already sent for this item. */
  readonly delayNotified: boolean;
  readonly recipients: readonly StoredRecipient[];
}

/** Persistence for queue items; every write is committed before it resolves. */
export interface QueueStore {
  /** Stores a new item durably, due now. */
  insert(item: NewItem): Promise<void>;
  /** Items in the queue (all instances). */
  count(): Promise<number>;
  /**
   * Leases up to `limit` due items to `owner` until `now + leaseMs` and
   * returns their ids. Items leased by others are skipped until it expires.
   */
  claimDue(
    now: number,
    owner: string,
    leaseMs: number,
    limit: number,
  ): Promise<string[]>;
  load(id: string): Promise<StoredItem | null>;
  /** Records one attempt's outcome for one recipient. */
  recordAttempt(
    id: string,
    idx: number,
    status: RecipientStatus,
    error: string,
    now: number,
  ): Promise<void>;
  /** Records that the item's delay notice was sent (one per item). */
  markDelayNotified(id: string, now: number): Promise<void>;
  /** Marks failed recipients as covered by a DSN. */
  markReported(id: string, idxs: readonly number[], now: number): Promise<void>;
  /** Sets the next attempt time and releases the lease. */
  reschedule(id: string, nextAttemptAt: number, now: number): Promise<void>;
  /**
   * Frees the leases `owner` holds: at start-up they belong to this
   * instance's previous life (a crash), so its items are due again now.
   */
  releaseLeases(owner: string, now: number): Promise<number>;
  /**
   * Makes every active, unleased item due at `now` (start-up: like
   * chasquid, a restart tries each unfinished item at once, Q-10).
   */
  dueNow(now: number): Promise<number>;
  /** Deletes a finished item. */
  remove(id: string): Promise<void>;
  /** Earliest `next_attempt_at` among active items, or null when empty. */
  nextDue(): Promise<number | null>;
}
