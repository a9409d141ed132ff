/**
 * The queue's metrics, chasquid's names.
 *
 * @module
 */

import { declareDeliveryMetrics } from "./delivery.ts";
import type { Counter, MetricsRegistry } from "../monitoring/mod.ts";

/** The queue's metrics, declared against the registry it is given. */
export function declareMetrics(registry: MetricsRegistry): {
  putCount: Counter;
  itemsWritten: Counter;
  dsnQueued: Counter;
  deliverAttempts: Counter;
} {
  return {
    putCount: registry.counter(
      "chasquid/queue/putCount",
      "count of envelopes attempted to be put in the queue",
    ),
    itemsWritten: registry.counter(
      "chasquid/queue/itemsWritten",
      "count of items the queue wrote to storage",
    ),
    dsnQueued: registry.counter(
      "chasquid/queue/dsnQueued",
      "count of DSNs that we generated (queued)",
    ),
    ...declareDeliveryMetrics(registry),
  };
}
