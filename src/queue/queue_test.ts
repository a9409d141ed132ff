import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../runtime/memory/mod.ts";
import { createNodeSqlite } from "../runtime/node_sqlite.ts";
import { createDb } from "../storage/mod.ts";
import { nullLogger } from "../log/mod.ts";
import { MailLog } from "../maillog/mod.ts";
import type { Courier, DeliveryResult } from "../courier/types.ts";
import { SmtpError } from "../smtp/errors.ts";
import { MetricsRegistry } from "../monitoring/mod.ts";
import {
  createQueueStore,
  newId,
  nextDelay,
  Queue,
  type QueueStore,
} from "./mod.ts";

/** Records deliveries and answers from a script of results per recipient. */
class ScriptedCourier implements Courier {
  readonly calls: { from: string; to: string; data: string }[] = [];
  readonly #script: Map<string, DeliveryResult[]>;
  constructor(script: Record<string, DeliveryResult[]> = {}) {
    this.#script = new Map(Object.entries(script));
  }
  deliver(from: string, to: string, data: Uint8Array): Promise<DeliveryResult> {
    this.calls.push({ from, to, data: new TextDecoder().decode(data) });
    const next = this.#script.get(to)?.shift();
    return Promise.resolve(next ?? { status: "sent" });
  }
  async deliverBatch(
    req: { from: string; to: readonly string[]; data: Uint8Array },
  ) {
    const results: DeliveryResult[] = [];
    for (const to of req.to) {
      results.push(await this.deliver(req.from, to, req.data));
    }
    return { results };
  }
}

const temp = (m: string): DeliveryResult => ({
  status: "temporary",
  error: new Error(m),
});
const perm = (m: string): DeliveryResult => ({
  status: "permanent",
  error: new Error(m),
});

