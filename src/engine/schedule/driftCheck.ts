import type { Queryable } from "../../db/types.ts";
import type { WorkerConfig } from "../config.ts";
import type { EngineLogger } from "../observe/logger.ts";
import type { EngineMetrics } from "../observe/metrics.ts";
import type { ClaimedRun } from "../types.ts";

/**
 * Records the drift (actual start − scheduled time) of a run's first attempt; above
 * `driftAlertSeconds` (default 300) it raises the alert: a log line, the metric and the row the
 * dashboard shows. Shared by the Node worker and the Edge Function, so a serverless deployment
 * alerts exactly like a self-hosted one. Never throws.
 *
 * @example if (run.attempt === 1 && run.drift_ms !== null) void checkDrift(deps, run);
 */
export async function checkDrift(
  deps: {
    db: Queryable;
    log: EngineLogger;
    metrics: EngineMetrics;
    config: Pick<WorkerConfig, "driftAlertSeconds">;
  },
  run: ClaimedRun,
): Promise<void> {
  const driftSeconds = (run.drift_ms ?? 0) / 1000;
  const alerted = driftSeconds > deps.config.driftAlertSeconds;
  deps.metrics.drift(run.integration_type, driftSeconds, alerted);
  if (!alerted) return;
  deps.log.warn({
    event: "drift_alert",
    run_id: run.id,
    org_id: run.org_id,
    integration: run.integration_type,
    drift_ms: run.drift_ms,
    threshold_ms: deps.config.driftAlertSeconds * 1000,
  });
  try {
    await deps.db.query("select sync_engine.raise_drift_alert($1, $2)", [
      run.id,
      Math.round(deps.config.driftAlertSeconds * 1000),
    ]);
  } catch (error) {
    deps.log.error({ event: "drift_alert_failed", run_id: run.id, error: String(error) });
  }
}
