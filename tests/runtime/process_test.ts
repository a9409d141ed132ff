/**
 * Runtime contract: signals, clock and process facts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { RUNTIME_NAME, testRuntime, waitFor } from "./_runtime.ts";

const rt = testRuntime();

describe("Signals.on()", () => {
  it("runs the handler when the process gets SIGHUP, until removed", async () => {
    let count = 0;
    const off = rt.signals.on("SIGHUP", () => count++);
    try {
      process.kill(process.pid, "SIGHUP");
      await waitFor("the SIGHUP handler", () => count === 1);
    } finally {
      off();
    }
  });
});

describe("Clock", () => {
  it("sleep() rejects with the abort reason", async () => {
    const ac = new AbortController();
    const p = rt.clock.sleep(60_000, ac.signal);
    ac.abort(new Error("stop"));
    await assert.rejects(p, /stop/);
  });

  it("setTimer() fires, and reset() restarts it", async () => {
    let fired = 0;
    const t = rt.clock.setTimer(60_000, () => fired++);
    t.reset(1);
    await waitFor("the timer", () => fired === 1);
    const t2 = rt.clock.setTimer(1, () => fired++);
    t2.cancel();
    await rt.clock.sleep(20);
    assert.equal(fired, 1);
  });

  it("monotonic() does not go backwards", () => {
    const a = rt.clock.monotonic();
    assert.ok(rt.clock.monotonic() >= a);
    assert.ok(Math.abs(rt.clock.now() - Date.now()) < 60_000);
  });
});

describe("ProcessInfo", () => {
  it("names the runtime and reports process facts", () => {
    assert.equal(rt.process.runtime, RUNTIME_NAME);
    assert.match(rt.process.runtimeVersion, /^\d+\.\d+/);
    assert.equal(rt.process.pid, process.pid);
    assert.ok(rt.process.hostname().length > 0);
    assert.ok(rt.process.memoryRss() > 0);
    assert.ok(rt.process.cpuUsageMicros() > 0);
    assert.equal(rt.process.env("PATH"), process.env.PATH);
  });
});
