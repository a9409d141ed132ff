/**
 * The system `Clock`.
 *
 * @module
 */
import type { Clock, Timer } from "./types.ts";

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function setTimer(ms: number, fn: () => void): Timer {
  let handle: ReturnType<typeof setTimeout> | undefined = setTimeout(fn, ms);
  return {
    cancel() {
      clearTimeout(handle);
      handle = undefined;
    },
    reset(next: number) {
      clearTimeout(handle);
      handle = setTimeout(fn, next);
    },
  };
}

/** Creates the wall-clock `Clock`. */
export function createSystemClock(): Clock {
  return {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    sleep,
    setTimer,
  };
}
