/**
 * The metrics registry: counters (optionally with one label, like Go's
 * `expvar.Map`) and gauges, exported as OpenMetrics text (M-05) and as a
 * plain snapshot for `/debug/vars` (M-04).
 *
 * Names are chasquid's expvar names (`chasquid/queue/putCount`); the
 * OpenMetrics name replaces every character outside `[A-Za-z0-9_]` with
 * `_` and prefixes `i` when it would start with a digit, as chasquid's
 * expvarom does.
 *
 * Format: chasquid's sample names are kept, so dashboards written for
 * chasquid keep working. A counter sample named `x` (no `_total`) is only
 * valid OpenMetrics when the family's type is `unknown`, so counters get
 * no `# TYPE` line (OpenMetrics reads that as `unknown`, the classic text
 * format as `untyped`; an explicit `# TYPE x unknown` would break classic
 * parsers such as `promtool check metrics`). Gauges say `# TYPE x gauge`.
 * No blank lines and no free comments (OpenMetrics allows neither); the
 * text ends with `# EOF`.
 *
 * There is no global registry: `app.ts` makes one and hands it down.
 *
 * @module
 */

/** The `Content-Type` of `openMetrics()` text. */
export const OPENMETRICS_CONTENT_TYPE =
  "application/openmetrics-text; version=1.0.0; charset=utf-8";

/** A counter, with at most one label. */
export interface Counter {
  /**
   * Adds `n` (default 1). A labelled counter needs `label` (the label's
   * value); an unlabelled one must not get one.
   */
  inc(label?: string, n?: number): void;
  /** The current value (of one label value; 0 when never counted). */
  value(label?: string): number;
}

/** A gauge: set directly, or read from a function at export time. */
export interface Gauge {
  set(v: number): void;
  value(): number;
}

interface CounterFamily {
  readonly kind: "counter";
  readonly name: string;
  readonly help: string;
  readonly labelName: string | undefined;
  total: number;
  readonly byLabel: Map<string, number>;
  readonly handle: Counter;
}

interface GaugeFamily {
  readonly kind: "gauge";
  readonly name: string;
  readonly help: string;
  v: number;
  fn: (() => number) | undefined;
  readonly handle: Gauge;
}

type Family = CounterFamily | GaugeFamily;

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Counters and gauges by expvar name. */
export class MetricsRegistry {
  readonly #families = new Map<string, Family>();

  /**
   * Declares a counter, or returns the one already declared under `name`
   * (modules rebuilt on reload declare again).
   * @throws {TypeError} when `name` is taken by a different kind of metric,
   * or by a counter with another label; or when `labelName` is not a
   * valid label name.
   */
  counter(name: string, help: string, labelName?: string): Counter {
    if (labelName !== undefined && !LABEL_NAME.test(labelName)) {
      throw new TypeError(`metric label name is not valid: "${labelName}"`);
    }
    const old = this.#families.get(name);
    if (old) {
      if (old.kind !== "counter" || old.labelName !== labelName) {
        throw new TypeError(`metric "${name}" is already declared differently`);
      }
      return old.handle;
    }
    this.#checkMangledName(name);
    const f: CounterFamily = {
      kind: "counter",
      name,
      help,
      labelName,
      total: 0,
      byLabel: new Map(),
      handle: {
        inc: (label, n = 1) => counterInc(f, label, n),
        value: (label) =>
          label === undefined ? f.total : f.byLabel.get(label) ?? 0,
      },
    };
    this.#families.set(name, f);
    return f.handle;
  }

  /**
   * Declares a gauge, or returns the one already declared under `name`.
   * With `fn`, the value is read from it at export time; a new `fn`
   * replaces the old one (the newest owner after a reload wins).
   * @throws {TypeError} when `name` is taken by a counter.
   */
  gauge(name: string, help: string, fn?: () => number): Gauge {
    const old = this.#families.get(name);
    if (old) {
      if (old.kind !== "gauge") {
        throw new TypeError(`metric "${name}" is already declared differently`);
      }
      if (fn) old.fn = fn;
      return old.handle;
    }
    this.#checkMangledName(name);
    const f: GaugeFamily = {
      kind: "gauge",
      name,
      help,
      v: 0,
      fn,
      handle: {
        set: (v) => {
          f.v = v;
        },
        value: () => (f.fn ? f.fn() : f.v),
      },
    };
    this.#families.set(name, f);
    return f.handle;
  }

