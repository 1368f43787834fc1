import type { Db } from "../../db/types.ts";
import type { WorkerConfig } from "../config.ts";
import { type HealthMonitorDeps, runHealthChecks } from "../health/healthMonitor.ts";
import type { EngineLogger } from "../observe/logger.ts";
import type { EngineMetrics } from "../observe/metrics.ts";
import { type ReconcileTickResult, scheduleReconciliations } from "../reconcile/schedule.ts";
import { schedulerTick, type TickResult } from "../schedule/scheduler.ts";
import { reapExpiredLeases } from "./runStore.ts";

/**
 * What a worker does besides executing runs — reap expired leases, tick the scheduler, ping
 * integrations — written once for the Node worker and the Edge session. Each step is safe to run
 * in any number of workers at once (SKIP LOCKED, or a lease on the row).
 */
export interface HousekeepingDeps {
  db: Db;
  log: EngineLogger;
  metrics: EngineMetrics;
}

/**
 * Reaps runs whose lease expired (their worker died or lost the database): back to pending, or
 * to failed/cancelled when nothing is left to try. Returns how many it reaped; throws what the
 * query threw.
 */
export async function reapExpired(deps: HousekeepingDeps): Promise<number> {
  const reaped = await reapExpiredLeases(deps.db);
  if (reaped.length > 0) deps.metrics.reaped(reaped.length);
  for (const r of reaped)
    deps.log.warn({ event: "lease_expired_run_reaped", run_id: r.run_id, status: r.status });
  return reaped.length;
}

/** One scheduler tick, counted in the metrics; a failure is logged and returns null. */
export async function tickScheduler(
  deps: HousekeepingDeps & { config: Pick<WorkerConfig, "schedulerBatch" | "catchUpWindowSeconds"> },
  now: Date,
): Promise<TickResult | null> {
  try {
    const r = await schedulerTick(deps.db, now, deps.config, deps.log);
    for (const [outcome, count] of Object.entries(r)) if (count > 0) deps.metrics.scheduled(outcome, count);
    return r;
  } catch (error) {
    deps.log.error({ event: "scheduler_tick_failed", error: String(error) });
    return null;
  }
}

/**
 * Scheduled reconciliations (docs/reconciliation.md "Schedule"): enqueues the due ones, beside — not inside —
 * the export scheduler's tick. On the wall clock: the export scheduler's injectable clock is for its own
 * tests. A failure is logged and returns null.
 */
export async function tickReconciliations(
  deps: HousekeepingDeps,
  now: Date = new Date(),
): Promise<ReconcileTickResult | null> {
  try {
    const r = await scheduleReconciliations(deps.db, now);
    if ((r.enqueued ?? 0) > 0) deps.log.info({ event: "reconciliations_scheduled", ...r });
    return r;
  } catch (error) {
    deps.log.error({ event: "reconcile_schedule_failed", error: String(error) });
    return null;
  }
}

/** One round of health pings; a failure is logged and counts as no pings. */
export async function checkHealth(deps: HealthMonitorDeps): Promise<number> {
  try {
    return await runHealthChecks(deps);
  } catch (error) {
    deps.log.error({ event: "health_checks_failed", error: String(error) });
    return 0;
  }
}

/** How long each kind of history is kept (WorkerConfig's retention settings). */
export type RetentionDays = Pick<
  WorkerConfig,
  "retentionDays" | "alertRetentionDays" | "healthRetentionDays"
>;

/** Rows {@link pruneHistory} deleted, by kind. */
export interface Pruned {
  runs: number;
  alerts: number;
  health: number;
}

/**
 * Retention of runs, alerts and health history: one batch of 5,000 rows each so it never holds
 * long locks (sync_engine.prune_run_log, prune_alerts, prune_health_checks; ≤ 5,000 an hour per
 * worker, docs/benchmarks.md "Volume" has the cost). Throws what the query threw.
 */
export async function pruneHistory(deps: HousekeepingDeps, retention: RetentionDays): Promise<Pruned> {
  const { rows } = await deps.db.query<Pruned>(
    `select sync_engine.prune_run_log(make_interval(days => $1)) as runs,
            sync_engine.prune_alerts(make_interval(days => $2)) as alerts,
            sync_engine.prune_health_checks(make_interval(days => $3)) as health`,
    [retention.retentionDays, retention.alertRetentionDays, retention.healthRetentionDays],
  );
  const pruned = rows[0] ?? { runs: 0, alerts: 0, health: 0 };
  if (pruned.runs + pruned.alerts + pruned.health > 0) deps.log.info({ event: "history_pruned", ...pruned });
  return pruned;
}
