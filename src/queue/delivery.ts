/**
 * One delivery round of one queue item: route each pending recipient to its
 * courier, batch remote recipients of one domain (or one `via` list) into
 * one transaction, cap concurrent deliveries per destination domain, and
 * record every result as it comes.
 *
 * Routing (CO-01): `pipe` → the pipe courier; `forward` → SMTP through the
 * listed servers; `email` to a local domain → the local courier (MDA or
 * LMTP); `email` elsewhere → SMTP through MX.
 *
 * Sender rewriting for forwards (B-09, replacing CO-06 and fixing CO-07):
 * when a non-local sender's mail is expanded by an alias to a remote
 * address, the envelope sender becomes the SRS address the queue's
 * `rewriteSender` makes at the alias's domain (`src/srs`), so SPF at the
 * next hop sees our domain and bounces come back to the original sender;
 * direct remote recipients keep the MAIL FROM.
 *
 * ARC sealing (B-08) happens here too, at delivery time: the recipients an
 * alias sent to a remote address (whatever the sender) are grouped by the
 * alias's domain, and each such group gets the message as the queue's
 * `sealForward` returns it for that domain (an ARC set on top). Direct
 * recipients, local ones and pipes get the message as queued.
 *
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type { MailLog } from "../maillog/mod.ts";
import type { Courier, DeliveryResult } from "../courier/types.ts";
import { domainOf, split } from "../envelope/mod.ts";
import { domainToAscii } from "../normalize/mod.ts";
import type { QueueStore, StoredItem, StoredRecipient } from "./types.ts";
import type { Counter, MetricsRegistry } from "../monitoring/mod.ts";

/** the delivery round's metric, declared against the queue's registry. */
export function declareDeliveryMetrics(
  registry: MetricsRegistry,
): { deliverAttempts: Counter } {
  return {
    deliverAttempts: registry.counter(
      "chasquid/queue/deliverAttempts",
      "attempts to deliver mail, by recipient type",
      "recipient_type",
    ),
  };
}

/** Delivers to several recipients of one domain (or one via list) at once. */
export interface BatchCourier {
  deliverBatch(req: {
    from: string;
    to: readonly string[];
    data: Uint8Array;
    via?: readonly string[];
  }): Promise<{ results: DeliveryResult[] }>;
}

/** Runs pipe aliases. */
export interface PipeCourierLike {
  deliver(
    from: string,
    argv: readonly string[],
    data: Uint8Array,
  ): Promise<DeliveryResult>;
}

/** The couriers a round uses. */
export interface Couriers {
  readonly local: Courier;
  /**
   * Delivers to several local recipients in one go (LMTP), one result per
   * recipient; when absent, local recipients are delivered one by one.
   */
  readonly localBatch?: (
    from: string,
    to: readonly string[],
    data: Uint8Array,
  ) => Promise<DeliveryResult[]>;
  readonly remote: BatchCourier;
  readonly pipe: PipeCourierLike;
}

/** What a round needs. */
export interface RoundDeps {
  readonly store: QueueStore;
  readonly couriers: Couriers;
  readonly isLocal: (domain: string) => boolean;
  readonly now: () => number;
  readonly log: Logger;
  readonly maillog: MailLog;
  readonly domainLimiter: Limiter;
  /** Recipients per SMTP transaction. @default 100 */
  readonly maxBatch?: number;
  /** Counts one attempt per recipient. @default not counted */
  readonly deliverAttempts?: Counter;
  /** The SRS rewrite of forwarded senders (B-09). @default not rewritten */
  readonly rewriteSender?: SenderRewriter;
  /** ARC sealing of forwarded messages (B-08). @default not sealed */
  readonly sealForward?: ForwardSealer;
}

/**
 * Returns the message to forward for an alias of `aliasDomain`, with an ARC
 * set on top; returns it unchanged when it cannot seal (and says why in the
 * log), never throws.
 */
