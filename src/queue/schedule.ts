/**
 * Queue timing and ids: the Q-07 retry schedule, the B-13 delay-notice
 * threshold and Q-01 item ids.
 *
 * @module
 */

import { randomBytes } from "node:crypto";

/** B-13: one delay notice per item after this long with recipients pending. */
export const DELAY_NOTICE_AFTER_MS = 4 * 3_600_000;

/** Generates a Q-01 queue id. */
export function newId(): string {
  return randomBytes(8).toString("base64url");
}

/** The Q-07 delay before the next attempt, for an item of `ageMs`. */
export function nextDelay(ageMs: number, random: () => number): number {
  const min = 60_000;
  const base = ageMs < min
    ? min
    : ageMs < 5 * min
    ? 5 * min
    : ageMs < 10 * min
    ? 10 * min
    : 20 * min;
  return base + Math.floor(random() * 60_000);
}
