/**
 * The leveled debug log. Levels follow chasquid's `-v`: 0 shows info,
 * warnings and errors; 1 adds debug; 2 adds trace-level detail. Each source
 * takes `log.child({ component })`; debug fields are built lazily by passing
 * a function. This folder holds the only console sink in the codebase.
 *
 * @module
 */

/** Structured fields attached to a log line. */
export type Fields = Record<string, unknown>;

/** Severity, lowest first. */
export type Level = "trace" | "debug" | "info" | "warn" | "error";

const LEVEL_RANK: Record<Level, number> = {
  trace: -2,
  debug: -1,
  info: 0,
  warn: 1,
  error: 2,
};

/** Where formatted lines go. */
export type LogSink = (line: string) => void;

/** A leveled, structured logger. */
export interface Logger {
  child(fields: Fields): Logger;
  /** Debug detail; pass a function to build fields only when enabled. */
  debug(msg: string, fields?: Fields | (() => Fields)): void;
  trace(msg: string, fields?: Fields | (() => Fields)): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** True when `level` lines are written, to skip expensive work. */
  enabled(level: Level): boolean;
}

/** Options for `createLogger`. */
export interface LoggerOptions {
  /** chasquid's `-v`: 0 info, 1 debug, 2 trace. @default 0 */
  readonly verbosity?: number;
  /** Destination. @default console.error */
  readonly sink?: LogSink;
  /** Prefix lines with an ISO timestamp. @default true */
  readonly timestamps?: boolean;
  /** Clock for timestamps. @default Date.now */
  readonly now?: () => number;
}

/** Writes one line to standard error. */
export function stderrSink(line: string): void {
  console.error(line);
}

/** Writes one line to standard output. */
export function stdoutSink(line: string): void {
  console.log(line);
}

/** Builds the root logger. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const minRank = -(opts.verbosity ?? 0);
  const sink = opts.sink ?? stderrSink;
  const timestamps = opts.timestamps ?? true;
  const now = opts.now ?? Date.now;
  return new LineLogger({}, { minRank, sink, timestamps, now });
}

/** A logger that drops everything (for tests and tools). */
export function nullLogger(): Logger {
  return new LineLogger({}, {
    minRank: 99,
    sink: () => {},
    timestamps: false,
    now: Date.now,
  });
}

interface Shared {
  readonly minRank: number;
  readonly sink: LogSink;
  readonly timestamps: boolean;
  readonly now: () => number;
}

class LineLogger implements Logger {
  readonly #fields: Fields;
  readonly #shared: Shared;

  constructor(fields: Fields, shared: Shared) {
    this.#fields = fields;
    this.#shared = shared;
  }

  child(fields: Fields): Logger {
    return new LineLogger({ ...this.#fields, ...fields }, this.#shared);
  }

  enabled(level: Level): boolean {
    return LEVEL_RANK[level] >= this.#shared.minRank;
  }

  trace(msg: string, fields?: Fields | (() => Fields)): void {
    if (this.enabled("trace")) {
      this.#write(
        "trace",
        msg,
        typeof fields === "function" ? fields() : fields,
      );
    }
  }
  debug(msg: string, fields?: Fields | (() => Fields)): void {
    if (this.enabled("debug")) {
      this.#write(
        "debug",
        msg,
        typeof fields === "function" ? fields() : fields,
      );
    }
  }
  info(msg: string, fields?: Fields): void {
    if (this.enabled("info")) this.#write("info", msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    if (this.enabled("warn")) this.#write("warn", msg, fields);
  }
  error(msg: string, fields?: Fields): void {
    this.#write("error", msg, fields);
  }

  #write(level: Level, msg: string, fields: Fields | undefined): void {
    const all = fields ? { ...this.#fields, ...fields } : this.#fields;
    let line = this.#shared.timestamps
      ? `${new Date(this.#shared.now()).toISOString()} `
      : "";
    line += `${level.toUpperCase().padEnd(5)} ${msg}`;
    for (const [k, v] of Object.entries(all)) line += ` ${k}=${formatValue(v)}`;
    this.#shared.sink(line);
  }
}

function formatValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === "string") {
    return /^[\w.:@\/+\-<>\[\]]*$/.test(v) && v !== "" ? v : JSON.stringify(v);
  }
  if (
    typeof v === "number" || typeof v === "boolean" || v === null ||
    v === undefined
  ) return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
