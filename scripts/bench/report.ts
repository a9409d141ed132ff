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
  const notes = rows.flatMap((r) =>
    r.notes.map((n) =>
      `- ${r.runtime} ${sizeLabel(r.sizeBytes)} c=${r.concurrency}: ${n}`
    )
  );
  return markdown(HEAD, body, notes);
}

/** A right-aligned markdown table, then the notes. */
function markdown(
  head: readonly string[],
  body: readonly string[][],
  notes: readonly string[],
): string {
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.map((b) => b[i]!.length))
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(" | ")} |`;
  const sep = `|${widths.map((w) => `${"-".repeat(w + 1)}:`).join("|")}|`;
  return [line(head), sep, ...body.map(line), "", ...notes].join("\n")
    .trimEnd() + "\n";
}

/** One end-to-end run (`--e2e`): runtime × local delivery method. */
export interface E2eRow {
  readonly runtime: string;
  /** `mda file`, `mda null`, `lmtp unix`, `lmtp tcp`. */
  readonly local: string;
  readonly sizeBytes: number;
  readonly concurrency: number;
  /** Messages smtp-source completed, minus its warnings. */
  readonly accepted: number;
  /** Deliveries counted at the other end (maildir files, sink count). */
  readonly delivered: number;
  /** smtp-source warnings. */
  readonly errors: number;
  /** Completed messages / smtp-source wall time. */
  readonly acceptMsgPerSec: number;
  /** Delivered / (last delivery − load start); null without deliveries. */
  readonly deliveredMsgPerSec: number | null;
  /** Load end to empty queue with everything delivered; null: gave up. */
  readonly drainMs: number | null;
  readonly peakRssMiB: number;
  /** Server CPU (own) from load start to drained, per accepted message. */
  readonly cpuMsPerMsg: number;
  /** CPU of the server's reaped children (the MDAs), per accepted message. */
  readonly childCpuMsPerMsg: number;
  readonly notes: readonly string[];
}

const E2E_HEAD = [
  "runtime",
  "local",
  "size",
  "conc",
  "accepted",
  "delivered",
  "errors",
  "accept msg/s",
  "delivered msg/s",
  "drain s",
  "peak RSS MiB",
  "CPU ms/msg",
  "MDA CPU ms/msg",
];

/** The end-to-end rows as one markdown table, then the notes. */
export function renderE2eTable(rows: readonly E2eRow[]): string {
  const body = rows.map((r) => [
    r.runtime,
    r.local,
    sizeLabel(r.sizeBytes),
    String(r.concurrency),
    String(r.accepted),
    String(r.delivered),
    String(r.errors),
    fixed(r.acceptMsgPerSec, 0),
    fixed(r.deliveredMsgPerSec, 0),
    r.drainMs === null ? "not drained" : fixed(r.drainMs / 1000, 1),
    fixed(r.peakRssMiB, 0),
    fixed(r.cpuMsPerMsg, 2),
    r.local.startsWith("mda") ? fixed(r.childCpuMsPerMsg, 2) : "-",
  ]);
  const notes = rows.flatMap((r) =>
    r.notes.map((n) => `- ${r.runtime} ${r.local}: ${n}`)
  );
  return markdown(E2E_HEAD, body, notes);
}
