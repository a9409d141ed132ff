/**
 * Go duration strings (`time.ParseDuration`), as chasquid's
 * `give_up_send_after` uses them: a sequence of decimal numbers, each with
 * an optional fraction and a unit (`ns us µs μs ms s m h`), e.g. `1h30m`,
 * `1.5h`, `360m`, `-2s`. There is no day unit. `0` alone needs no unit.
 *
 * @module
 */

/** Nanoseconds per unit; sums are exact in BigInt, as Go's are in int64. */
const UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  "µs": 1_000n, // U+00B5 micro sign
  "μs": 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const PART = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/**
 * Parses a Go duration string into milliseconds (fractions kept for sub-ms
 * units).
 * @throws {SyntaxError} naming the string, as Go's messages do.
 * @example parseDuration("1h30m") // 5_400_000
 */
export function parseDuration(s: string): number {
  let rest = s;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest[0] === "-" ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") {
    throw new SyntaxError(`invalid duration ${JSON.stringify(s)}`);
  }
  let total = 0n;
  while (rest !== "") {
    const m = PART.exec(rest)!;
    const [all, int = "", frac = "", unit = ""] = m;
    if (int === "" && frac === "") {
      throw new SyntaxError(`invalid duration ${JSON.stringify(s)}`);
    }
    if (unit === "") {
      throw new SyntaxError(`missing unit in duration ${JSON.stringify(s)}`);
    }
    const perUnit = UNITS[unit];
    if (perUnit === undefined) {
      throw new SyntaxError(
        `unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(s)}`,
      );
    }
    total += BigInt(int || "0") * perUnit;
    if (frac !== "") {
      total += BigInt(frac) * perUnit / 10n ** BigInt(frac.length);
    }
    rest = rest.slice(all.length);
  }
  return total === 0n ? 0 : sign * (Number(total) / 1e6);
}

/**
 * Formats milliseconds as a short Go duration string that `parseDuration`
 * and Go read back: `20h`, `1h30m`, `1m30s`, `1.5s`, `500ms`, `0s`. Zero
 * components are left out (Go's own `String()` would print `20h0m0s`).
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 0) return "-" + formatDuration(-ms);
  if (ms < 1000) return formatSmall(ms);
  let out = "";
  let rest = ms;
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  if (rest > 0) out += `${trim(rest / 1000)}s`;
  return out;
}

function formatSmall(ms: number): string {
  if (ms >= 1) return `${trim(ms)}ms`;
  if (ms >= 1e-3) return `${trim(ms * 1e3)}us`;
  return `${trim(ms * 1e6)}ns`;
}

/** A number without float noise (`1.5`, not `1.4999999999`). */
function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}
