import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { nullLogger } from "../log/mod.ts";
import { MailLog } from "../maillog/mod.ts";
import type { DeliveryResult } from "../courier/types.ts";
import { MetricsRegistry } from "../monitoring/mod.ts";
import {
  declareDeliveryMetrics,
  deliverRound,
  Limiter,
  senderFor,
} from "./delivery.ts";
import type { QueueStore, StoredItem, StoredRecipient } from "./types.ts";
import { Srs } from "../srs/mod.ts";

const isLocal = (d: string) => d === "a.test";
const rewrite = (s: string, d: string) => `SRS(${s})@${d}`;

function rcpt(
  idx: number,
  address: string,
  extra: Partial<StoredRecipient> = {},
): StoredRecipient {
  return {
    idx,
    address,
    originalAddress: address,
    type: "email",
    via: [],
    status: "pending",
    attempts: 0,
    lastError: "",
    reported: false,
    ...extra,
  };
}

describe("senderFor()", () => {
  const cases: [
    name: string,
    from: string,
    r: StoredRecipient,
    want: string,
  ][] = [
    [
      "direct remote recipient keeps the sender",
      "me@gmail.test",
      rcpt(0, "x@remote.test"),
      "me@gmail.test",
    ],
    [
      "local sender is never rewritten",
      "u@a.test",
      rcpt(0, "x@remote.test", { originalAddress: "al@a.test" }),
      "u@a.test",
    ],
    [
      "forward of a non-local sender is rewritten",
      "s@other.test",
      rcpt(0, "x@remote.test", { originalAddress: "al+tag@a.test" }),
      "SRS(s@other.test)@a.test",
    ],
    [
      "via forwards are rewritten too",
      "s@other.test",
      rcpt(0, "al@a.test", { type: "forward", via: ["mx1"] }),
      "SRS(s@other.test)@a.test",
    ],
    [
      "alias to a local user keeps the sender",
      "s@other.test",
      rcpt(0, "u@a.test", { originalAddress: "al@a.test" }),
      "s@other.test",
    ],
    [
      "the null sender stays null",
      "",
      rcpt(0, "x@remote.test", { originalAddress: "al@a.test" }),
      "",
    ],
  ];
  for (const [name, from, r, want] of cases) {
    it(
      name,
      () => assert.equal(senderFor(from, r, { isLocal, rewrite }), want),
    );
  }
  it("keeps the sender when the queue has no rewriter", () => {
    const r = rcpt(0, "x@remote.test", { originalAddress: "al@a.test" });
    assert.equal(senderFor("s@other.test", r, { isLocal }), "s@other.test");
  });
});

describe("deliverRound() with SRS", () => {
  it("sends forwards of non-local senders with an SRS0 sender and an ARC seal", async () => {
    const srs = new Srs({ keys: [new Uint8Array(32)], now: () => 0 });
    const froms: [string, string[]][] = [];
    const datas: [string, string[]][] = [];
    const item: StoredItem = {
      id: "ID",
      from: "x@ext.test",
      to: [],
      data: new Uint8Array(),
      createdAt: 0,
      delayNotified: false,
      recipients: [
        rcpt(0, "someone@b.test", { originalAddress: "fwd@a.test" }),
        rcpt(1, "direct@b.test"),
      ],
    };
    await deliverRound(item, {
      store: {
        recordAttempt: () => Promise.resolve(),
      } as unknown as QueueStore,
      couriers: {
        local: { deliver: () => Promise.resolve({ status: "sent" }) },
        remote: {
          deliverBatch: (req) => {
            froms.push([req.from, [...req.to]]);
            datas.push([new TextDecoder().decode(req.data), [...req.to]]);
            return Promise.resolve({
              results: req.to.map(() => ({ status: "sent" as const })),
            });
          },
        },
        pipe: { deliver: () => Promise.resolve({ status: "sent" }) },
      },
      isLocal,
      now: () => 0,
      log: nullLogger(),
      maillog: new MailLog({ write: () => {} }),
      domainLimiter: new Limiter(5),
      rewriteSender: (s, d) => srs.forward(s, d),
      sealForward: (data, d) =>
        Promise.resolve(
          new TextEncoder().encode(
            `ARC(${d})${new TextDecoder().decode(data)}`,
          ),
        ),
    });
    const fwd = froms.find(([, to]) => to.includes("someone@b.test"))!;
    assert.match(fwd[0], /^SRS0=[A-Z2-7]{6}=[A-Z2-7]{2}=ext\.test=x@a\.test$/);
    assert.deepEqual(srs.reverse(fwd[0]), { ok: true, address: "x@ext.test" });
    const direct = froms.find(([, to]) => to.includes("direct@b.test"))!;
    assert.equal(direct[0], "x@ext.test");
    // B-08: only the forward is ARC-sealed, for the alias's domain.
    assert.deepEqual(datas.sort(), [
      ["", ["direct@b.test"]],
      ["ARC(a.test)", ["someone@b.test"]],
    ]);
  });
});

describe("Limiter", () => {
  it("never runs more than max holders of one key, and others freely", async () => {
    const lim = new Limiter(2);
    let active = 0, peak = 0, otherRan = false;
    const gates: (() => void)[] = [];
    const jobs = Array.from({ length: 5 }, () =>
      lim.run("d", async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((r) => gates.push(r));
        active--;
      }));
    await lim.run("other", () => Promise.resolve(otherRan = true));
    for (let i = 0; i < 50 && (gates.length > 0 || active > 0); i++) {
      gates.shift()?.();
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(jobs);
    assert.equal(peak, 2);
    assert.ok(otherRan);
  });
});

