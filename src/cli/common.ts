/**
 * Shared CLI plumbing: output, errors with exit codes, argument spelling.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";

/** Where commands print. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

/** A user-facing failure: one line, a chosen exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** The default config dir (P-01, chaski differs). */
export const DEFAULT_CONFIG_DIR = "/etc/chaski";

/**
 * Accepts chasquid's spellings: `-config_dir=X`, `--config_dir X`,
 * `-C=X`, `--configdir` (deprecated) all become `--config-dir`;
 * `-config_overrides` becomes `--config-overrides`; `-v=N` becomes `-v N`.
 */
export function normalizeArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const m =
      /^--?(config_dir|configdir|config-dir|C|config_overrides|config-overrides|v)(=(.*))?$/s
        .exec(a);
    if (!m) {
      out.push(a);
      continue;
    }
    const name = m[1] === "config_overrides" || m[1] === "config-overrides"
      ? "--config-overrides"
      : m[1] === "v"
      ? "-v"
      : "--config-dir";
    out.push(name);
    if (m[2] !== undefined) out.push(m[3]!);
  }
  return out;
}

/** `parseArgs` that turns its errors into one-line `CliError`s. */
export function parse<T extends ParseArgsConfig["options"]>(
  args: string[],
  options: T,
  allowPositionals = true,
): {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
} {
  try {
    const r = parseArgs({
      args,
      options: options ?? {},
      allowPositionals,
      strict: true,
    });
    return {
      values: r.values as Record<string, string | boolean | undefined>,
      positionals: r.positionals,
    };
  } catch (err) {
    throw new CliError((err as Error).message.split("\n")[0]!, 2);
  }
}

/** Common options of commands that read a config dir. */
export const CONFIG_OPTIONS = {
  "config-dir": { type: "string" },
  "config-overrides": { type: "string" },
  v: { type: "string", short: "v" },
  help: { type: "boolean", short: "h" },
} as const;

/** Reads `-v` as a number (chasquid's verbosity). */
export function verbosity(v: string | boolean | undefined): number {
  if (v === undefined || typeof v === "boolean") return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new CliError(
      `-v must be a non-negative integer: current value is "${v}"`,
      2,
    );
  }
  return n;
}
