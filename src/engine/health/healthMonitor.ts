import type { Db } from "../../db/types.ts";
import { monthlyRequestAllowance } from "../../integrations/config.ts";
import { isIntegrationError } from "../../integrations/errors.ts";
import type { RequestPurpose } from "../../integrations/types.ts";
import type { WorkerConfig } from "../config.ts";
import { IntegrationUnavailableError } from "../export/loadAdapter.ts";
import type { EngineLogger } from "../observe/logger.ts";
import type { EngineMetrics } from "../observe/metrics.ts";
import { RequestTally } from "../observe/requestTally.ts";
import { DEFAULT_PING_SHARE, decideHealth, MIN_HEALTH_INTERVAL_MS, planHealthCheck } from "./healthPolicy.ts";

/** Pings one integration; throws (ideally an IntegrationError) when it is not healthy. */
export type PingIntegration = (
  integration: { id: string; integration_type: string },
  signal: AbortSignal,
  onRequest?: (purpose: RequestPurpose) => void,
) => Promise<void>;

export interface HealthMonitorDeps {
  db: Db;
  ping: PingIntegration;
  log: EngineLogger;
  metrics: EngineMetrics;
  config: Pick<WorkerConfig, "healthIntervalSeconds" | "healthBackoffCapSeconds"> &
    Partial<Pick<WorkerConfig, "healthPingShare" | "healthQuietSeconds">>;
  now?: () => Date;
  /** Integrations checked per tick by this worker. Default 20. */
  batch?: number;
  /** Per-ping timeout. Default 30 s. */
  timeoutMs?: number;
}

interface Due {
  id: string;
  org_id: string;
  integration_type: string;
  config: unknown;
  health_status: string;
  health_consecutive_failures: number;
  evidence_at: Date | string | null;
  pings_this_month: number | string;
  /** An admin asked for a connection test since the last check: evidence does not replace that ping. */
  test_requested: boolean;
}

/**
 * One health tick: claims the integrations whose check is due (active mode, no sync running; a
 * quiet passive one returns to active first), then per integration either defers — fresh evidence
 * of health, or this month's ping budget spent — or pings and records the outcome. Claiming is one
 * statement that pushes `health_next_check_at` forward by the minimum interval (a lease), so
 * concurrent workers never ping the same integration and no transaction stays open across the
 * network call. Returns how many integrations were claimed.
 */
export async function runHealthChecks(deps: HealthMonitorDeps): Promise<number> {
  const now = (deps.now ?? (() => new Date()))();
  const { rows } = await deps.db.query<Due>("select * from sync_engine.claim_health_checks($1, $2, $3)", [
    now,
    deps.batch ?? 20,
    MIN_HEALTH_INTERVAL_MS / 1000,
  ]);
  await Promise.all(rows.map((integration) => checkOne(deps, integration, now)));
  return rows.length;
}

async function checkOne(deps: HealthMonitorDeps, integration: Due, now: Date): Promise<void> {
  const intervalMs = deps.config.healthIntervalSeconds * 1000;
  const evidenceAt = integration.evidence_at === null ? null : new Date(integration.evidence_at);
  const plan = planHealthCheck({
    now,
    intervalMs,
    monthlyAllowance: monthlyRequestAllowance(integration.integration_type, integration.config),
    share: deps.config.healthPingShare ?? DEFAULT_PING_SHARE,
    pingsThisMonth: Number(integration.pings_this_month),
    evidenceAt: integration.test_requested ? null : evidenceAt,
  });
  const base = {
    integration_id: integration.id,
    org_id: integration.org_id,
    integration: integration.integration_type,
  };
  if (plan.kind === "defer") {
    await deps.db.query("select sync_engine.defer_health_check($1, $2, $3)", [
      integration.id,
      plan.nextCheckAt,
      evidenceAt,
    ]);
    deps.log.info({
      event: "health_check_deferred",
      ...base,
      reason: plan.reason,
      next_check_at: plan.nextCheckAt.toISOString(),
    });
    return;
  }

  const tally = new RequestTally(integration.id, integration.integration_type, deps.metrics);
  const started = Date.now();
  let ok = true;
  let code: string | undefined;
  let message: string | undefined;
  let retryAfterSeconds: number | undefined;
  try {
    await deps.ping(integration, AbortSignal.timeout(deps.timeoutMs ?? 30_000), tally.onRequest);
  } catch (error) {
    ok = false;
    code =
      isIntegrationError(error) || error instanceof IntegrationUnavailableError ? error.code : "ping_failed";
    retryAfterSeconds = isIntegrationError(error) ? error.retryAfterSeconds : undefined;
    message = error instanceof Error ? error.message : String(error);
    deps.metrics.externalApiError(integration.integration_type, code);
  }
  // Counted on the ping's own month: the budget of the month it was spent in.
  await tally.flush(deps.db, now);
  const decision = decideHealth({
    ok,
    errorCode: code,
    retryAfterSeconds,
    failuresBefore: integration.health_consecutive_failures,
    now,
    intervalMs,
    spacingMs: plan.spacingMs,
    backoffCapMs: deps.config.healthBackoffCapSeconds * 1000,
    quietMs: (deps.config.healthQuietSeconds ?? 3600) * 1000,
  });
  await deps.db.query("select sync_engine.record_health_decision($1, $2, $3, $4, $5, $6, $7, $8, $9)", [
    integration.id,
    ok,
    Date.now() - started,
    code ?? null,
    message ?? null,
    decision.status,
    decision.mode,
    decision.nextCheckAt,
    decision.passiveUntil,
  ]);
  deps.metrics.healthCheck(integration.integration_type, decision.status, decision.mode);
  const line = {
    event: "health_check",
    ...base,
    ok,
    code,
    status: decision.status,
    mode: decision.mode,
    next_check_at: decision.nextCheckAt.toISOString(),
    passive_until: decision.passiveUntil?.toISOString(),
  };
  if (ok) deps.log.info(line);
  else deps.log.warn(line);
}
