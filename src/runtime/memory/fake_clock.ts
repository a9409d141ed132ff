/**
 * A manual `Clock` for unit tests: time moves only when the test says so.
 *
 * @module
 */
import type { Clock, Timer } from "../types.ts";

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets timers' callbacks and the code awaiting them run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * `Clock` whose `sleep()` and `setTimer()` fire only on `advance()`.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * const slept = clock.sleep(1000);
 * await clock.advance(1000); // slept resolves
 * ```
 */
export class FakeClock implements Clock {
  #now: number;
  #mono = 0;
  #seq = 0;
  #pending = new Set<Pending>();

  /** @param start Epoch milliseconds. @default 2026-01-01T00:00:00Z */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#mono;
  }

  /** Number of timers and sleeps still waiting. */
  get pending(): number {
    return this.#pending.size;
  }

  #schedule(ms: number, fn: () => void): Pending {
    const p = { at: this.#mono + Math.max(0, ms), seq: this.#seq++, fn };
    this.#pending.add(p);
    return p;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const p = this.#schedule(ms, () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
      const onAbort = () => {
        this.#pending.delete(p);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  setTimer(ms: number, fn: () => void): Timer {
    let p: Pending | null = this.#schedule(ms, fn);
    return {
      cancel: () => {
        if (p) this.#pending.delete(p);
        p = null;
      },
      reset: (next: number) => {
        if (p) this.#pending.delete(p);
        p = this.#schedule(next, fn);
      },
    };
  }

  /**
   * Moves time forward by `ms`, firing due timers in order. Between timers
   * it lets pending promise callbacks run, so code that sleeps in a loop
   * sees each step.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#mono + ms;
    await settle();
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.#pending) {
        if (p.at > target) continue;
        if (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq)) {
          next = p;
        }
      }
      if (!next) break;
      this.#pending.delete(next);
      this.#now += next.at - this.#mono;
      this.#mono = next.at;
      next.fn();
      await settle();
    }
    this.#now += target - this.#mono;
    this.#mono = target;
  }
}
