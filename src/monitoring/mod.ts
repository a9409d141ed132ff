/**
 * Monitoring: the metrics registry and its OpenMetrics text (M-05). The
 * HTTP server (`/metrics`, `/debug/*`) comes later.
 *
 * @module
 */

export {
  type Counter,
  type Gauge,
  metricNameToOM,
  MetricsRegistry,
  OPENMETRICS_CONTENT_TYPE,
  quoteLabelValue,
} from "./metrics.ts";
