import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "./duration.ts";

describe("parseDuration()", () => {
  const good: [string, number][] = [
    ["0", 0],
    ["20h", 72_000_000],
    ["360m", 21_600_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["1m30.5s", 90_500],
    [".5s", 500],
    ["1.s", 1000],
    ["500ms", 500],
    ["1500us", 1.5],
    ["1500µs", 1.5],
    ["1500μs", 1.5],
    ["2000000ns", 2],
    ["-2s", -2000],
    ["+3s", 3000],
    ["1h1h", 7_200_000],
  ];
  for (const [input, ms] of good) {
    it(`reads "${input}" as ${ms} ms`, () => {
      assert.equal(parseDuration(input), ms);
    });
  }

  const bad: [string, RegExp][] = [
    ["", /invalid duration ""/],
    ["h", /invalid duration/],
    ["1", /missing unit in duration "1"/],
    ["2d", /unknown unit "d" in duration "2d"/],
    ["1h 30m", /unknown unit "h " in duration/],
    ["-", /invalid duration/],
    [".s", /invalid duration/],
    ["1hh", /unknown unit "hh"/],
  ];
  for (const [input, re] of bad) {
    it(`rejects "${input}"`, () => {
      assert.throws(() => parseDuration(input), SyntaxError);
      assert.throws(() => parseDuration(input), re);
    });
  }
});

describe("formatDuration()", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [72_000_000, "20h"],
    [5_400_000, "1h30m"],
    [3_630_000, "1h30s"],
    [90_000, "1m30s"],
    [1500, "1.5s"],
    [500, "500ms"],
    [1.5, "1.5ms"],
    [0.5, "500us"],
    [0.000_5, "500ns"],
    [-2000, "-2s"],
  ];
  for (const [ms, text] of cases) {
    it(`writes ${ms} ms as "${text}"`, () => {
      assert.equal(formatDuration(ms), text);
    });
  }

  it("round-trips through parseDuration()", () => {
    for (const ms of [1, 999, 1001, 59_999, 86_400_000, 123_456_789]) {
      assert.equal(parseDuration(formatDuration(ms)), ms);
    }
  });
});
