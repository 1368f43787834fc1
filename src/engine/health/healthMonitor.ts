import type { Db } from "../../db/types.ts";
import { isIntegrationError } from "../../integrations/errors.ts";
import type { WorkerConfig } from "../config.ts";
import { IntegrationUnavailableError } from "../export/loadAdapter.ts";
import type { EngineLogger } from "../observe/logger.ts";
import type { EngineMetrics } from "../observe/metrics.ts";
import { decideHealth, MIN_HEALTH_INTERVAL_MS } from "./healthPolicy.ts";

/** Pings one integration; throws (ideally an IntegrationError) when it is not healthy. */
export type PingIntegration = (
  integration: { id: string; integration_type: string },
  signal: AbortSignal,
) => Promise<void>;

export interface HealthMonitorDeps {
  db: Db;
  ping: PingIntegration;
  log: EngineLogger;
  metrics: EngineMetrics;
  config: Pick<WorkerConfig, "healthIntervalSeconds" | "healthBackoffCapSeconds">;
  now?: () => Date;
  /** Integrations pinged per tick by this worker. Default 20. */
  batch?: number;
  /** Per-ping timeout. Default 30 s. */
  timeoutMs?: number;
}

interface Due {
  id: string;
  org_id: string;
  integration_type: string;
  health_consecutive_failures: number;
}

/**
 * Pings the integrations whose check is due, in active mode, with no sync running. Claiming is
 * a single UPDATE that pushes `health_next_check_at` forward by the minimum interval (a lease),
 * so concurrent workers never ping the same integration and no transaction stays open across
 * the network call.
 */
export async function runHealthChecks(deps: HealthMonitorDeps): Promise<number> {
  const now = (deps.now ?? (() => new Date()))();
  const { rows } = await deps.db.query<Due>(
    `update public.organization_integrations i
     set health_next_check_at = $1::timestamptz + make_interval(secs => $3)
     where i.id in (
       select c.id from public.organization_integrations c
       where c.enabled and c.health_mode = 'active'
         and (c.health_next_check_at is null or c.health_next_check_at <= $1)
         and not exists (select from public.sync_run_log r where r.integration_id = c.id and r.status = 'running')
       order by c.health_next_check_at nulls first
       limit $2
       for no key update skip locked)
     returning i.id, i.org_id, i.integration_type, i.health_consecutive_failures`,
    [now, deps.batch ?? 20, MIN_HEALTH_INTERVAL_MS / 1000],
  );
  await Promise.all(rows.map((integration) => checkOne(deps, integration, now)));
  return rows.length;
}

async function checkOne(deps: HealthMonitorDeps, integration: Due, now: Date): Promise<void> {
  const started = Date.now();
  let ok = true;
  let code: string | undefined;
  let message: string | undefined;
  try {
    await deps.ping(integration, AbortSignal.timeout(deps.timeoutMs ?? 30_000));
  } catch (error) {
    ok = false;
    code =
      isIntegrationError(error) || error instanceof IntegrationUnavailableError ? error.code : "ping_failed";
    message = error instanceof Error ? error.message : String(error);
    deps.metrics.externalApiError(integration.integration_type, code);
  }
  const decision = decideHealth({
    ok,
    errorCode: code,
    failuresBefore: integration.health_consecutive_failures,
    now,
    intervalMs: deps.config.healthIntervalSeconds * 1000,
    backoffCapMs: deps.config.healthBackoffCapSeconds * 1000,
  });
  await deps.db.query("select sync_engine.record_health_check($1, $2, $3, $4, $5, $6, $7, $8)", [
    integration.id,
    ok,
    Date.now() - started,
    code ?? null,
    message ?? null,
    decision.status,
    decision.mode,
    decision.nextCheckAt,
  ]);
  deps.metrics.healthCheck(integration.integration_type, decision.status, decision.mode);
  const line = {
    event: "health_check",
    integration_id: integration.id,
    org_id: integration.org_id,
    integration: integration.integration_type,
    ok,
    code,
    status: decision.status,
    mode: decision.mode,
    next_check_at: decision.nextCheckAt.toISOString(),
  };
  if (ok) deps.log.info(line);
  else deps.log.warn(line);
}