/** Waits (bounded) until `cond` holds, letting the loop's promises run. */
async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("Queue", () => {
  let db: Awaited<ReturnType<typeof createDb>>;
  let store: QueueStore;
  let clock: FakeClock;
  let lines: string[];
  let local: ScriptedCourier;
  let remote: ScriptedCourier;
  let queue: Queue;

  function makeQueue(
    opts: {
      maxItems?: number;
      owner?: string;
      metrics?: MetricsRegistry;
      signNotice?: (m: Uint8Array, d: string) => Uint8Array;
    } = {},
  ): Queue {
    return new Queue({
      store,
      couriers: {
        local,
        remote,
        pipe: { deliver: () => Promise.resolve({ status: "sent" as const }) },
      },
      localDomains: () => new Set(["a.test"]),
      clock,
      log: nullLogger(),
      maillog: new MailLog({ write: (l) => lines.push(l) }, {
        timestamps: false,
      }),
      maxItems: opts.maxItems ?? 10,
      giveUpAfterMs: 3_600_000,
      random: () => 0,
      ...(opts.owner ? { owner: opts.owner } : {}),
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(opts.signNotice ? { signNotice: opts.signNotice } : {}),
    });
  }

  beforeEach(async () => {
    db = await createDb({
      sqlite: createNodeSqlite(),
      url: ":memory:",
      dataDir: "/nonexistent",
    });
    store = createQueueStore(db);
    clock = new FakeClock();
    lines = [];
    local = new ScriptedCourier();
    remote = new ScriptedCourier();
    queue = makeQueue();
  });
  afterEach(async () => {
    await queue.stop();
    await db.destroy();
  });

  const env = (to: string[]) => ({
    from: "s@remote.test",
    to,
    data: new TextEncoder().encode("Subject: t\r\n\r\nbody\r\n"),
    authAs: "",
    remoteAddr: "127.0.0.1:1",
  });

  it("stores the message before put() resolves", async () => {
    const id = await queue.put(env(["u@a.test"]));
    assert.match(id, /^[A-Za-z0-9_-]{11}$/);
    const item = await store.load(id);
    assert.equal(item?.from, "s@remote.test");
    assert.deepEqual(item?.recipients.map((r) => [r.address, r.status]), [[
      "u@a.test",
      "pending",
    ]]);
  });

  it("refuses with 451 4.3.0 when max_queue_items are queued", async () => {
    queue = makeQueue({ maxItems: 1 });
    await queue.put(env(["u@a.test"]));
    await assert.rejects(queue.put(env(["u@a.test"])), (e: unknown) => {
      assert.ok(e instanceof SmtpError);
      assert.equal(`${e.code} ${e.enhanced}`, "451 4.3.0");
      return true;
    });
  });

  it("delivers local and remote recipients through their couriers and removes the item", async () => {
    const id = await queue.put(env(["u@a.test", "x@remote.test"]));
    queue.start();
    await until(
      async () => (await store.load(id)) === null,
      "the item to finish",
    );
    assert.deepEqual(local.calls.map((c) => c.to), ["u@a.test"]);
    assert.deepEqual(remote.calls.map((c) => c.to), ["x@remote.test"]);
    assert.equal(local.calls[0]!.data, "Subject: t\r\n\r\nbody\r\n");
    assert.ok(lines.includes(`${id} from=s@remote.test all done`));
  });

  it("retries temporary failures on the Q-07 schedule and records each attempt", async () => {
    local = new ScriptedCourier({ "u@a.test": [temp("busy"), temp("busy")] });
    queue = makeQueue();
    const id = await queue.put(env(["u@a.test"]));
    queue.start();
    await until(() => local.calls.length === 1, "the first attempt");
    await until(
      async () => (await store.load(id))?.recipients[0]?.attempts === 1,
      "the attempt to be recorded",
    );
    assert.equal((await store.load(id))?.recipients[0]?.lastError, "busy");
    await clock.advance(59_000);
    assert.equal(local.calls.length, 1, "no retry before a minute");
    await clock.advance(1_000);
    await until(() => local.calls.length === 2, "the second attempt");
    await clock.advance(5 * 60_000);
    await until(() => local.calls.length === 3, "the third attempt");
    await until(
      async () => (await store.load(id)) === null,
      "the item to finish",
    );
    assert.ok(
      lines.some((l) =>
        l === `${id} from=s@remote.test to=u@a.test failed (temporary): busy`
      ),
    );
  });

  it("records permanent failures without retrying", async () => {
    local = new ScriptedCourier({ "u@a.test": [perm("no such mailbox")] });
    queue = makeQueue();
    const id = await queue.put(env(["u@a.test"]));
    queue.start();
    await until(
      async () => (await store.load(id)) === null,
      "the item to finish",
    );
    assert.equal(local.calls.length, 1);
    assert.ok(
      lines.includes(
        `${id} from=s@remote.test to=u@a.test failed (permanent): no such mailbox`,
      ),
    );
  });

  it("gives up after give_up_send_after", async () => {
    local = new ScriptedCourier({
      "u@a.test": Array.from({ length: 100 }, () => temp("down")),
    });
    queue = makeQueue();
    const id = await queue.put(env(["u@a.test"]));
    queue.start();
    // Move time a minute at a time until the item is gone (bounded).
    for (let i = 0; i < 200 && (await store.load(id)) !== null; i++) {
      await clock.advance(60_000);
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(await store.load(id), null);
    // Attempts at about 0, 1, 6, 16, 36 and 56 minutes; the next one is past the hour.
    assert.ok(
      local.calls.length >= 5 && local.calls.length <= 8,
      `attempts: ${local.calls.length}`,
    );
    assert.ok(lines.includes(`${id} from=s@remote.test all done`));
  });

  /** Loads every item still queued. */
  async function allItems() {
    const ids = await store.claimDue(clock.now() + 1e12, "inspector", 1, 100);
    for (const id of ids) await store.reschedule(id, 0, clock.now());
    return (await Promise.all(ids.map((id) => store.load(id)))).filter((x) =>
      x !== null
    );
  }

  it("sends one DSN to the sender at the end of the round a recipient fails in", async () => {
    local = new ScriptedCourier({
      "bad@a.test": [perm("550 5.1.1 no such user")],
      "slow@a.test": [temp("busy"), temp("busy")],
    });
    queue = makeQueue();
    const id = await queue.put({
      ...env(["bad@a.test", "slow@a.test"]),
      from: "s@a.test",
    });
    queue.start();
    await until(
      () => local.calls.some((c) => c.to === "s@a.test"),
      "the DSN delivery to the sender",
    );
    const dsn = local.calls.find((c) => c.to === "s@a.test")!;
    assert.equal(dsn.from, "");
    assert.match(dsn.data, /^X-Failed-Recipients: bad@a.test\r$/m);
    assert.match(dsn.data, /^Status: 5\.1\.1\r$/m);
    assert.doesNotMatch(
      dsn.data,
      /slow@a.test/,
      "pending recipients are not reported as failed",
    );
    const item = await store.load(id);
    assert.equal(
      item?.recipients.find((r) => r.address === "bad@a.test")?.reported,
      true,
    );
    // Later rounds do not report it again.
    await clock.advance(61_000);
    await until(
      () => local.calls.filter((c) => c.to === "slow@a.test").length === 2,
      "the retry",
    );
    await clock.advance(6 * 60_000);
    await until(
      async () => (await store.load(id)) === null,
      "the item to finish",
    );
    assert.equal(local.calls.filter((c) => c.to === "s@a.test").length, 1);
  });

  it("counts puts, writes, delivery attempts and DSNs (Q-13)", async () => {
    const metrics = new MetricsRegistry();
    local = new ScriptedCourier({ "bad@a.test": [perm("550 5.1.1 no")] });
    queue = makeQueue({ metrics });
    const id = await queue.put({ ...env(["bad@a.test"]), from: "s@a.test" });
    assert.deepEqual(metrics.snapshot(), {
      "chasquid/queue/putCount": 1,
      "chasquid/queue/itemsWritten": 1,
      "chasquid/queue/dsnQueued": 0,
      "chasquid/queue/deliverAttempts": {},
    });
    queue.start();
    await until(
      async () =>
        (await store.load(id)) === null &&
        local.calls.some((c) => c.to === "s@a.test"),
      "the item and its DSN to be delivered",
    );
    const snap = metrics.snapshot();
    // The DSN is a put of its own.
    assert.equal(snap["chasquid/queue/putCount"], 2);
    assert.equal(snap["chasquid/queue/dsnQueued"], 1);
    assert.deepEqual(snap["chasquid/queue/deliverAttempts"], {
      "email:local": 2,
    });
    assert.ok((snap["chasquid/queue/itemsWritten"] as number) >= 3);
  });

  it("signs DSNs with the reporting domain's keys (DK-01 fix)", async () => {
    local = new ScriptedCourier({ "bad@a.test": [perm("550 5.1.1 no")] });
    const signed: string[] = [];
    queue = makeQueue({
      signNotice: (m, d) => {
        signed.push(d);
        return new TextEncoder().encode(
          `DKIM-Signature: test; d=${d}\r\n${new TextDecoder().decode(m)}`,
        );
      },
    });
    await queue.put({ ...env(["bad@a.test"]), from: "s@a.test" });
    queue.start();
    await until(
      () => local.calls.some((c) => c.to === "s@a.test"),
      "the DSN delivery",
    );
    assert.deepEqual(signed, ["a.test"]);
    assert.match(
      local.calls.find((c) => c.to === "s@a.test")!.data,
      /^DKIM-Signature: test; d=a\.test\r\n/,
    );
  });

  it("never bounces mail from the null sender", async () => {
    local = new ScriptedCourier({ "bad@a.test": [perm("no")] });
    queue = makeQueue();
    const id = await queue.put({ ...env(["bad@a.test"]), from: "" });
    queue.start();
    await until(
      async () => (await store.load(id)) === null,
      "the item to finish",
    );
    assert.deepEqual(local.calls.map((c) => c.to), ["bad@a.test"]);
    assert.deepEqual(await allItems(), []);
  });

  it("reports timed-out recipients with a 4.x.x status when giving up", async () => {
    remote = new ScriptedCourier({
      "x@remote.test": Array.from({ length: 50 }, () => temp("451 4.4.1 down")),
    });
    queue = makeQueue();
    const id = await queue.put({ ...env(["x@remote.test"]), from: "s@a.test" });
    queue.start();
    for (let i = 0; i < 200 && (await store.load(id)) !== null; i++) {
      await clock.advance(60_000);
      await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => local.calls.some((c) => c.to === "s@a.test"), "the DSN");
    const dsn = local.calls.find((c) => c.to === "s@a.test")!.data;
    assert.match(dsn, /^Action: failed\r$/m);
    assert.match(
      dsn,
      /^Status: 4\.4\.1\r$/m,
      "the last error's own code, in the 4 class",
    );
  });

  it("resumes items leased by its own previous life at start", async () => {
    const id = newId();
    const now = clock.now();
    await store.insert({
      id,
      from: "s@remote.test",
      to: ["u@a.test"],
      data: new Uint8Array([65]),
      createdAt: now,
      authAs: "",
      remoteAddr: "",
      recipients: [{
        address: "u@a.test",
        originalAddress: "u@a.test",
        type: "email",
        via: [],
      }],
    });
    assert.deepEqual(await store.claimDue(now, "me", 600_000, 10), [id]);
    assert.deepEqual(
      await store.claimDue(now, "other", 600_000, 10),
      [],
      "leased items are skipped",
    );
    queue = makeQueue({ owner: "me" });
    queue.start();
    await until(
      async () => (await store.load(id)) === null,
      "the crashed item to be delivered",
    );
    assert.equal(local.calls.length, 1);
  });
});

describe("nextDelay()", () => {
  const cases: [name: string, ageMs: number, want: number][] = [
    ["new item waits a minute", 0, 60_000],
    ["under five minutes waits five", 2 * 60_000, 5 * 60_000],
    ["under ten minutes waits ten", 7 * 60_000, 10 * 60_000],
    ["older items wait twenty", 3 * 3_600_000, 20 * 60_000],
  ];
  for (const [name, age, want] of cases) {
    it(name, () => {
      assert.equal(nextDelay(age, () => 0), want);
      assert.equal(nextDelay(age, () => 0.999), want + 59_940);
    });
  }
});
