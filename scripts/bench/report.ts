/**
 * The bench's figures per cell and the markdown table they print as.
 *
 * @module
 */

/** One cell of the matrix (runtime × size × concurrency). */
export interface Row {
  readonly runtime: string;
  readonly sizeBytes: number;
  readonly concurrency: number;
  /** Messages smtp-source completed against chaski. */
  readonly messages: number;
  readonly msgPerSec: number;
  /** The same load against smtp-sink; null when not measured. */
  readonly sinkMsgPerSec: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** VmHWM after the cell: the server's peak RSS so far. */
  readonly peakRssMiB: number;
  /** Server CPU (user + system) from load start to queue drained, per message. */
  readonly cpuMsPerMsg: number;
  /** Load end to empty queue; null when it did not drain in time. */
  readonly drainMs: number | null;
  /** Errors from smtp-source and from the probe. */
  readonly errors: number;
  readonly notes: readonly string[];
}

/** The `q` quantile (0..1) of `xs` by nearest rank; null when empty. */
export function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** `2 KiB`, `100 KiB`. */
export function sizeLabel(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

function fixed(n: number | null, digits: number): string {
  return n === null || !Number.isFinite(n) ? "-" : n.toFixed(digits);
}

const HEAD = [
  "runtime",
  "size",
  "conc",
  "msgs",
  "msg/s",
  "sink msg/s",
  "% of sink",
  "p50 ms",
  "p99 ms",
  "peak RSS MiB",
  "CPU ms/msg",
  "drain s",
  "errors",
];

/** The rows as one markdown table, then the notes as a list. */
export function renderTable(rows: readonly Row[]): string {
  const body = rows.map((r) => [
    r.runtime,
    sizeLabel(r.sizeBytes),
    String(r.concurrency),
    String(r.messages),
    fixed(r.msgPerSec, 0),
    fixed(r.sinkMsgPerSec, 0),
    r.sinkMsgPerSec
      ? `${fixed((100 * r.msgPerSec) / r.sinkMsgPerSec, 1)}%`
      : "-",
    fixed(r.p50Ms, 1),
    fixed(r.p99Ms, 1),
    fixed(r.peakRssMiB, 0),
    fixed(r.cpuMsPerMsg, 2),
    r.drainMs === null ? "not drained" : fixed(r.drainMs / 1000, 1),
    String(r.errors),
  ]);
  const widths = HEAD.map((h, i) =>
    Math.max(h.length, ...body.map((b) => b[i]!.length))
  );
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(" | ")} |`;
  const sep = `|${widths.map((w) => `${"-".repeat(w + 1)}:`).join("|")}|`;
  const notes = rows.flatMap((r) =>
    r.notes.map((n) =>
      `- ${r.runtime} ${sizeLabel(r.sizeBytes)} c=${r.concurrency}: ${n}`
    )
  );
  return [line(HEAD), sep, ...body.map(line), "", ...notes].join("\n")
    .trimEnd() + "\n";
}
