/**
 * The queue: durable admission of accepted mail and the delivery loop.
 *
 * Contract (BEHAVIOUR.md §18):
 * - `put()` stores the envelope and the message in one committed
 *   transaction before it resolves, so the 250 is sent only for mail on
 *   disk. When `max_queue_items` items are queued it refuses with
 *   `451 4.3.0`; the default is 10000 because items live in the
 *   database, not in memory as in chasquid (200).
 * - Item ids are base64url of 8 random bytes.
 * - The delivery loop leases due items (owner + expiry, so a crashed
 *   instance's items come back after the lease), tries every pending
 *   recipient, and records each result as it comes.
 * - Retries follow Q-07: by item age < 1 min wait 1 min, < 5 min wait 5,
 *   < 10 min wait 10, else 20 min, plus 0–60 s jitter. After
 *   `give_up_send_after` the pending recipients fail as timed out.
 * - Restart resumes every unfinished row and tries it at once.
 *
 * - Alias expansion happens at enqueue: later alias edits do not
 *   change queued mail. A resolution error refuses the message (S-48).
 * - Hard failures get one DSN at the end of the round they happen in (Q-09,
 *   fixed), timed-out recipients one at give-up; each recipient appears in
 *   at most one failure DSN (a per-recipient flag, set after the DSN is
 *   committed, so a crash in between can only repeat it, never lose it).
 *   No DSN for the null sender; DSNs are queued from `<>` like any mail.
 * - One delay notice per item after 4 h with recipients still pending (B-13).
 * - At most `perDomain` deliveries per destination domain at once; remote
 *   recipients of one domain share one transaction (see `delivery.ts`).
 *
 * @module
 */

import { SmtpError } from "../smtp/errors.ts";
import type { Clock } from "../runtime/types.ts";
import type { Logger } from "../log/mod.ts";
import type { MailLog } from "../maillog/mod.ts";
import type { Envelope, QueuePutter } from "../smtpsrv/types.ts";
import type {
  NewRecipient,
  QueueStore,
  StoredItem,
  StoredRecipient,
} from "./types.ts";
import { buildDsn, type DsnRecipient, reportingDomain } from "./dsn.ts";
import {
  type Couriers,
  deliverRound,
  type ForwardSealer,
  Limiter,
  type SenderRewriter,
} from "./delivery.ts";
import { MetricsRegistry } from "../monitoring/mod.ts";

export type * from "./types.ts";
export { createQueueStore } from "./queue_store.ts";
export { DELAY_NOTICE_AFTER_MS, newId, nextDelay } from "./schedule.ts";
import { DELAY_NOTICE_AFTER_MS, newId, nextDelay } from "./schedule.ts";
import { declareMetrics } from "./_metrics.ts";
export {
  type BatchCourier,
  type Couriers,
  type ForwardSealer,
  Limiter,
  type PipeCourierLike,
  senderFor,
  type SenderRewriter,
} from "./delivery.ts";

/** A recipient as alias expansion returns it. */
export interface ExpandedRecipient {
  readonly type: "email" | "pipe" | "forward";
  readonly address: string;
  readonly via: readonly string[];
}

/** What the queue needs. */
export interface QueueProps {
  readonly store: QueueStore;
  readonly couriers: Couriers;
  readonly localDomains: () => ReadonlySet<string>;
  /**
   * Alias expansion at enqueue; throws when resolution fails.
   * @default every recipient is itself
   */
  readonly expand?: (rcpt: string) => Promise<readonly ExpandedRecipient[]>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly maillog: MailLog;
  /** `max_queue_items`. @default 10000 */
  readonly maxItems: number;
  /** Milliseconds. @default 20h */
  readonly giveUpAfterMs: number;
  /** Items delivered at once. @default 16 */
  readonly concurrency?: number;
  /** Concurrent deliveries per destination domain. @default 5 */
  readonly perDomain?: number;
  /**
   * This instance's lease owner name: stable across restarts of the same
   * instance (e.g. host and data dir), so its own stale leases are freed at
   * start. @default random
   */
  readonly owner?: string;
  /** How long a claim lasts. @default 10 min */
  readonly leaseMs?: number;
  /** Random source for jitter, [0, 1). @default Math.random */
  readonly random?: () => number;
  /**
   * Signs a DSN or delay notice with the reporting domain's DKIM keys
   * (DK-01 fix: strict receivers take signed bounces); returns the message
   * unchanged when the domain has no keys. A signing error sends it unsigned.
   * @default notices are not signed
   */
  readonly signNotice?: (message: Uint8Array, domain: string) => Uint8Array;
  /** Where the Q-13 metrics are counted. @default a private registry */
  readonly metrics?: MetricsRegistry;
  /**
   * The SRS rewrite of senders forwarded to remote addresses (B-09).
   * @default forwarded senders are kept
   */
  readonly rewriteSender?: SenderRewriter;
  /**
   * ARC sealing of messages an alias sends to remote addresses (B-08),
   * done at delivery time for those recipients only.
   * @default not sealed
   */
  readonly sealForward?: ForwardSealer;
}

