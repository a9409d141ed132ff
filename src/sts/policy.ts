/**
 * MTA-STS policies (RFC 8461 §3.2): parsing and validation (ST-02) and MX
 * matching (ST-03).
 *
 * @module
 */

/** What a policy asks of senders. */
export type StsMode = "enforce" | "testing" | "none";

/** A validated MTA-STS policy. */
export interface Policy {
  readonly version: "STSv1";
  readonly mode: StsMode;
  /** MX patterns, lower case, without a trailing dot; `*.` is a wildcard. */
  readonly mx: readonly string[];
  /** Seconds the policy may be cached, 1..31557600. */
  readonly maxAge: number;
}

/** The largest `max_age` RFC 8461 allows: about one year. */
export const MAX_MAX_AGE = 31_557_600;

/** A policy text that is not a valid STSv1 policy. */
export class StsPolicyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StsPolicyError";
  }
}

const MODES: readonly string[] = ["enforce", "testing", "none"];

/**
 * Parses a policy body: `key: value` lines separated by CRLF or LF. Unknown
 * keys are ignored (RFC 8461 §3.2 allows extensions); `mx` may repeat; for
 * the other keys the last line wins.
 * @throws {StsPolicyError} when a line is not `key: value`, or the policy
 *   fails ST-02's checks.
 */
export function parsePolicy(text: string): Policy {
  let version = "";
  let mode = "";
  let maxAge = "";
  const mx: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) {
      throw new StsPolicyError(`Malformed policy line: "${line}"`);
    }
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === "version") version = value;
    else if (key === "mode") mode = value;
    else if (key === "max_age") maxAge = value;
    else if (key === "mx") mx.push(normalizeHost(value));
  }
  return validatePolicy({ version, mode, maxAge, mx });
}

/**
 * Checks the fields of a policy (ST-02), as parsed or as read back from the
 * cache.
 * @throws {StsPolicyError} naming the first field that is wrong.
 */
export function validatePolicy(
  p: { version: unknown; mode: unknown; maxAge: unknown; mx: unknown },
): Policy {
  if (p.version !== "STSv1") {
    throw new StsPolicyError(
      `Policy field "version" must be "STSv1": current value is "${p.version}"`,
    );
  }
  if (typeof p.mode !== "string" || !MODES.includes(p.mode)) {
    throw new StsPolicyError(
      `Policy field "mode" must be enforce, testing or none: current value is "${p.mode}"`,
    );
  }
  const maxAge = typeof p.maxAge === "string" && /^[0-9]{1,10}$/.test(p.maxAge)
    ? Number(p.maxAge)
    : p.maxAge;
  if (
    typeof maxAge !== "number" || !Number.isInteger(maxAge) || maxAge < 1 ||
    maxAge > MAX_MAX_AGE
  ) {
    throw new StsPolicyError(
      `Policy field "max_age" must be an integer from 1 to ${MAX_MAX_AGE}: current value is "${p.maxAge}"`,
    );
  }
  if (
    !Array.isArray(p.mx) || p.mx.length === 0 ||
    !p.mx.every((m) => typeof m === "string" && m !== "")
  ) {
    throw new StsPolicyError(`Policy has no "mx" field`);
  }
  return {
    version: "STSv1",
    mode: p.mode as StsMode,
    mx: p.mx as string[],
    maxAge,
  };
}

function normalizeHost(h: string): string {
  return h.toLowerCase().replace(/\.$/, "");
}

/**
 * True when `host` matches one of the policy's `mx` patterns (RFC 8461
 * §4.1): equal ignoring case and a trailing dot, or, for `*.rest`, exactly
 * one label followed by `.rest` (`*.b.test` matches `mx.b.test`, not
 * `b.test` nor `a.mx.b.test`).
 */
export function matchesMx(policy: Policy, host: string): boolean {
  const h = normalizeHost(host);
  return policy.mx.some((pattern) => {
    if (!pattern.startsWith("*.")) return pattern === h;
    const rest = pattern.slice(1); // ".b.test"
    if (!h.endsWith(rest)) return false;
    const label = h.slice(0, -rest.length);
    return label !== "" && !label.includes(".");
  });
}
