/**
 * The end-to-end mode of the bench (`deno task bench --e2e`): one run per
 * local delivery method, each with a fresh chaski. smtp-source sends N
 * messages; the run ends when the queue is empty and every accepted message
 * has been delivered locally, counted exactly at the other end: files in the
 * maildir (`mda-file.sh`), bytes in a counter file (the null MDA) or
 * messages counted by a counting LMTP sink. Every run is killed after 180 s;
 * the server, the sink and their temp dirs go away at the end of each run,
 * also on error.
 *
 * @module
 */

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { BENCH_RCPT, type Chaski, procStats, startChaski } from "./server.ts";
import { runSource } from "./source.ts";
import { runProbe } from "./probe.ts";
import { type CountingLmtpSink, startCountingLmtpSink } from "./lmtp_count.ts";
import type { E2eRow } from "./report.ts";

/** Each run (load plus delivery) is given up after this long. */
export const RUN_TIMEOUT_MS = 180_000;
/** Give up waiting earlier when nothing moved for this long. */
const STALL_MS = 30_000;
const POLL_MS = 25;

/** How to run one end-to-end run. */
export interface E2eSpec {
  readonly runtime: "deno" | "bun";
  /** A compiled binary instead of the source; "" for none. */
  readonly bin: string;
  readonly local: "mda" | "lmtp";
  /** The MDA for `local: "mda"`. */
  readonly mda: "file" | "null";
  /** The LMTP socket for `local: "lmtp"`. */
  readonly lmtp: "unix" | "tcp";
  readonly messages: number;
  readonly concurrency: number;
  readonly sizeBytes: number;
  /** Reuse smtp-source connections (`-d`). */
  readonly reuse: boolean;
  /** smtp-source's path, or null for the built-in client. */
  readonly source: string | null;
  readonly clkTck: number;
}

/** Deliveries so far and the wall-clock time (ms) of the last one. */
interface Delivered {
  readonly count: number;
  readonly lastAt: number;
}

/** Things to stop when the bench is interrupted. */
const live = new Set<{ stop(): Promise<void> }>();

/** Stops whatever a run left running (for the SIGINT/SIGTERM handler). */
export async function stopLive(): Promise<void> {
  await Promise.allSettled([...live].map((s) => s.stop()));
}

/** Runs one end-to-end run; always stops its server and sink. */
export async function runE2e(spec: E2eSpec): Promise<E2eRow> {
  let sink: CountingLmtpSink | null = null;
  let chaski: Chaski | null = null;
  const sinkStopper = { stop: () => sink?.close() ?? Promise.resolve() };
  const chaskiStopper = { stop: () => chaski?.stop() ?? Promise.resolve() };
  live.add(sinkStopper).add(chaskiStopper);
  try {
    if (spec.local === "lmtp") sink = await startCountingLmtpSink();
    chaski = await startChaski({
      runtime: spec.runtime,
      ...(spec.bin ? { bin: spec.bin } : {}),
      mda: spec.local === "mda" ? spec.mda : "true",
      ...(sink
        ? { lmtpAddress: spec.lmtp === "unix" ? sink.path : sink.tcpAddress }
        : {}),
    });
    try {
      return await measure(spec, chaski, counter(spec, chaski, sink));
    } catch (e) {
      const err = e instanceof Error ? e.message : String(e);
      throw new Error(
        `${err}\nserver stderr (tail):\n${chaski.stderr().slice(-2000)}`,
      );
    }
  } finally {
    await chaski?.stop();
    await sink?.close();
    live.delete(sinkStopper);
    live.delete(chaskiStopper);
  }
}