const COUNT_REFRESH_MS = 5_000;

/** The queue and its delivery loop. */
export class Queue implements QueuePutter {
  readonly #p: QueueProps;
  readonly #owner: string;
  readonly #active = new Set<Promise<void>>();
  readonly #limiter: Limiter;
  readonly #m: ReturnType<typeof declareMetrics>;
  #count = { n: 0, at: -Infinity };
  #stopped = true;
  #wake: (() => void) | null = null;
  #kicked = false;
  #loop: Promise<void> | null = null;

  constructor(props: QueueProps) {
    this.#p = props;
    this.#owner = props.owner ?? `chaski-${newId()}`;
    this.#limiter = new Limiter(props.perDomain ?? 5);
    this.#m = declareMetrics(props.metrics ?? new MetricsRegistry());
  }

  /** Stores a message durably; resolves with its id once committed. */
  async put(env: Envelope): Promise<string> {
    this.#m.putCount.inc();
    if (await this.#queued() >= this.#p.maxItems) {
      throw new SmtpError(451, "4.3.0", "Queue is full, try again later");
    }
    const recipients: NewRecipient[] = [];
    for (const to of env.to) {
      for (const r of await this.#expand(to)) {
        recipients.push({ ...r, originalAddress: to });
      }
    }
    const id = newId();
    await this.#p.store.insert({
      id,
      from: env.from,
      to: env.to,
      data: env.data,
      createdAt: this.#p.clock.now(),
      authAs: env.authAs,
      remoteAddr: env.remoteAddr,
      recipients,
    });
    this.#m.itemsWritten.inc();
    this.#count.n++;
    this.kick();
    return id;
  }

  /**
   * Items in the queue, from a running count re-read from the database
   * every few seconds (other instances add and remove items too), so
   * admission costs no query per message.
   */
  async #queued(): Promise<number> {
    const now = this.#p.clock.now();
    if (now - this.#count.at > COUNT_REFRESH_MS) {
      this.#count = { n: await this.#p.store.count(), at: now };
    }
    return this.#count.n;
  }

  async #expand(to: string): Promise<readonly ExpandedRecipient[]> {
    if (!this.#p.expand) return [{ type: "email", address: to, via: [] }];
    try {
      return await this.#p.expand(to);
    } catch (err) {
      this.#p.log.error("alias resolution failed", { rcpt: to, error: err });
      throw new SmtpError(
        451,
        "4.3.0",
        `Could not queue: alias resolution failed for ${to}`,
        { cause: err },
      );
    }
  }

  /** Starts the delivery loop. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#releaseOwnLeases().then(() => this.#run());
  }

  /** Asks the loop to look for due items now. */
  kick(): void {
    this.#kicked = true;
    this.#wake?.();
  }

  /** Stops claiming; waits for in-flight deliveries (their state is saved). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled([...this.#active]);
  }

  async #releaseOwnLeases(): Promise<void> {
    try {
      const n = await this.#p.store.releaseLeases(
        this.#owner,
        this.#p.clock.now(),
      );
      if (n > 0) {
        this.#p.log.info(`resuming ${n} items interrupted by a previous stop`);
      }
      // after a restart every unfinished item is tried at once.
      await this.#p.store.dueNow(this.#p.clock.now());
    } catch (err) {
      this.#p.log.error("releasing stale leases failed", { error: err });
    }
  }

  async #run(): Promise<void> {
    const limit = this.#p.concurrency ?? 16;
    while (!this.#stopped) {
      this.#kicked = false;
      const free = limit - this.#active.size;
      if (free > 0) {
        try {
          const now = this.#p.clock.now();
          const ids = await this.#p.store.claimDue(
            now,
            this.#owner,
            this.#p.leaseMs ?? 600_000,
            free,
          );
          for (const id of ids) this.#track(this.#process(id));
        } catch (err) {
          this.#p.log.error("queue scan failed", { error: err });
        }
      }
      if (!this.#kicked && !this.#stopped) await this.#idle();
    }
  }

  #track(p: Promise<void>): void {
    const t = p.finally(() => {
      this.#active.delete(t);
      this.kick();
    });
    this.#active.add(t);
  }

  /** Sleeps until kicked, or until the next due item (at most 30 s). */
  async #idle(): Promise<void> {
    let wait = 30_000;
    try {
      const next = await this.#p.store.nextDue();
      if (next !== null) {
        wait = Math.max(50, Math.min(wait, next - this.#p.clock.now()));
      }
    } catch { /* the next scan logs it */ }
    if (this.#kicked) return;
    await new Promise<void>((resolve) => {
      const timer = this.#p.clock.setTimer(wait, () => resolve());
      this.#wake = () => {
        timer.cancel();
        resolve();
      };
    });
    this.#wake = null;
  }

  async #process(id: string): Promise<void> {
    try {
      const item = await this.#p.store.load(id);
      if (!item) return;
      await this.#attempt(item);
    } catch (err) {
      this.#p.log.error("delivering item failed", { id, error: err });
      await this.#p.store.reschedule(
        id,
        this.#p.clock.now() + 60_000,
        this.#p.clock.now(),
      ).catch(() => {});
    }
  }

  async #attempt(item: StoredItem): Promise<void> {
    const outcomes = await deliverRound(item, {
      store: this.#p.store,
      couriers: this.#p.couriers,
      isLocal: (d) => this.#p.localDomains().has(d),
      now: () => this.#p.clock.now(),
      log: this.#p.log,
      maillog: this.#p.maillog,
      domainLimiter: this.#limiter,
      deliverAttempts: this.#m.deliverAttempts,
      ...(this.#p.rewriteSender
        ? { rewriteSender: this.#p.rewriteSender }
        : {}),
      ...(this.#p.sealForward ? { sealForward: this.#p.sealForward } : {}),
    });
    // The round's results are saved as they come: one write of the item.
    this.#m.itemsWritten.inc();
    const now = this.#p.clock.now();
    const age = now - item.createdAt;
    const giveUp = age >= this.#p.giveUpAfterMs;
    const failures: DsnRecipient[] = [];
    const failedIdx: number[] = [];
    const pending: StoredRecipient[] = [];
    for (const r of item.recipients) {
      const o = outcomes.get(r.idx);
      if (o?.status === "pending" && giveUp) {
        await this.#p.store.recordAttempt(
          item.id,
          r.idx,
          "failed",
          `gave up: ${o.error}`,
          now,
        );
        failures.push(dsnRecipient(r, "timeout", o.error));
      } else if (o?.status === "pending") {
        pending.push({ ...r, lastError: o.error });
        continue;
      } else if (o?.status === "failed") {
        failures.push(dsnRecipient(r, "failed", o.error));
      } else if (r.status === "failed" && !r.reported) {
        failures.push(dsnRecipient(r, "failed", r.lastError)); // from before a crash
      } else continue;
      failedIdx.push(r.idx);
    }
    // Q-09 (fixed): hard failures are reported at the end of this round.
    const bounced = await this.#notify(item, failures, "failure");
    if (bounced) await this.#p.store.markReported(item.id, failedIdx, now);
    if (pending.length === 0 && bounced) {
      await this.#finish(item);
      return;
    }
    if (
      pending.length > 0 && !item.delayNotified && age >= DELAY_NOTICE_AFTER_MS
    ) {
      const ok = await this.#notify(
        item,
        pending.map((r) => dsnRecipient(r, "delayed", r.lastError)),
        "delay",
      );
      if (ok) await this.#p.store.markDelayNotified(item.id, now);
    }
    // A bounce that could not be queued is retried in a minute.
    const delay = pending.length === 0
      ? 60_000
      : nextDelay(age, this.#p.random ?? Math.random);
    await this.#p.store.reschedule(item.id, now + delay, now);
    this.#p.maillog.queueLoop(item.id, item.from, delay);
  }

  /**
   * Queues a failure DSN or a delay notice to the sender (never for the
   * null sender). Returns false when it could not be queued (queue full).
   */
  async #notify(
    item: StoredItem,
    rcpts: DsnRecipient[],
    kind: "failure" | "delay",
  ): Promise<boolean> {
    if (rcpts.length === 0 || item.from === "") return true;
    const isLocal = (d: string) => this.#p.localDomains().has(d);
    const domain = reportingDomain(item.from, item.to, isLocal);
    let data = buildDsn({
      id: newId(),
      reportingDomain: domain,
      sender: item.from,
      recipients: rcpts,
      original: item.data,
      date: new Date(this.#p.clock.now()),
      kind,
    });
    try {
      data = this.#p.signNotice?.(data, domain) ?? data;
    } catch (err) {
      this.#p.log.error(
        "could not DKIM-sign a delivery notice, sending it unsigned",
        { id: item.id, error: err },
      );
    }
    try {
      const id = await this.put({
        from: "",
        to: [item.from],
        data,
        authAs: "",
        remoteAddr: "",
      });
      this.#m.dsnQueued.inc();
      this.#p.log.info(
        `${kind === "failure" ? "DSN" : "delay notice"} queued`,
        { id: item.id, dsn: id },
      );
      return true;
    } catch (err) {
      this.#p.log.error("could not queue a delivery notice, will retry", {
        id: item.id,
        error: err,
      });
      return false;
    }
  }

  async #finish(item: StoredItem): Promise<void> {
    await this.#p.store.remove(item.id);
    this.#count.n = Math.max(0, this.#count.n - 1);
    this.#p.maillog.queueLoop(item.id, item.from, null);
  }
}

function dsnRecipient(
  r: StoredRecipient,
  status: DsnRecipient["status"],
  error: string,
): DsnRecipient {
  return {
    address: r.address,
    originalAddress: r.originalAddress,
    type: r.type,
    status,
    error,
  };
}
