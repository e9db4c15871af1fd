/** The one Prometheus registry of the process: every module registers its metrics here; GET /metrics serves it. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
// eventLoopMonitoringPrecision: the event-loop-lag histogram samples with a libuv timer at this period; prom-client's
// 10 ms default woke an idle server 100 times a second (most of onair's CPU at 1 stream, bench/). 100 ms still sees lag.
collectDefaultMetrics({ register: registry, prefix: 'onair_', eventLoopMonitoringPrecision: 100 });

export const httpRequests = new Counter({
  name: 'onair_api_requests_total',
  help: 'REST API requests by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'onair_api_request_duration_seconds',
  help: 'REST API request duration',
  labelNames: ['method', 'route'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'onair_webhook_deliveries_total',
  help: 'Webhook delivery attempts by outcome (delivered, retry, failed)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const authFailures = new Counter({
  name: 'onair_api_auth_failures_total',
  help: 'Requests refused for missing or wrong credentials',
  registers: [registry],
});

/**
 * `serve --workers N`: metrics every worker reads from the shared database (each reports the same value), so the
 * machine-wide /metrics takes their largest value instead of the sum (src/cluster/workers.ts aggregates).
 */
export const SAME_ON_EVERY_WORKER: ReadonlySet<string> = new Set(['onair_streams', 'onair_webhook_queue_depth', 'onair_segment_store_outage']);

/**
 * `serve --workers N`: GET /metrics on a worker answers for the whole machine: `source` asks the primary, which
 * aggregates every worker's registry (prom-client's AggregatorRegistry). The registry's own metrics stay as they
 * are (getMetricsAsJSON is what the primary collects).
 */
export function answerMetricsFrom(source: () => Promise<string>): void {
  registry.metrics = source;
}