  /** Two expvar names must not meet in one OpenMetrics name. */
  #checkMangledName(name: string): void {
    const om = metricNameToOM(name);
    for (const other of this.#families.keys()) {
      if (metricNameToOM(other) === om) {
        throw new TypeError(
          `metric "${name}" has the same exported name as "${other}": "${om}"`,
        );
      }
    }
  }

  /** Every metric as OpenMetrics text (M-05), sorted by exported name. */
  openMetrics(): string {
    const out: string[] = [];
    const families = [...this.#families.values()]
      .map((f) => ({ om: metricNameToOM(f.name), f }))
      .sort((a, b) => (a.om < b.om ? -1 : a.om > b.om ? 1 : 0));
    for (const { om, f } of families) {
      if (f.help !== "") out.push(`# HELP ${om} ${escapeHelp(f.help)}\n`);
      if (f.kind === "gauge") {
        out.push(`# TYPE ${om} gauge\n`);
        out.push(`${om} ${formatNumber(f.handle.value())}\n`);
      } else if (f.labelName === undefined) {
        out.push(`${om} ${formatNumber(f.total)}\n`);
      } else {
        for (const [label, v] of [...f.byLabel].sort(byKey)) {
          out.push(
            `${om}{${f.labelName}=${quoteLabelValue(label)}} ${
              formatNumber(v)
            }\n`,
          );
        }
      }
    }
    out.push("# EOF\n");
    return out.join("");
  }

  /** Every metric by expvar name: labelled counters as `{ label: value }`. */
  snapshot(): Record<string, number | Record<string, number>> {
    const out: Record<string, number | Record<string, number>> = {};
    for (const f of this.#families.values()) {
      if (f.kind === "gauge") out[f.name] = f.handle.value();
      else if (f.labelName === undefined) out[f.name] = f.total;
      else out[f.name] = Object.fromEntries([...f.byLabel].sort(byKey));
    }
    return out;
  }
}

function counterInc(f: CounterFamily, label: string | undefined, n: number) {
  if (!Number.isFinite(n) || n < 0) {
    throw new RangeError(
      `counter "${f.name}" can only go up: current value is "${n}"`,
    );
  }
  if ((label === undefined) !== (f.labelName === undefined)) {
    throw new TypeError(
      f.labelName === undefined
        ? `counter "${f.name}" has no label`
        : `counter "${f.name}" needs a "${f.labelName}" value`,
    );
  }
  f.total += n;
  if (label !== undefined) {
    f.byLabel.set(label, (f.byLabel.get(label) ?? 0) + n);
  }
}

function byKey(a: [string, number], b: [string, number]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * The OpenMetrics name of an expvar name: characters outside
 * `[A-Za-z0-9_]` become `_`, and a leading digit gets an `i` before it.
 */
export function metricNameToOM(name: string): string {
  let n = "";
  for (const c of name) n += /^[A-Za-z0-9_]$/.test(c) ? c : "_";
  return /^[0-9]/.test(n) ? `i${n}` : n;
}

/**
 * A label value in double quotes, with `\`, `"` and newlines escaped as
 * OpenMetrics requires. Lone surrogates (not valid UTF-8) are written as
 * `\uXXXX` text first, as chasquid hard-quotes invalid UTF-8.
 */
export function quoteLabelValue(v: string): string {
  const wellFormed = v.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const escaped = wellFormed.replaceAll("\\", "\\\\").replaceAll('"', '\\"')
    .replaceAll("\n", "\\n");
  return `"${escaped}"`;
}

/** HELP text escapes `\` and newlines (OpenMetrics). */
function escapeHelp(help: string): string {
  return help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/** Integers as digits, other numbers in OpenMetrics spelling. */
function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return v.toFixed(0);
  return String(v);
}
