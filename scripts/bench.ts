/**
 * `deno task bench`: loads a running chaski over loopback with Postfix's
 * `smtp-source` (or, when it is missing, our own bounded client) at
 * concurrency 1/10/50 with 2 KiB and 100 KiB messages, runs the same load
 * against `smtp-sink` as the ceiling, and prints one markdown table:
 * msg/s accepted, % of sink, p50/p99 end-of-data latency (a separate probe),
 * server peak RSS, server CPU ms per message and queue drain time. No
 * pass/fail: it prints figures. See docs/bench.md.
 *
 * ```sh
 * deno task bench --quick              # one cell: c=10, 2 KiB, 500 messages
 * deno task bench                      # full matrix, server under Deno
 * deno task bench --runtime=bun        # server under Bun
 * deno task bench --bin=dist/chaski    # a compiled binary
 * deno task bench --mda=file           # deliver with testdata/hooks/mda-file.sh
 * deno task bench --e2e                # accept and deliver: MDA and LMTP
 * deno task bench --e2e --local=lmtp --count=5000 --conc=50 --runtime=bun
 * ```
 *
 * `--e2e` measures end to end instead (scripts/bench/e2e.ts): N messages
 * accepted and delivered locally through the MDA and through a counting
 * LMTP sink, deliveries counted exactly, one table.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import {
  type Chaski,
  type ProcStats,
  procStats,
  startChaski,
} from "./bench/server.ts";
import { findTool, runSource, type Sink, startSink } from "./bench/source.ts";
import { runProbe } from "./bench/probe.ts";
import {
  type E2eRow,
  quantile,
  renderE2eTable,
  renderTable,
  type Row,
  sizeLabel,
} from "./bench/report.ts";
import { type E2eSpec, RUN_TIMEOUT_MS, runE2e, stopLive } from "./bench/e2e.ts";

const CELL_TIMEOUT_MS = 120_000;
const DRAIN_TIMEOUT_MS = 120_000;
const STALL_MS = 10_000;

interface Options {
  readonly runtime: "deno" | "bun";
  readonly bin: string;
  readonly mda: "true" | "file";
  readonly reuse: boolean;
  readonly sink: boolean;
  readonly cells: readonly Cell[];
  /** Set with `--e2e`: the end-to-end runs instead of the matrix. */
  readonly e2e: E2eOptions | null;
}

interface E2eOptions {
  readonly locals: readonly ("mda" | "lmtp")[];
  readonly mda: "file" | "null";
  readonly lmtp: "unix" | "tcp";
  readonly messages: number;
  readonly concurrency: number;
  readonly sizeBytes: number;
}

interface Cell {
  readonly sizeBytes: number;
  readonly concurrency: number;
  readonly messages: number;
  readonly probeMessages: number;
}

/** Everything a cell needs, started once per run. */
interface Bench {
  readonly chaski: Chaski;
  readonly sink: Sink | null;
  readonly source: string | null;
  readonly sinkTool: string | null;
  readonly clkTck: number;
  readonly opts: Options;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      runtime: { type: "string", default: "deno" },
      bin: { type: "string", default: "" },
      mda: { type: "string" },
      reconnect: { type: "boolean", default: false },
      "no-sink": { type: "boolean", default: false },
      conc: { type: "string" },
      sizes: { type: "string", default: "2,100" },
      e2e: { type: "boolean", default: false },
      local: { type: "string", default: "both" },
      lmtp: { type: "string", default: "unix" },
      count: { type: "string", default: "2000" },
      size: { type: "string", default: "2" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (values.runtime !== "deno" && values.runtime !== "bun") {
    throw new TypeError(
      `--runtime must be deno or bun: current value is "${values.runtime}"`,
    );
  }
  const e2e = values.e2e ? e2eOptions(values) : null;
  const mda = e2e ? "true" : values.mda ?? "true";
  if (mda !== "true" && mda !== "file") {
    throw new TypeError(
      `--mda must be true or file: current value is "${mda}"`,
    );
  }
  return {
    runtime: values.runtime,
    bin: values.bin,
    mda,
    e2e,
    reuse: !values.reconnect,
    sink: !values["no-sink"],
    cells: values.quick
      ? [{
        sizeBytes: 2048,
        concurrency: 10,
        messages: 500,
        probeMessages: 200,
      }]
      : matrix(numbers(values.sizes), numbers(values.conc ?? "1,10,50")),
  };
}

function e2eOptions(values: {
  local: string;
  mda?: string | undefined;
  lmtp: string;
  count: string;
  conc?: string | undefined;
  size: string;
}): E2eOptions {
  const oneOf = <T extends string>(name: string, v: string, ok: T[]): T => {
    if (!(ok as string[]).includes(v)) {
      throw new TypeError(
        `--${name} must be ${ok.join(" or ")}: current value is "${v}"`,
      );
    }
    return v as T;
  };
  const one = (name: string, v: string): number => {
    const n = numbers(v);
    if (n.length !== 1) {
      throw new TypeError(
        `--${name} takes one number: current value is "${v}"`,
      );
    }
    return n[0]!;
  };
  const local = oneOf("local", values.local, ["mda", "lmtp", "both"]);
  return {
    locals: local === "both" ? ["mda", "lmtp"] : [local],
    mda: oneOf("mda", values.mda ?? "file", ["file", "null"]),
    lmtp: oneOf("lmtp", values.lmtp, ["unix", "tcp"]),
    messages: one("count", values.count),
    concurrency: one("conc", values.conc ?? "10"),
    sizeBytes: one("size", values.size) * 1024,
  };
}

const USAGE =
  `usage: deno task bench [--quick] [--runtime=deno|bun] [--bin=PATH]
       [--mda=true|file] [--reconnect] [--no-sink] [--conc=1,10,50] [--sizes=2,100]
       deno task bench --e2e [--local=mda|lmtp|both] [--mda=file|null]
       [--lmtp=unix|tcp] [--count=2000] [--conc=10] [--size=2 (KiB)]
       [--runtime=deno|bun] [--bin=PATH] [--reconnect]
`;

function numbers(list: string): number[] {
  const ns = list.split(",").map(Number);
  if (ns.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new TypeError(
      `expected positive integers: current value is "${list}"`,
    );
  }
  return ns;
}

/** Sizes in KiB × concurrencies; counts keep each cell to seconds, not minutes. */
function matrix(sizesKiB: number[], concs: number[]): Cell[] {
  return sizesKiB.flatMap((kib) =>
    concs.map((c) => ({
      sizeBytes: kib * 1024,
      concurrency: c,
      messages: kib >= 64 ? 500 : 2000,
      probeMessages: kib >= 64 ? Math.max(100, 2 * c) : Math.max(200, 4 * c),
    }))
  );
}

function clockTicks(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) ||
      100;
  } catch {
    return 100;
  }
}