describe("deliverRound()", () => {
  it("batches remote recipients per domain in chunks and routes local and pipe ones", async () => {
    const batches: string[][] = [];
    const local: string[] = [];
    const pipes: string[][] = [];
    const recorded: [number, string][] = [];
    const store = {
      recordAttempt: (_id: string, idx: number, status: string) => {
        recorded.push([idx, status]);
        return Promise.resolve();
      },
    } as unknown as QueueStore;
    const remoteTo = Array.from({ length: 5 }, (_, i) => `r${i}@remote.test`);
    const item: StoredItem = {
      id: "ID",
      from: "s@a.test",
      to: [],
      data: new Uint8Array(),
      createdAt: 0,
      delayNotified: false,
      recipients: [
        ...remoteTo.map((a, i) => rcpt(i, a)),
        rcpt(5, "u@a.test"),
        rcpt(6, "/bin/cmd arg", { type: "pipe" }),
        rcpt(7, "x@other.test", { status: "sent" }),
      ],
    };
    const ok: DeliveryResult = { status: "sent" };
    const statuses = await deliverRound(item, {
      store,
      couriers: {
        local: { deliver: (_f, to) => (local.push(to), Promise.resolve(ok)) },
        remote: {
          deliverBatch: (req) => {
            batches.push([...req.to]);
            return Promise.resolve({
              results: req.to.map((t) =>
                t.startsWith("r0")
                  ? { status: "permanent", error: new Error("550 no") }
                  : ok
              ),
            });
          },
        },
        pipe: {
          deliver: (_f, argv) => (pipes.push([...argv]), Promise.resolve(ok)),
        },
      },
      isLocal,
      now: () => 0,
      log: nullLogger(),
      maillog: new MailLog({ write: () => {} }),
      domainLimiter: new Limiter(5),
      maxBatch: 2,
    });
    assert.deepEqual(batches, [[remoteTo[0], remoteTo[1]], [
      remoteTo[2],
      remoteTo[3],
    ], [remoteTo[4]]]);
    assert.deepEqual(local, ["u@a.test"]);
    assert.deepEqual(pipes, [["/bin/cmd", "arg"]]);
    assert.deepEqual(statuses.get(0), { status: "failed", error: "550 no" });
    assert.equal(statuses.get(1)?.status, "sent");
    assert.equal(
      statuses.has(7),
      false,
      "already sent recipients are left alone",
    );
    assert.equal(recorded.length, 7);
  });

  it("hands all local recipients to localBatch in one call when the courier batches (LMTP)", async () => {
    const calls: string[][] = [];
    const store = {
      recordAttempt: () => Promise.resolve(),
    } as unknown as QueueStore;
    const item: StoredItem = {
      id: "ID",
      from: "s@remote.test",
      to: [],
      data: new Uint8Array(),
      createdAt: 0,
      delayNotified: false,
      recipients: [
        rcpt(0, "u1@a.test"),
        rcpt(1, "u2@a.test"),
        rcpt(2, "x@remote.test"),
      ],
    };
    const ok: DeliveryResult = { status: "sent" };
    const statuses = await deliverRound(item, {
      store,
      couriers: {
        local: {
          deliver: () => Promise.reject(new Error("not used when batching")),
        },
        localBatch: (
          _f,
          to,
        ) => (calls.push([...to]), Promise.resolve(to.map(() => ok))),
        remote: {
          deliverBatch: (req) =>
            Promise.resolve({ results: req.to.map(() => ok) }),
        },
        pipe: { deliver: () => Promise.resolve(ok) },
      },
      isLocal,
      now: () => 0,
      log: nullLogger(),
      maillog: new MailLog({ write: () => {} }),
      domainLimiter: new Limiter(5),
    });
    assert.deepEqual(calls, [["u1@a.test", "u2@a.test"]]);
    assert.deepEqual([...statuses.values()].map((o) => o.status), [
      "sent",
      "sent",
      "sent",
    ]);
  });

  it("counts one deliverAttempts per recipient, by recipient type (Q-13)", async () => {
    const registry = new MetricsRegistry();
    const store = {
      recordAttempt: () => Promise.resolve(),
    } as unknown as QueueStore;
    const item: StoredItem = {
      id: "ID",
      from: "s@a.test",
      to: [],
      data: new Uint8Array(),
      createdAt: 0,
      delayNotified: false,
      recipients: [
        rcpt(0, "u1@a.test"),
        rcpt(1, "u2@a.test"),
        rcpt(2, "x@remote.test"),
        rcpt(3, "f@remote.test", { type: "forward", via: ["mx.test"] }),
        rcpt(4, "/bin/cmd", { type: "pipe" }),
        rcpt(5, "done@remote.test", { status: "sent" }),
      ],
    };
    const ok: DeliveryResult = { status: "sent" };
    await deliverRound(item, {
      store,
      couriers: {
        local: { deliver: () => Promise.resolve(ok) },
        remote: {
          deliverBatch: (req) =>
            Promise.resolve({ results: req.to.map(() => ok) }),
        },
        pipe: { deliver: () => Promise.resolve(ok) },
      },
      isLocal,
      now: () => 0,
      log: nullLogger(),
      maillog: new MailLog({ write: () => {} }),
      domainLimiter: new Limiter(5),
      ...declareDeliveryMetrics(registry),
    });
    assert.deepEqual(registry.snapshot()["chasquid/queue/deliverAttempts"], {
      "email:local": 2,
      "email:remote": 1,
      forward: 1,
      pipe: 1,
    });
  });
});
