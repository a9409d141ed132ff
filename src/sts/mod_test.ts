/**
 * StsCache against real pieces: a loopback HTTPS policy server (node:https
 * with a test certificate for `mta-sts.b.test`), dnsmasq for the TXT and A
 * records, and SQLite for the cache. Time is a FakeClock.
 */
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import type { Kysely } from "kysely";
import { createNodeNet } from "../runtime/node_net.ts";
import { createNodeResolver } from "../runtime/node_dns.ts";
import { FakeClock } from "../runtime/memory/mod.ts";
import type { Resolver } from "../runtime/types.ts";
import { createDb, type Database } from "../storage/mod.ts";
import { testSqlite } from "../storage/_test_sqlite.ts";
import { MetricsRegistry } from "../monitoring/mod.ts";
import {
  dnsmasqMissing,
  startDns,
  type TestDns,
} from "../../tests/harness/dnsmasq.ts";
import { CERTS_DIR, testCa } from "../../tests/harness/certs.ts";
import {
  KyselyStsStore,
  type Policy,
  StsCache,
  type StsCacheProps,
} from "./mod.ts";

const skip = dnsmasqMissing() ?? false;

const ENFORCE =
  "version: STSv1\r\nmode: enforce\r\nmx: mail.b.test\r\nmax_age: 3600\r\n";
const TESTING =
  "version: STSv1\r\nmode: testing\r\nmx: *.b.test\r\nmax_age: 3600\r\n";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function plain(body: string, type = "text/plain; charset=utf-8"): Handler {
  return (_req, res) => {
    res.writeHead(200, { "Content-Type": type }).end(body);
  };
}

/** A policy server on 127.0.0.1, its handler swapped per test. */
async function startPolicyServer(): Promise<{
  port: number;
  requests: string[];
  handler: Handler;
  close(): Promise<void>;
}> {
  const dir = `${CERTS_DIR}mta-sts.b.test/`;
  const state = {
    port: 0,
    requests: [] as string[],
    handler: plain(ENFORCE),
    close: () => Promise.resolve(),
  };
  const server = https.createServer({
    key: readFileSync(`${dir}privkey.pem`, "utf8"),
    cert: readFileSync(`${dir}fullchain.pem`, "utf8"),
  }, (req, res) => {
    state.requests.push(`${req.method} ${req.headers.host} ${req.url}`);
    state.handler(req, res);
  });
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve())
  );
  state.port = (server.address() as { port: number }).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  return state;
}