/**
 * Waits until the queue is empty; the time it took, or null when it gave
 * up: after `timeoutMs`, or once the queue stopped shrinking for 10 s
 * (deliveries failing and waiting for their retry).
 */
async function waitDrained(
  chaski: Chaski,
  timeoutMs: number,
): Promise<number | null> {
  const t0 = performance.now();
  let last = Infinity;
  let progressAt = t0;
  for (let n = chaski.queueLength(); n > 0; n = chaski.queueLength()) {
    const now = performance.now();
    if (n < last) [last, progressAt] = [n, now];
    if (now - t0 > timeoutMs || now - progressAt > STALL_MS) return null;
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - t0;
}

async function sinkRate(b: Bench, cell: Cell): Promise<number | null> {
  if (!b.sink || !b.source) return null;
  const r = await runSource(b.source, {
    port: b.sink.port,
    ...cell,
    reuse: b.opts.reuse,
    timeoutMs: CELL_TIMEOUT_MS,
  });
  return r.errors === 0 ? (r.completed * 1000) / r.wallMs : null;
}

/** The load against chaski: smtp-source, or our probe client without it. */
async function load(b: Bench, cell: Cell) {
  const spec = {
    port: b.chaski.smtpPort,
    concurrency: cell.concurrency,
    messages: cell.messages,
    sizeBytes: cell.sizeBytes,
    timeoutMs: CELL_TIMEOUT_MS,
  };
  if (b.source) {
    return await runSource(b.source, { ...spec, reuse: b.opts.reuse });
  }
  const t0 = performance.now();
  const p = await runProbe(spec);
  return {
    wallMs: performance.now() - t0,
    completed: p.latenciesMs.length,
    errors: p.errors,
    timedOut: false,
    errorSample: p.errorSample,
  };
}

async function runCell(b: Bench, cell: Cell): Promise<Row> {
  const notes: string[] = [];
  const sink = await sinkRate(b, cell);
  if (b.sink && b.source && sink === null) notes.push("smtp-sink run failed");
  await waitDrained(b.chaski, DRAIN_TIMEOUT_MS);
  const before = procStats(b.chaski.pid, b.clkTck);
  const l = await load(b, cell);
  const drainMs = await waitDrained(b.chaski, DRAIN_TIMEOUT_MS);
  const after = procStats(b.chaski.pid, b.clkTck);
  if (l.timedOut) notes.push(`load killed after ${CELL_TIMEOUT_MS / 1000} s`);
  if (drainMs === null) notes.push(`queue: ${b.chaski.queueLength()} left`);
  notes.push(...l.errorSample.map((e) => `load: ${e}`));
  const probe = await runProbe({
    port: b.chaski.smtpPort,
    concurrency: cell.concurrency,
    messages: cell.probeMessages,
    sizeBytes: cell.sizeBytes,
    timeoutMs: CELL_TIMEOUT_MS,
  });
  notes.push(...probe.errorSample.map((e) => `probe: ${e}`));
  return row(b, cell, { l, sink, drainMs, before, after, probe, notes });
}

function row(
  b: Bench,
  cell: Cell,
  m: {
    l: Awaited<ReturnType<typeof load>>;
    sink: number | null;
    drainMs: number | null;
    before: ProcStats;
    after: ProcStats;
    probe: Awaited<ReturnType<typeof runProbe>>;
    notes: string[];
  },
): Row {
  return {
    runtime: b.chaski.label,
    sizeBytes: cell.sizeBytes,
    concurrency: cell.concurrency,
    messages: m.l.completed,
    msgPerSec: (m.l.completed * 1000) / m.l.wallMs,
    sinkMsgPerSec: m.sink,
    p50Ms: quantile(m.probe.latenciesMs, 0.5),
    p99Ms: quantile(m.probe.latenciesMs, 0.99),
    peakRssMiB: m.after.peakRssKiB / 1024,
    cpuMsPerMsg: (m.after.cpuMs - m.before.cpuMs) / Math.max(1, m.l.completed),
    drainMs: m.drainMs,
    errors: m.l.errors + m.probe.errors,
    notes: m.notes,
  };
}

function header(b: Bench): string {
  const o = b.opts;
  const server = o.bin ? o.bin : `${o.runtime} src/main.ts`;
  return [
    `# chaski bench: ${server}, MDA ${
      o.mda === "file" ? "mda-file.sh" : "/bin/true"
    }`,
    `load: ${b.source ?? "built-in client (smtp-source not found)"}` +
    `${
      b.source
        ? (o.reuse
          ? " -d (connections reused)"
          : " (one connection per message)")
        : ""
    }` +
    `; ceiling: ${
      b.sink ? b.sinkTool : "none"
    }; ${availableParallelism()} CPUs`,
    "",
  ].join("\n");
}

/** `--e2e`: one run per local method, each with its own server. */
async function mainE2e(opts: Options, e: E2eOptions): Promise<void> {
  const source = findTool("smtp-source");
  const onSignal = () => void stopLive().finally(() => process.exit(130));
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const rows: E2eRow[] = [];
  try {
    for (const local of e.locals) {
      const spec: E2eSpec = {
        runtime: opts.runtime,
        bin: opts.bin,
        local,
        mda: e.mda,
        lmtp: e.lmtp,
        messages: e.messages,
        concurrency: e.concurrency,
        sizeBytes: e.sizeBytes,
        reuse: opts.reuse,
        source,
        clkTck: clockTicks(),
      };
      process.stderr.write(
        `bench --e2e: ${opts.bin || opts.runtime}, local ${local}, ` +
          `${e.messages} × ${
            sizeLabel(e.sizeBytes)
          } at c=${e.concurrency}...\n`,
      );
      try {
        rows.push(await runE2e(spec));
      } catch (err) {
        process.stderr.write(
          `bench --e2e: ${local}: ${
            err instanceof Error ? err.message : err
          }\n`,
        );
        process.exitCode = 1;
      }
    }
    const server = opts.bin ? opts.bin : `${opts.runtime} src/main.ts`;
    const mda = e.mda === "file"
      ? "testdata/hooks/mda-file.sh"
      : "sh -c 'cat > /dev/null'";
    process.stdout.write(
      [
        `# chaski bench --e2e: ${server}`,
        `load: ${source ?? "built-in client (smtp-source not found)"}` +
        `${source && opts.reuse ? " -d" : ""}; MDA: ${mda}; ` +
        `LMTP: counting sink over ${e.lmtp}; each run killed after ` +
        `${RUN_TIMEOUT_MS / 1000} s; ${availableParallelism()} CPUs`,
        "",
        renderE2eTable(rows),
      ].join("\n"),
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await stopLive();
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.e2e) return await mainE2e(opts, opts.e2e);
  const source = findTool("smtp-source");
  const sinkTool = opts.sink && source ? findTool("smtp-sink") : null;
  const chaski = await startChaski(
    {
      runtime: opts.runtime,
      mda: opts.mda,
      ...(opts.bin ? { bin: opts.bin } : {}),
    },
  );
  let sink: Sink | null = null;
  const stopAll = async () => {
    await sink?.stop();
    await chaski.stop();
  };
  const onSignal = () => void stopAll().finally(() => process.exit(130));
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    sink = sinkTool ? await startSink(sinkTool) : null;
    const b: Bench = {
      chaski,
      sink,
      source,
      sinkTool,
      clkTck: clockTicks(),
      opts,
    };
    const rows: Row[] = [];
    for (const cell of opts.cells) {
      process.stderr.write(
        `bench: ${sizeLabel(cell.sizeBytes)} c=${cell.concurrency} ` +
          `(${cell.messages} messages)...\n`,
      );
      rows.push(await runCell(b, cell));
    }
    process.stdout.write(header(b) + "\n" + renderTable(rows));
  } catch (e) {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : e}\n`);
    process.stderr.write(
      `server stderr (tail):\n${chaski.stderr().slice(-2000)}\n`,
    );
    process.exitCode = 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await stopAll();
  }
}

try {
  await main();
} catch (e) {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : e}\n`);
  process.exitCode = 1;
}