/** How to count deliveries for the run's local method. */
function counter(
  spec: E2eSpec,
  chaski: Chaski,
  sink: CountingLmtpSink | null,
): { now(): number; final(): Delivered } {
  if (sink) {
    const d = () => ({ count: sink.deliveries, lastAt: sink.lastDeliveryAt });
    return { now: () => sink.deliveries, final: d };
  }
  if (spec.mda === "null") {
    const d = (): Delivered => {
      try {
        const st = statSync(chaski.nullCounter);
        return { count: st.size, lastAt: st.mtimeMs };
      } catch {
        return { count: 0, lastAt: 0 };
      }
    };
    return { now: () => d().count, final: d };
  }
  const box = join(chaski.mailDir, BENCH_RCPT);
  // mda-file.sh writes `.name` and renames it to `name` when complete.
  const files = () => {
    try {
      return readdirSync(box).filter((f) => !f.startsWith("."));
    } catch {
      return [];
    }
  };
  return {
    now: () => files().length,
    final: () => {
      const fs = files();
      let lastAt = 0;
      for (const f of fs) {
        lastAt = Math.max(lastAt, statSync(join(box, f)).mtimeMs);
      }
      return { count: fs.length, lastAt };
    },
  };
}

async function measure(
  spec: E2eSpec,
  chaski: Chaski,
  delivered: { now(): number; final(): Delivered },
): Promise<E2eRow> {
  const notes: string[] = [];
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  const before = procStats(chaski.pid, spec.clkTck);
  const t0 = Date.now();
  const l = await load(spec, chaski.smtpPort);
  if (l.timedOut) notes.push(`load killed after ${RUN_TIMEOUT_MS / 1000} s`);
  notes.push(...l.errorSample.map((e) => `load: ${e}`));
  const accepted = l.completed - l.errors;
  const drainMs = await waitDelivered(chaski, delivered, accepted, deadline);
  const after = procStats(chaski.pid, spec.clkTck);
  const d = delivered.final();
  const left = chaski.queueLength();
  if (drainMs === null) {
    notes.push(
      `not drained: ${left} left in the queue, ${d.count} of ${accepted} delivered`,
    );
  }
  if (d.count !== accepted) {
    notes.push(`delivered ${d.count} ≠ accepted ${accepted}`);
  }
  const span = d.lastAt - t0;
  return {
    runtime: chaski.label,
    local: spec.local === "mda" ? `mda ${spec.mda}` : `lmtp ${spec.lmtp}`,
    sizeBytes: spec.sizeBytes,
    concurrency: spec.concurrency,
    accepted,
    delivered: d.count,
    errors: l.errors,
    acceptMsgPerSec: (l.completed * 1000) / l.wallMs,
    deliveredMsgPerSec: d.count > 0 && span > 0
      ? (d.count * 1000) / span
      : null,
    drainMs,
    peakRssMiB: after.peakRssKiB / 1024,
    cpuMsPerMsg: (after.cpuMs - before.cpuMs) / Math.max(1, accepted),
    childCpuMsPerMsg: (after.childCpuMs - before.childCpuMs) /
      Math.max(1, accepted),
    notes,
  };
}

/** The load: smtp-source, or the probe client when it is missing. */
async function load(spec: E2eSpec, port: number) {
  const s = {
    port,
    concurrency: spec.concurrency,
    messages: spec.messages,
    sizeBytes: spec.sizeBytes,
    timeoutMs: RUN_TIMEOUT_MS,
  };
  if (spec.source) {
    return await runSource(spec.source, { ...s, reuse: spec.reuse });
  }
  const t0 = performance.now();
  const p = await runProbe(s);
  return {
    wallMs: performance.now() - t0,
    completed: p.latenciesMs.length + p.errors,
    errors: p.errors,
    timedOut: false,
    errorSample: p.errorSample,
  };
}

/**
 * Waits until the queue is empty and `accepted` deliveries were counted;
 * the time that took after the load, or null when it gave up (the run's
 * deadline, or nothing moved for 30 s: deliveries failing and waiting for
 * their retry).
 */
async function waitDelivered(
  chaski: Chaski,
  delivered: { now(): number },
  accepted: number,
  deadline: number,
): Promise<number | null> {
  const t0 = Date.now();
  let [minQueue, maxDelivered] = [Infinity, -1];
  let movedAt = t0;
  for (;;) {
    const q = chaski.queueLength();
    const n = delivered.now();
    const now = Date.now();
    if (q === 0 && n >= accepted) return now - t0;
    // Progress: the queue reached a new low or one more was delivered.
    if (q < minQueue || n > maxDelivered) movedAt = now;
    [minQueue, maxDelivered] = [
      Math.min(q, minQueue),
      Math.max(n, maxDelivered),
    ];
    if (now > deadline || now - movedAt > STALL_MS) return null;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