export type ForwardSealer = (
  data: Uint8Array,
  aliasDomain: string,
) => Promise<Uint8Array>;

/** Rewrites `sender` for mail forwarded by an alias of `aliasDomain` (SRS). */
export type SenderRewriter = (sender: string, aliasDomain: string) => string;

/** The outcome of one recipient in one round, with the error when it failed. */
export interface RoundOutcome {
  readonly status: "sent" | "failed" | "pending";
  readonly error: string;
}

/** Bounds concurrent work per key (destination domain). */
export class Limiter {
  readonly #max: number;
  readonly #active = new Map<string, number>();
  readonly #waiting = new Map<string, (() => void)[]>();

  /** @param max concurrent holders per key */
  constructor(max: number) {
    this.#max = max;
  }

  /** Runs `fn` once fewer than `max` others hold `key`. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    while ((this.#active.get(key) ?? 0) >= this.#max) {
      await new Promise<void>((r) =>
        this.#waiting.set(key, [...(this.#waiting.get(key) ?? []), r])
      );
    }
    this.#active.set(key, (this.#active.get(key) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      const n = (this.#active.get(key) ?? 1) - 1;
      if (n === 0) this.#active.delete(key);
      else this.#active.set(key, n);
      const next = this.#waiting.get(key)?.shift();
      if (this.#waiting.get(key)?.length === 0) this.#waiting.delete(key);
      next?.();
    }
  }
}

/**
 * The envelope sender to use for `r` (B-09, CO-07 fixed): rewritten only
 * for a non-local sender's mail that an alias sent to a remote address.
 */
export function senderFor(
  from: string,
  r: StoredRecipient,
  opts: { isLocal: (d: string) => boolean; rewrite?: SenderRewriter },
): string {
  const { isLocal, rewrite } = opts;
  if (from === "" || !rewrite || isLocal(domainOf(from))) return from;
  const domain = forwardedBy(r, isLocal);
  return domain === null ? from : rewrite(from, domain);
}

/**
 * The alias domain (IDNA ASCII) when `r` is a remote address an alias
 * produced (email or via), else null.
 */
export function forwardedBy(
  r: StoredRecipient,
  isLocal: (d: string) => boolean,
): string | null {
  if (r.type === "pipe") return null;
  const expanded = r.address !== r.originalAddress || r.type === "forward";
  if (!expanded || (r.type === "email" && isLocal(domainOf(r.address)))) {
    return null;
  }
  return domainToAscii(split(r.originalAddress)[1]);
}

/** Runs one round over the item's pending recipients; returns their statuses by idx. */
export async function deliverRound(
  item: StoredItem,
  deps: RoundDeps,
): Promise<Map<number, RoundOutcome>> {
  const out = new Map<number, RoundOutcome>();
  const jobs: Promise<void>[] = [];
  for (const group of groupRecipients(item, deps)) {
    jobs.push(deps.domainLimiter.run(group.dest, async () => {
      for (const r of group.recipients) {
        deps.deliverAttempts?.inc(recipientType(r, deps));
      }
      const results = await runGroup(item, group, deps);
      for (let i = 0; i < group.recipients.length; i++) {
        const r = group.recipients[i]!;
        out.set(r.idx, await record(item, r, results[i]!, deps));
      }
    }));
  }
  await Promise.all(jobs);
  return out;
}

/** The Q-13 `recipient_type` label of a recipient. */
function recipientType(r: StoredRecipient, deps: RoundDeps): string {
  if (r.type !== "email") return r.type;
  return deps.isLocal(domainOf(r.address)) ? "email:local" : "email:remote";
}

interface Group {
  readonly kind: "local" | "remote" | "pipe";
  /** The destination, for the per-domain limit. */
  readonly dest: string;
  readonly from: string;
  readonly via: readonly string[];
  /** The alias domain to ARC-seal for (B-08); null for no seal. */
  readonly seal: string | null;
  readonly recipients: StoredRecipient[];
}

/** Splits pending recipients into deliveries: one per local or pipe recipient, batches for remote ones. */
function groupRecipients(item: StoredItem, deps: RoundDeps): Group[] {
  const all: Group[] = [];
  const open = new Map<string, Group>();
  const max = deps.maxBatch ?? 100;
  for (const r of item.recipients) {
    if (r.status !== "pending") continue;
    const from = senderFor(item.from, r, {
      isLocal: deps.isLocal,
      ...(deps.rewriteSender ? { rewrite: deps.rewriteSender } : {}),
    });
    const domain = domainOf(r.address);
    const local = r.type === "email" && deps.isLocal(domain);
    const seal = deps.sealForward ? forwardedBy(r, deps.isLocal) : null;
    if (r.type === "pipe" || (local && !deps.couriers.localBatch)) {
      const kind = r.type === "pipe" ? "pipe" : "local";
      all.push({
        kind,
        dest: `${kind}:${domain}`,
        from,
        via: [],
        seal: null,
        recipients: [r],
      });
      continue;
    }
    const dest = local
      ? "local"
      : r.type === "forward"
      ? `via:${r.via.join("/")}`
      : `mx:${domain}`;
    const key = `${dest}|${from}|${seal ?? ""}`;
    let g = open.get(key);
    if (!g || g.recipients.length >= max) {
      g = {
        kind: local ? "local" : "remote",
        dest,
        from,
        via: r.via,
        seal,
        recipients: [],
      };
      open.set(key, g);
      all.push(g);
    }
    g.recipients.push(r);
  }
  return all;
}

async function runGroup(
  item: StoredItem,
  g: Group,
  deps: RoundDeps,
): Promise<DeliveryResult[]> {
  try {
    if (g.kind === "pipe") {
      const argv = g.recipients[0]!.address.trim().split(/\s+/);
      return [await deps.couriers.pipe.deliver(g.from, argv, item.data)];
    }
    if (g.kind === "local" && deps.couriers.localBatch) {
      return await deps.couriers.localBatch(
        g.from,
        g.recipients.map((r) => r.address),
        item.data,
      );
    }
    if (g.kind === "local") {
      return [
        await deps.couriers.local.deliver(
          g.from,
          g.recipients[0]!.address,
          item.data,
        ),
      ];
    }
    const data = g.seal && deps.sealForward
      ? await deps.sealForward(item.data, g.seal)
      : item.data;
    const { results } = await deps.couriers.remote.deliverBatch({
      from: g.from,
      to: g.recipients.map((r) => r.address),
      data,
      ...(g.via.length ? { via: g.via } : {}),
    });
    if (results.length !== g.recipients.length) {
      throw new Error("courier returned the wrong number of results");
    }
    return results;
  } catch (err) {
    deps.log.error("courier failed unexpectedly", { id: item.id, error: err });
    const error = err instanceof Error ? err : new Error(String(err));
    return g.recipients.map(() => ({ status: "temporary", error }));
  }
}

async function record(
  item: StoredItem,
  r: StoredRecipient,
  res: DeliveryResult,
  deps: RoundDeps,
): Promise<RoundOutcome> {
  const shown = r.type === "pipe" ? `|${r.address}` : r.address;
  if (res.status === "sent") {
    deps.maillog.sendAttempt(item.id, item.from, shown, null);
    await deps.store.recordAttempt(item.id, r.idx, "sent", "", deps.now());
    return { status: "sent", error: "" };
  }
  const permanent = res.status === "permanent";
  deps.maillog.sendAttempt(item.id, item.from, shown, {
    message: res.error.message,
    permanent,
  });
  await deps.store.recordAttempt(
    item.id,
    r.idx,
    permanent ? "failed" : "pending",
    res.error.message,
    deps.now(),
  );
  return { status: permanent ? "failed" : "pending", error: res.error.message };
}