describe("StsCache", { skip }, () => {
  let dns: TestDns;
  let resolver: Resolver;
  let srv: Awaited<ReturnType<typeof startPolicyServer>>;
  let db: Kysely<Database>;
  let clock: FakeClock;
  let metrics: MetricsRegistry;

  before(async () => {
    dns = await startDns({
      records: {
        "_mta-sts.b.test": { TXT: ["v=STSv1; id=20260101;"] },
        "mta-sts.b.test": { A: ["127.0.0.1"] },
        // A TXT record that is not MTA-STS: no policy, no fetch.
        "_mta-sts.c.test": { TXT: ["v=spf1 -all"] },
        "mta-sts.c.test": { A: ["127.0.0.1"] },
      },
    });
    resolver = createNodeResolver({ server: dns.addr, timeoutMs: 2000 });
    srv = await startPolicyServer();
  });
  after(async () => {
    await srv?.close();
    await dns?.close();
  });
  beforeEach(async () => {
    db = await createDb({
      sqlite: testSqlite(),
      url: ":memory:",
      dataDir: "/",
    });
    clock = new FakeClock();
    metrics = new MetricsRegistry();
    srv.requests.length = 0;
    srv.handler = plain(ENFORCE);
  });
  afterEach(async () => {
    await db.destroy();
  });

  function cache(extra: Partial<StsCacheProps> = {}): StsCache {
    return new StsCache({
      resolver,
      net: createNodeNet(),
      store: new KyselyStsStore(db),
      clock,
      metrics,
      httpsPort: srv.port,
      tlsCa: testCa(),
      fetchTimeoutMs: 10_000,
      ...extra,
    });
  }

  function count(name: string): number {
    return metrics.counter(`chasquid/sts/cache/${name}`, "").value();
  }

  const enforce: Policy = {
    version: "STSv1",
    mode: "enforce",
    mx: ["mail.b.test"],
    maxAge: 3600,
  };

  it("fetches, validates and stores a policy", async () => {
    const sts = cache();
    assert.deepEqual(await sts.policyFor("B.test"), enforce);
    assert.deepEqual(srv.requests, [
      `GET mta-sts.b.test:${srv.port} /.well-known/mta-sts.txt`,
    ]);
    const row = await db.selectFrom("sts_cache").selectAll().execute();
    assert.deepEqual(row.map((r) => ({ ...r })), [{
      domain: "b.test",
      policy:
        '{"version":"STSv1","mode":"enforce","mx":["mail.b.test"],"max_age":3600}',
      fetched_at: clock.now(),
      expires_at: clock.now() + 3600_000,
    }]);
    assert.equal(count("fetches"), 1);
  });

  it("reads a chunked body", async () => {
    srv.handler = (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.write(TESTING.slice(0, 20));
      res.end(TESTING.slice(20));
    };
    assert.equal((await cache().policyFor("b.test"))?.mode, "testing");
  });

  const failures: { name: string; handler: Handler; metric?: string }[] = [
    {
      name: "a redirect",
      handler: (_req, res) => {
        res.writeHead(301, { Location: "https://mta-sts.b.test/x" }).end();
      },
    },
    { name: "a 404", handler: (_req, res) => void res.writeHead(404).end() },
    { name: "media type text/html", handler: plain(ENFORCE, "text/html") },
    {
      name: "a body over 10 KiB (Content-Length)",
      handler: plain(ENFORCE + `x: ${"y".repeat(10 * 1024)}\r\n`),
    },
    {
      name: "a body over 10 KiB (chunked)",
      handler: (_req, res) => {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.write(ENFORCE);
        res.end(`x: ${"y".repeat(10 * 1024)}\r\n`);
      },
    },
    {
      name: "an invalid policy",
      handler: plain("version: STSv1\r\nmode: enforce\r\nmax_age: 10\r\n"),
      metric: "invalid",
    },
  ];
  for (const c of failures) {
    it(`gives no policy for ${c.name}`, async () => {
      srv.handler = c.handler;
      assert.equal(await cache().policyFor("b.test"), null);
      assert.equal(srv.requests.length, 1);
      assert.equal(count("failedFetch"), 1);
      if (c.metric) assert.equal(count(c.metric), 1);
      assert.deepEqual(await new KyselyStsStore(db).domains(), []);
    });
  }

  it("refuses a certificate that does not verify", async () => {
    // Without the test CA the system roots apply, which do not know it.
    const sts = new StsCache({
      resolver,
      net: createNodeNet(),
      store: new KyselyStsStore(db),
      clock,
      metrics,
      httpsPort: srv.port,
      fetchTimeoutMs: 10_000,
    });
    assert.equal(await sts.policyFor("b.test"), null);
    assert.equal(count("failedFetch"), 1);
  });

  it("does not fetch without a v=STSv1 TXT record", async () => {
    assert.equal(await cache().policyFor("c.test"), null);
    assert.equal(await cache().policyFor("none.test"), null);
    assert.deepEqual(srv.requests, []);
  });

  it("answers from the cache until max_age passes, then fetches again", async () => {
    const sts = cache();
    await sts.policyFor("b.test");
    srv.handler = plain(TESTING);
    await clock.advance(3599_000);
    assert.deepEqual(await sts.policyFor("b.test"), enforce);
    assert.equal(count("hits"), 1);
    assert.equal(srv.requests.length, 1);
    await clock.advance(1_000);
    assert.equal((await sts.policyFor("b.test"))?.mode, "testing");
    assert.equal(count("expired"), 1);
    assert.equal(srv.requests.length, 2);
  });

  it("gives no policy when the cached one expired and the fetch fails", async () => {
    const sts = cache();
    await sts.policyFor("b.test");
    srv.handler = (_req, res) => void res.writeHead(500).end();
    await clock.advance(3600_000);
    assert.equal(await sts.policyFor("b.test"), null);
  });

  it("refreshAll() keeps the cached policy when a fetch fails", async () => {
    const sts = cache();
    await sts.policyFor("b.test");
    srv.handler = (_req, res) => void res.writeHead(500).end();
    await sts.refreshAll();
    assert.equal(count("refreshErrors"), 1);
    assert.deepEqual(await sts.policyFor("b.test"), enforce);
    assert.equal(srv.requests.length, 2);
  });

  it("refreshAll() replaces cached policies with fresh ones", async () => {
    const sts = cache();
    await sts.policyFor("b.test");
    srv.handler = plain(TESTING);
    await sts.refreshAll();
    assert.equal((await sts.policyFor("b.test"))?.mode, "testing");
    assert.equal(count("refreshCycles"), 1);
    assert.equal(count("refreshes"), 1);
  });

  it("start() refreshes every period until stop()", async () => {
    const sts = cache({ refreshIntervalMs: 60_000 });
    await sts.policyFor("b.test");
    sts.start();
    // A cycle is over once the row carries the current time.
    async function refreshed(): Promise<void> {
      for (let i = 0; i < 500; i++) {
        const e = await new KyselyStsStore(db).get("b.test");
        if (e?.fetchedAt === clock.now()) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.fail("no refresh");
    }
    await clock.advance(60_000);
    await refreshed();
    await clock.advance(60_000);
    await refreshed();
    assert.equal(count("refreshes"), 2);
    await sts.stop();
    await clock.advance(120_000);
    assert.equal(count("refreshCycles"), 2);
  });
});
