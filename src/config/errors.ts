/**
 * `ConfigError`: every problem with the config dir, naming where it is.
 *
 * @module
 */

/** Where a config problem was found. */
export interface ConfigErrorOptions {
  /** File or directory relative to the config dir (`chaski.yaml`, `certs/`). @default "" */
  readonly file?: string;
  /** 1-based line, or 0 when the problem has no line. @default 0 */
  readonly line?: number;
  /** The key (or directory entry) at fault. @default "" */
  readonly field?: string;
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * A config file or config dir problem. The message starts with
 * `file:line: ` (or `file: ` when there is no line), e.g.
 * `chaski.yaml:12: field "max_data_size_mb" must be a positive integer: current value is "-1"`.
 */
export class ConfigError extends Error {
  /** File or directory relative to the config dir, or `""`. */
  readonly file: string;
  /** 1-based line, or 0. */
  readonly line: number;
  /** The key at fault, or `""`. */
  readonly field: string;

  constructor(detail: string, opts: ConfigErrorOptions = {}) {
    const file = opts.file ?? "";
    const line = opts.line ?? 0;
    const where = file === ""
      ? ""
      : line > 0
      ? `${file}:${line}: `
      : `${file}: `;
    super(
      where + detail,
      opts.cause === undefined ? {} : { cause: opts.cause },
    );
    this.name = "ConfigError";
    this.file = file;
    this.line = line;
    this.field = opts.field ?? "";
  }
}

/** Quotes a value for an error message the way the style guide asks. */
export function quote(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return `[${v.map(quote).join(", ")}]`;
  if (typeof v === "object") return JSON.stringify(v);
  return JSON.stringify(String(v));
}
