import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { metricNameToOM, MetricsRegistry, quoteLabelValue } from "./metrics.ts";

function promtool(): string | false {
  const r = spawnSync("sh", ["-c", "command -v promtool"]);
  return r.status === 0 ? false : "promtool is not installed";
}

/** A registry with one metric of each shape, as the server declares them. */
function sample(): MetricsRegistry {
  const reg = new MetricsRegistry();
  reg.counter("chasquid/queue/putCount", "count of envelopes put").inc();
  const cmds = reg.counter(
    "chasquid/smtpIn/commandCount",
    "count of SMTP commands received, by command",
    "command",
  );
  cmds.inc("EHLO");
  cmds.inc("MAIL", 2);
  cmds.inc('unknown<"\\x00AB\n">');
  reg.gauge("chaski/queue/items", "items in the queue", () => 7);
  return reg;
}

describe("metricNameToOM()", () => {
  const cases: { name: string; input: string; want: string }[] = [
    {
      name: "slashes",
      input: "chasquid/queue/putCount",
      want: "chasquid_queue_putCount",
    },
    { name: "dots and dashes", input: "a.b-c", want: "a_b_c" },
    { name: "non-ASCII, one per character", input: "añb", want: "a_b" },
    { name: "leading digit gets an i", input: "1x", want: "i1x" },
    { name: "already valid", input: "ok_Name9", want: "ok_Name9" },
  ];
  for (const c of cases) {
    it(`maps ${c.name}`, () => assert.equal(metricNameToOM(c.input), c.want));
  }
});

describe("quoteLabelValue()", () => {
  const cases: { name: string; input: string; want: string }[] = [
    { name: "plain", input: "EHLO", want: '"EHLO"' },
    { name: "quote", input: 'a"b', want: '"a\\"b"' },
    { name: "backslash", input: "a\\b", want: '"a\\\\b"' },
    { name: "newline", input: "a\nb", want: '"a\\nb"' },
    { name: "UTF-8 kept", input: "ñ", want: '"ñ"' },
    // Not representable in UTF-8: written as escape text.
    { name: "lone surrogate", input: "a\ud800", want: '"a\\\\ud800"' },
  ];
  for (const c of cases) {
    it(`quotes ${c.name}`, () =>
      assert.equal(quoteLabelValue(c.input), c.want));
  }
});

describe("MetricsRegistry.counter()", () => {
  it("counts with and without a label", () => {
    const reg = new MetricsRegistry();
    const a = reg.counter("a", "help a");
    const b = reg.counter("b", "help b", "result");
    a.inc();
    a.inc(undefined, 4);
    b.inc("ok");
    b.inc("ok");
    b.inc("fail");
    assert.equal(a.value(), 5);
    assert.equal(b.value("ok"), 2);
    assert.equal(b.value("never"), 0);
  });

  it("returns the same counter when declared again", () => {
    const reg = new MetricsRegistry();
    reg.counter("a", "help", "l").inc("x");
    reg.counter("a", "help", "l").inc("x");
    assert.deepEqual(reg.snapshot(), { a: { x: 2 } });
  });

  it("refuses a name taken by another shape or exported name", () => {
    const reg = new MetricsRegistry();
    reg.counter("a/b", "help");
    assert.throws(() => reg.counter("a/b", "help", "l"), TypeError);
    assert.throws(() => reg.gauge("a/b", "help"), TypeError);
    assert.throws(() => reg.counter("a.b", "help"), TypeError);
    assert.throws(() => reg.counter("c", "help", "bad label"), TypeError);
  });

  it("refuses a missing or unexpected label and going down", () => {
    const reg = new MetricsRegistry();
    const a = reg.counter("a", "help");
    const b = reg.counter("b", "help", "l");
    assert.throws(() => a.inc("x"), TypeError);
    assert.throws(() => b.inc(), TypeError);
    assert.throws(() => a.inc(undefined, -1), RangeError);
  });
});

describe("MetricsRegistry.gauge()", () => {
  it("reads a set value or its function", () => {
    const reg = new MetricsRegistry();
    reg.gauge("g", "help").set(3);
    let n = 1;
    reg.gauge("f", "help", () => n);
    n = 9;
    assert.deepEqual(reg.snapshot(), { g: 3, f: 9 });
    reg.gauge("f", "help", () => 10);
    assert.equal(reg.snapshot().f, 10);
  });
});

describe("MetricsRegistry.openMetrics()", () => {
  it("writes sorted families with chasquid's sample names and ends with # EOF", () => {
    assert.equal(
      sample().openMetrics(),
      [
        "# HELP chaski_queue_items items in the queue",
        "# TYPE chaski_queue_items gauge",
        "chaski_queue_items 7",
        "# HELP chasquid_queue_putCount count of envelopes put",
        "chasquid_queue_putCount 1",
        "# HELP chasquid_smtpIn_commandCount count of SMTP commands received, by command",
        'chasquid_smtpIn_commandCount{command="EHLO"} 1',
        'chasquid_smtpIn_commandCount{command="MAIL"} 2',
        'chasquid_smtpIn_commandCount{command="unknown<\\"\\\\x00AB\\n\\">"} 1',
        "# EOF",
        "",
      ].join("\n"),
    );
  });

  it("writes an empty registry as just # EOF", () => {
    assert.equal(new MetricsRegistry().openMetrics(), "# EOF\n");
  });

  it("spells floats and special values as OpenMetrics does", () => {
    const reg = new MetricsRegistry();
    reg.gauge("a", "").set(1.5);
    reg.gauge("b", "").set(NaN);
    reg.gauge("c", "").set(-Infinity);
    reg.gauge("d", "multi\nline \\ help").set(2);
    assert.equal(
      reg.openMetrics(),
      [
        "# TYPE a gauge",
        "a 1.5",
        "# TYPE b gauge",
        "b NaN",
        "# TYPE c gauge",
        "c -Inf",
        "# HELP d multi\\nline \\\\ help",
        "# TYPE d gauge",
        "d 2",
        "# EOF",
        "",
      ].join("\n"),
    );
  });

  it("is accepted by promtool check metrics", { skip: promtool() }, () => {
    const r = spawnSync("promtool", ["check", "metrics"], {
      input: sample().openMetrics(),
      encoding: "utf8",
    });
    // Exit 3 is lint advice only; chasquid's names are camelCase, which
    // promtool's style lint flags. Anything else is a parse error.
    const advice = r.stdout.trim().split("\n").filter((l) => l !== "");
    assert.ok(r.status === 0 || r.status === 3, `${r.stdout}${r.stderr}`);
    for (const line of advice) {
      assert.match(line, /should be written in 'snake_case' not 'camelCase'$/);
    }
  });
});

describe("MetricsRegistry.snapshot()", () => {
  it("gives numbers and label maps by expvar name", () => {
    assert.deepEqual(sample().snapshot(), {
      "chasquid/queue/putCount": 1,
      "chasquid/smtpIn/commandCount": {
        EHLO: 1,
        MAIL: 2,
        'unknown<"\\x00AB\n">': 1,
      },
      "chaski/queue/items": 7,
    });
  });
});
