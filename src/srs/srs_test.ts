import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isSrs, Srs } from "./srs.ts";

const DAY = 86_400_000;
const KEY = new Uint8Array(32).fill(7);
const OTHER = new Uint8Array(32).fill(9);

function clock(start = Date.UTC(2026, 10, 22)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("Srs.forward()", () => {
  it("rewrites a plain sender to SRS0 at the alias domain", () => {
    const srs = new Srs({ keys: [KEY], now: clock().now });
    const got = srs.forward("x@ext.test", "a.test");
    assert.match(got, /^SRS0=[A-Z2-7]{6}=[A-Z2-7]{2}=ext\.test=x@a\.test$/);
  });

  it("round-trips through reverse()", () => {
    const srs = new Srs({ keys: [KEY], now: clock().now });
    const got = srs.reverse(srs.forward("Some.One=x@ext.test", "a.test"));
    assert.deepEqual(got, { ok: true, address: "Some.One=x@ext.test" });
  });

  it("gives SRS1 on re-forwarding an SRS0 address, decoding to the SRS0", () => {
    const c = clock();
    const first = new Srs({ keys: [OTHER], now: c.now });
    const srs0 = first.forward("x@ext.test", "fwd1.test");
    const srs = new Srs({ keys: [KEY], now: c.now });
    const srs1 = srs.forward(srs0, "a.test");
    assert.match(srs1, /^SRS1=[A-Z2-7]{6}=fwd1\.test==[A-Z2-7]{6}=/);
    assert.ok(srs1.endsWith("=ext.test=x@a.test"));
    assert.deepEqual(srs.reverse(srs1), { ok: true, address: srs0 });
    assert.deepEqual(first.reverse(srs0), { ok: true, address: "x@ext.test" });
  });

  it("keeps the first forwarder when re-forwarding SRS1", () => {
    const c = clock();
    const srs0 = new Srs({ keys: [OTHER], now: c.now }).forward(
      "x@ext.test",
      "fwd1.test",
    );
    const srs1 = new Srs({ keys: [OTHER], now: c.now }).forward(
      srs0,
      "fwd2.test",
    );
    const srs = new Srs({ keys: [KEY], now: c.now });
    const again = srs.forward(srs1, "a.test");
    assert.match(again, /^SRS1=[A-Z2-7]{6}=fwd1\.test==.*@a\.test$/);
    assert.deepEqual(srs.reverse(again), { ok: true, address: srs0 });
  });

  it("leaves the null sender alone", () => {
    const srs = new Srs({ keys: [KEY], now: clock().now });
    assert.equal(srs.forward("", "a.test"), "");
  });
});

describe("Srs.reverse()", () => {
  it("refuses a tampered hash", () => {
    const srs = new Srs({ keys: [KEY], now: clock().now });
    const addr = srs.forward("x@ext.test", "a.test");
    const hash = addr.slice(5, 11);
    const bad = hash[0] === "A" ? "B" + hash.slice(1) : "A" + hash.slice(1);
    const got = srs.reverse(addr.replace(hash, bad));
    assert.deepEqual(got, { ok: false, reason: "bad hash" });
  });

  it("refuses a tampered original address", () => {
    const srs = new Srs({ keys: [KEY], now: clock().now });
    const addr = srs.forward("x@ext.test", "a.test");
    const got = srs.reverse(addr.replace("=x@", "=y@"));
    assert.equal(got.ok, false);
  });

  it("refuses addresses made with a key it does not have", () => {
    const c = clock();
    const addr = new Srs({ keys: [OTHER], now: c.now }).forward(
      "x@e.test",
      "a.test",
    );
    assert.equal(new Srs({ keys: [KEY], now: c.now }).reverse(addr).ok, false);
  });

  it("accepts addresses up to 7 days old and refuses older ones", () => {
    const c = clock();
    const srs = new Srs({ keys: [KEY], now: c.now });
    const addr = srs.forward("x@ext.test", "a.test");
    c.advance(7 * DAY);
    assert.equal(srs.reverse(addr).ok, true);
    c.advance(DAY);
    assert.deepEqual(srs.reverse(addr), { ok: false, reason: "expired" });
  });

  it("refuses a timestamp from the future (wraps to 1024 days old)", () => {
    const c = clock();
    const srs = new Srs({ keys: [KEY], now: c.now });
    c.advance(2 * DAY);
    const addr = srs.forward("x@ext.test", "a.test");
    c.advance(-2 * DAY);
    assert.equal(srs.reverse(addr).ok, false);
  });

  it("ignores case in the hash, timestamp and address (RCPT folds case)", () => {
    const srs = new Srs({ keys: [KEY], now: clock().now });
    const addr = srs.forward("X.Y@Ext.Test", "a.test");
    assert.deepEqual(srs.reverse(addr.toLowerCase()), {
      ok: true,
      address: "x.y@ext.test",
    });
  });

  it("keeps old keys valid after rotation", () => {
    const c = clock();
    const before = new Srs({ keys: [KEY], now: c.now });
    const addr = before.forward("x@ext.test", "a.test");
    const after = new Srs({ keys: [OTHER, KEY], now: c.now });
    assert.deepEqual(after.reverse(addr), { ok: true, address: "x@ext.test" });
    const fresh = after.forward("x@ext.test", "a.test");
    assert.notEqual(fresh, addr);
    assert.equal(before.reverse(fresh).ok, false);
  });

  const malformed: [name: string, address: string][] = [
    ["not SRS at all", "user@a.test"],
    ["SRS0 missing fields", "SRS0=AAAAAA=AA=ext.test@a.test"],
    ["SRS0 with an empty local part", "SRS0=AAAAAA=AA=ext.test=@a.test"],
    ["SRS1 missing fields", "SRS1=AAAAAA@a.test"],
    ["bad timestamp characters", "SRS0=AAAAAA=1!=ext.test=x@a.test"],
  ];
  for (const [name, address] of malformed) {
    it(`refuses a malformed address: ${name}`, () => {
      const srs = new Srs({ keys: [KEY], now: clock().now });
      assert.equal(srs.reverse(address).ok, false);
    });
  }
});

describe("isSrs()", () => {
  it("recognises SRS0 and SRS1 local parts in any case", () => {
    assert.equal(isSrs("SRS0=a=b=c=d@x.test"), true);
    assert.equal(isSrs("srs1+a@x.test"), true);
    assert.equal(isSrs("srs@x.test"), false);
    assert.equal(isSrs("user@x.test"), false);
  });
});
