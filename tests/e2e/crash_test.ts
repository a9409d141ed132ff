/**
 * Crash safety with real components (DESIGN §9: kill -9 at any moment loses
 * nothing that was answered 250). A (a.test) relays to B (b.test) through a
 * dnsmasq MX. Concurrent clients submit N numbered messages to A while A is
 * SIGKILLed three times and restarted on the same dir: the first kill while
 * B is still down (everything queued), the other two once B is up and
 * deliveries are in flight. A is then left up until its queue drains.
 *
 * Every sequence number that got a 250 must arrive at B; duplicates are
 * allowed (a kill between B's 250 and A's commit) and only reported.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import * as net from "node:net";
import { dnsmasqMissing, startDns, type TestDns } from "../harness/dnsmasq.ts";
import { sendMail, startServer, type TestServer } from "../harness/server.ts";

const skip = dnsmasqMissing() ?? false;

const N = 200;
const CLIENTS = 10;
const ATTEMPTS = 6;
const ALICE = { user: "alice@a.test", password: "alice-pw" };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function randomInt(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

async function unusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A's process across restarts on one dir; `srv` is null while it is down. */
class Sender {
  srv: TestServer | null = null;
  dir = "";
  kills = 0;
  /** What had happened at each kill, for the report. */
  readonly notes: string[] = [];
  #dns: TestDns;

  constructor(dns: TestDns) {
    this.#dns = dns;
  }

  /** Starts A, on the same dir after the first time, relaying to `port`. */
  async start(port: number): Promise<void> {
    const args = [
      "--config-overrides",
      JSON.stringify({ outgoing_smtp_port: port }),
    ];
    this.srv = this.dir
      ? await startServer({ keepDir: this.dir, args })
      : await startServer({
        domains: ["a.test"],
        certs: ["mx.a.test"],
        users: { [ALICE.user]: ALICE.password },
        yaml: `dns_server: "${this.#dns.addr}"\nmax_queue_items: 5000`,
        args,
      });
    this.dir = this.srv.dir;
  }

  async kill(note: string): Promise<void> {
    this.notes.push(note);
    const s = this.srv!;
    this.srv = null;
    s.signal("SIGKILL");
    await s.exited;
    this.kills++;
  }

  /** Stops A gently (SIGTERM) without removing its dir. */
  async stop(): Promise<void> {
    const s = this.srv!;
    this.srv = null;
    s.signal("SIGTERM");
    await s.exited;
  }

  async close(): Promise<void> {
    if (this.srv) await this.srv.close();
    else if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  mailLog(): string {
    return this.srv?.mailLog() ?? "";
  }
}

function subject(seq: number): string {
  return `crash seq ${String(seq).padStart(4, "0")}`;
}

/** Submits one message, retrying over restarts; true when it got a 250. */
async function submitOne(a: Sender, seq: number): Promise<boolean> {
  const data = `From: alice@a.test\r\nTo: bob@b.test\r\n` +
    `Subject: ${subject(seq)}\r\n\r\nmessage ${seq}\r\n`;
  const deadline = Date.now() + 60_000;
  for (let i = 0; i < ATTEMPTS && Date.now() < deadline;) {
    const srv = a.srv;
    if (!srv) {
      await sleep(50);
      continue;
    }
    i++;
    try {
      const reply = await sendMail(srv, {
        mode: "submission",
        auth: ALICE,
        from: ALICE.user,
        to: ["bob@b.test"],
        data,
      });
      if (reply.startsWith("250 ")) return true;
    } catch {
      // Killed mid-transaction (or refused): not accepted, try again.
    }
    await sleep(50);
  }
  return false;
}

/** Runs `CLIENTS` concurrent submitters over sequence numbers 1..N. */
async function submitAll(a: Sender, accepted: Set<number>): Promise<void> {
  let next = 1;
  async function client(): Promise<void> {
    while (next <= N) {
      const seq = next++;
      if (await submitOne(a, seq)) accepted.add(seq);
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, client));
}

/** Sequence numbers of every message in B's mailbox, one per delivery. */
function deliveredSeqs(b: TestServer): number[] {
  return b.mailbox("bob@b.test").map((m) => {
    const s = /^Subject: crash seq (\d+)\r?$/m.exec(m);
    assert.ok(s, `unexpected message at B:\n${m.slice(0, 500)}`);
    return Number(s[1]);
  });
}

async function waitUntil(
  cond: () => boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await sleep(100);
  }
  return cond();
}

describe("crash safety (SIGKILL while queueing and delivering)", {
  skip,
}, () => {
  it("loses nothing that was answered 250", async () => {
    const dns = await startDns({
      records: {
        "b.test": { MX: [{ exchange: "mx.b.test", priority: 10 }] },
        "mx.b.test": { A: ["127.0.0.1"] },
      },
    });
    const a = new Sender(dns);
    let b: TestServer | null = null;
    try {
      // B is down at first: A points at a port nobody listens on.
      await a.start(await unusedPort());
      const accepted = new Set<number>();
      const sending = submitAll(a, accepted);

      // Kill 1: while clients are submitting and nothing can be delivered.
      const k1 = randomInt(30, 100);
      await waitUntil(() => accepted.size >= k1, 30_000);
      await a.kill(`accepted=${accepted.size} at-B=0`);
      b = await startServer({
        domains: ["b.test"],
        certs: ["mail.b.test"],
        hostname: "mx.b.test",
        users: { "bob@b.test": null },
      });
      const bPort = b.port("smtp");
      await a.start(bPort);

      // Kills 2 and 3: once deliveries to B are under way.
      for (let k = 0; k < 2; k++) {
        const seen = b.mailbox("bob@b.test").length;
        const more = randomInt(1, 25);
        await waitUntil(
          () => b!.mailbox("bob@b.test").length >= seen + more,
          15_000,
        );
        await sleep(randomInt(0, 150));
        await a.kill(
          `accepted=${accepted.size} at-B=${b.mailbox("bob@b.test").length}`,
        );
        await a.start(bPort);
      }
      await sending;

      // Drain: a restart makes every unfinished item due at once, so if
      // something is waiting for its ~1 min retry, restart instead of
      // waiting (bounded).
      const bb = b;
      const drained = () => {
        const got = new Set(deliveredSeqs(bb));
        return [...accepted].every((s) => got.has(s));
      };
      let restarts = 0;
      for (let round = 0; round < 3 && !drained(); round++) {
        if (await waitUntil(drained, 15_000)) break;
        restarts++;
        await a.stop();
        await a.start(bPort);
      }
      // Let in-flight attempts finish so late duplicates are counted too.
      await sleep(500);

      const all = deliveredSeqs(b);
      const unique = new Set(all);
      const lost = [...accepted].filter((s) => !unique.has(s)).sort((x, y) =>
        x - y
      );
      const summary = `crash: sent=${N} accepted=${accepted.size} ` +
        `delivered=${unique.size} lost=${lost.length} ` +
        `duplicated=${all.length - unique.size}`;
      console.log(summary);
      console.log(
        `crash: kills at [${a.notes.join("; ")}], drain restarts=${restarts}`,
      );
      assert.equal(a.kills, 3);
      assert.ok(accepted.size > 0, summary);
      assert.deepEqual(
        lost,
        [],
        `${summary}\nlost: ${lost.map(subject).join(", ")}\nA's mail log:\n` +
          a.mailLog().split("\n").slice(-60).join("\n"),
      );
      // Nothing arrives that was never submitted.
      assert.ok(all.every((s) => s >= 1 && s <= N));
    } finally {
      await a.close();
      await b?.close();
      await dns.close();
    }
  });
});
