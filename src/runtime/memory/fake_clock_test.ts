import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "./fake_clock.ts";

describe("FakeClock", () => {
  it("resolves sleeps only when advanced far enough", async () => {
    const clock = new FakeClock(1000);
    let done = false;
    const p = clock.sleep(50).then(() => done = true);
    await clock.advance(49);
    assert.equal(done, false);
    await clock.advance(1);
    await p;
    assert.equal(done, true);
    assert.equal(clock.now(), 1050);
    assert.equal(clock.monotonic(), 50);
  });

  it("fires timers in order and lets a sleeping loop take each step", async () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        seen.push(clock.monotonic());
      }
    })();
    clock.setTimer(15, () => seen.push(-15));
    await clock.advance(30);
    await loop;
    assert.deepEqual(seen, [10, -15, 20, 30]);
    assert.equal(clock.pending, 0);
  });

  it("cancels and resets timers", async () => {
    const clock = new FakeClock();
    let fired = 0;
    const t = clock.setTimer(10, () => fired++);
    t.reset(100);
    await clock.advance(50);
    assert.equal(fired, 0);
    await clock.advance(50);
    assert.equal(fired, 1);
    const t2 = clock.setTimer(10, () => fired++);
    t2.cancel();
    await clock.advance(20);
    assert.equal(fired, 1);
  });

  it("rejects an aborted sleep with the reason", async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const p = clock.sleep(10, ac.signal);
    ac.abort(new Error("stop"));
    await assert.rejects(p, /stop/);
    assert.equal(clock.pending, 0);
  });
});
