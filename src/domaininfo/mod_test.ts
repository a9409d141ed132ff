import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../runtime/memory/mod.ts";
import { createNodeSqlite } from "../runtime/node_sqlite.ts";
import { createDb } from "../storage/mod.ts";
import { MetricsRegistry } from "../monitoring/mod.ts";
import {
  type Direction,
  DomainInfo,
  KyselyDomainInfoStore,
  levelName,
  SecLevel,
  UnknownDomainError,
} from "./mod.ts";

const { PLAIN, TLS_CLIENT, TLS_INSECURE, TLS_SECURE } = SecLevel;

describe("levelName()", () => {
  it("names every SL-01 level and marks unknown numbers", () => {
    assert.deepEqual(
      [PLAIN, TLS_CLIENT, TLS_INSECURE, TLS_SECURE, 7].map(levelName),
      ["PLAIN", "TLS_CLIENT", "TLS_INSECURE", "TLS_SECURE", "LEVEL_7"],
    );
  });
});

describe("DomainInfo", () => {
  let db: Awaited<ReturnType<typeof createDb>>;
  let clock: FakeClock;
  let metrics: MetricsRegistry;
  let dinfo: DomainInfo;

  beforeEach(async () => {
    db = await createDb({
      sqlite: createNodeSqlite(),
      url: ":memory:",
      dataDir: "/nonexistent",
    });
    clock = new FakeClock();
    metrics = new MetricsRegistry();
    dinfo = new DomainInfo({
      store: new KyselyDomainInfoStore(db),
      clock,
      metrics,
    });
  });
  afterEach(async () => {
    await db.destroy();
  });

  function check(dir: Direction, domain: string, level: SecLevel) {
    return dir === "incoming"
      ? dinfo.incomingCheck(domain, level)
      : dinfo.outgoingCheck(domain, level);
  }

  // Each case: the levels seen in order, what each check answers, and the
  // level recorded at the end.
  const CASES: {
    name: string;
    dir: Direction;
    seen: SecLevel[];
    ok: boolean[];
    recorded: SecLevel;
  }[] = [
    {
      name: "an unknown domain passes at PLAIN",
      dir: "incoming",
      seen: [PLAIN],
      ok: [true],
      recorded: PLAIN,
    },
    {
      name: "an unknown domain is recorded at its first level",
      dir: "outgoing",
      seen: [TLS_SECURE],
      ok: [true],
      recorded: TLS_SECURE,
    },
    {
      name: "equal passes",
      dir: "incoming",
      seen: [TLS_CLIENT, TLS_CLIENT],
      ok: [true, true],
      recorded: TLS_CLIENT,
    },
    {
      name: "inbound lower fails",
      dir: "incoming",
      seen: [TLS_CLIENT, PLAIN],
      ok: [true, false],
      recorded: TLS_CLIENT,
    },
    {
      name: "outbound lower fails, and keeps failing",
      dir: "outgoing",
      seen: [TLS_SECURE, TLS_INSECURE, PLAIN],
      ok: [true, false, false],
      recorded: TLS_SECURE,
    },
    {
      name: "higher raises step by step",
      dir: "outgoing",
      seen: [PLAIN, TLS_INSECURE, TLS_SECURE, TLS_SECURE],
      ok: [true, true, true, true],
      recorded: TLS_SECURE,
    },
    {
      name: "after a raise, the old level fails",
      dir: "outgoing",
      seen: [PLAIN, TLS_INSECURE, PLAIN],
      ok: [true, true, false],
      recorded: TLS_INSECURE,
    },
  ];
  for (const c of CASES) {
    it(`${c.dir}: ${c.name}`, async () => {
      const got = [];
      for (const level of c.seen) got.push(await check(c.dir, "b.test", level));
      assert.deepEqual(got, c.ok);
      const rec = await dinfo.get("b.test");
      assert.equal(rec?.[c.dir], c.recorded);
      const other = c.dir === "incoming" ? "outgoing" : "incoming";
      assert.equal(rec?.[other], PLAIN, "the other direction stays PLAIN");
    });
  }

  it("keeps the two directions apart", async () => {
    assert.equal(await dinfo.outgoingCheck("b.test", TLS_SECURE), true);
    assert.equal(await dinfo.incomingCheck("b.test", PLAIN), true);
    assert.equal(await dinfo.incomingCheck("b.test", TLS_CLIENT), true);
    assert.equal(await dinfo.outgoingCheck("b.test", TLS_INSECURE), false);
    assert.equal(await dinfo.incomingCheck("b.test", PLAIN), false);
    const rec = await dinfo.get("b.test");
    assert.deepEqual(
      { in: rec?.incoming, out: rec?.outgoing },
      { in: TLS_CLIENT, out: TLS_SECURE },
    );
  });

  it("compares domains in lower case", async () => {
    assert.equal(await dinfo.outgoingCheck("B.Test", TLS_SECURE), true);
    assert.equal(await dinfo.outgoingCheck("b.test", PLAIN), false);
    assert.deepEqual((await dinfo.list()).map((r) => r.domain), ["b.test"]);
  });

  it("clear() sets both levels to PLAIN and keeps the record", async () => {
    await dinfo.outgoingCheck("b.test", TLS_SECURE);
    await dinfo.incomingCheck("b.test", TLS_CLIENT);
    await clock.advance(5_000);
    await dinfo.clear("b.test");
    const rec = await dinfo.get("b.test");
    assert.deepEqual(rec, {
      domain: "b.test",
      incoming: PLAIN,
      outgoing: PLAIN,
      updatedAt: clock.now(),
    });
    assert.equal(await dinfo.outgoingCheck("b.test", PLAIN), true);
  });

  it("clear() of an unknown domain throws", async () => {
    await assert.rejects(dinfo.clear("nowhere.test"), UnknownDomainError);
    assert.deepEqual(await dinfo.list(), []);
  });

  it("counts pass, fail and skip (SL-07)", async () => {
    await dinfo.outgoingCheck("b.test", TLS_SECURE);
    await dinfo.outgoingCheck("b.test", PLAIN);
    await dinfo.incomingCheck("b.test", PLAIN);
    dinfo.incomingSkipped();
    const s = metrics.snapshot();
    assert.deepEqual(s["chasquid/smtpOut/securityLevelChecks"], {
      pass: 1,
      fail: 1,
    });
    assert.deepEqual(s["chasquid/smtpIn/securityLevelChecks"], {
      pass: 1,
      skip: 1,
    });
  });
});
