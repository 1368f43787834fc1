import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { EngineMetrics } from "./metrics.ts";

/** Prometheus metrics for a Node worker (served at /metrics by `sync-scheduler worker --metrics-port`). */
export function createPromMetrics(): { metrics: EngineMetrics; registry: Registry } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "sync_worker_" });
  const runs = new Counter({
    name: "sync_runs_total",
    help: "Run attempts ended, by how they ended",
    labelNames: ["integration", "triggered_by", "result"],
    registers: [registry],
  });
  const claimed = new Counter({
    name: "sync_runs_claimed_total",
    help: "Runs claimed",
    labelNames: ["integration", "triggered_by"],
    registers: [registry],
  });
  const dispatch = new Histogram({
    name: "sync_claim_to_start_seconds",
    help: "From the run becoming due (enqueued, or its retry time) to a worker claiming it",
    labelNames: ["integration"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "sync_run_duration_seconds",
    help: "Duration of one run attempt",
    labelNames: ["integration", "result"],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [registry],
  });
  const drift = new Histogram({
    name: "sync_schedule_drift_seconds",
    help: "Actual first start minus scheduled time, scheduled runs",
    labelNames: ["integration"],
    buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const driftAlerts = new Counter({
    name: "sync_drift_alerts_total",
    help: "Scheduled runs that started later than the drift threshold",
    labelNames: ["integration"],
    registers: [registry],
  });
  const retries = new Counter({
    name: "sync_run_retries_total",
    help: "Attempts that ended in a retry",
    labelNames: ["integration", "code"],
    registers: [registry],
  });
  const reaped = new Counter({
    name: "sync_runs_reaped_total",
    help: "Runs whose lease expired and were returned by the reaper",
    registers: [registry],
  });
  const apiErrors = new Counter({
    name: "sync_external_api_errors_total",
    help: "Errors from the accounting APIs, by code",
    labelNames: ["integration", "code"],
    registers: [registry],
  });
  const health = new Gauge({
    name: "sync_integration_health_checks",
    help: "Health checks by resulting status and mode",
    labelNames: ["integration", "status", "mode"],
    registers: [registry],
  });
  const apiRequests = new Counter({
    name: "sync_external_api_requests_total",
    help: "HTTP requests to the accounting APIs, by purpose (export, lookup, ping, token); Xledger bills each one",
    labelNames: ["integration", "purpose"],
    registers: [registry],
  });
  const scheduled = new Counter({
    name: "sync_scheduled_periods_total",
    help: "Scheduled periods by outcome (enqueued, duplicate, skipped, missed)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const coldStarts = new Counter({
    name: "sync_edge_cold_starts_total",
    help: "Dispatches and sweeps the worker Edge Function served from a cold isolate",
    labelNames: ["kind"],
    registers: [registry],
  });
  const metrics: EngineMetrics = {
    runClaimed(integration, triggeredBy, seconds) {
      claimed.inc({ integration, triggered_by: triggeredBy });
      dispatch.observe({ integration }, seconds);
    },
    runFinished(integration, triggeredBy, result, seconds) {
      runs.inc({ integration, triggered_by: triggeredBy, result });
      duration.observe({ integration, result }, seconds);
    },
    runRetried(integration, code) {
      retries.inc({ integration, code });
    },
    drift(integration, seconds, alerted) {
      drift.observe({ integration }, seconds);
      if (alerted) driftAlerts.inc({ integration });
    },
    reaped(count) {
      reaped.inc(count);
    },
    externalApiError(integration, code) {
      apiErrors.inc({ integration, code });
    },
    healthCheck(integration, status, mode) {
      health.inc({ integration, status, mode });
    },
    apiRequest(integration, purpose) {
      apiRequests.inc({ integration, purpose });
    },
    scheduled(outcome, count) {
      scheduled.inc({ outcome }, count);
    },
    coldStart(kind) {
      coldStarts.inc({ kind });
    },
  };
  return { metrics, registry };
}
