// One declaration for server and SDK; type-only, from a file with no imports (nothing reaches the bundle).
import type { IntegrationType } from "../integrations/integrationType.ts";

export type { IntegrationType };

/** The run state machine (docs/architecture.md §5, docs/state-machine.md). */
export type RunStatus = "pending" | "running" | "succeeded" | "failed" | "cancelled" | "skipped";

/** The user-facing locales; every message the SDK and components show exists in both. */
export type Locale = "en" | "nb";

/** Statuses after which a run never changes again: `watchRun` stops there. */
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  "succeeded",
  "failed",
  "cancelled",
  "skipped",
]);

/** Statuses that block another trigger of the same (org, integration type). */
export const ACTIVE_STATUSES: ReadonlySet<RunStatus> = new Set(["pending", "running"]);

/**
 * True when the run can no longer change.
 * @example if (isTerminal(run.status)) stopSpinner();
 */
export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** One row of `public.sync_run_log`, as a client sees it (camelCase; timestamps as ISO strings). */
export interface SyncRun {
  id: string;
  orgId: string;
  integrationId: string;
  integrationType: IntegrationType;
  /** An export of approved entries, or a reconciliation that reads them back (docs/reconciliation.md). */
  kind: "export" | "reconcile";
  status: RunStatus;
  triggeredBy: "manual" | "scheduled";
  triggeredByUserId: string | null;
  triggeredAt: string;
  scheduledFor: string | null;
  attempt: number;
  maxAttempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  recordsExported: number;
  errorCode: string | null;
  errorMessage: string | null;
  /** Actual start minus `scheduledFor`, for scheduled runs. */
  driftMs: number | null;
  skipReason: "overlap" | "missed" | "disabled" | null;
  cancelRequestedAt: string | null;
  updatedAt: string;
}

/** One row of `public.organization_integrations` without its config. */
export interface Integration {
  id: string;
  orgId: string;
  integrationType: IntegrationType;
  enabled: boolean;
  scheduleCron: string | null;
  scheduleTimezone: string;
  nextRunAt: string | null;
  healthStatus: "unknown" | "healthy" | "degraded" | "unhealthy";
  healthMode: "active" | "passive";
  healthCheckedAt: string | null;
  healthLastError: string | null;
  /** 5-field cron of the scheduled reconciliation in `scheduleTimezone`; null = none scheduled. */
  reconcileCron: string | null;
  nextReconcileAt: string | null;
}

/**
 * One row of `public.sync_alerts`: drift over the threshold, health changes, missed periods, and
 * `parked` — a run or a schedule the engine could not process and stopped (critical; details carry
 * `error_code` `run_unprocessable` or `schedule_unprocessable` and the database error) — and
 * `reconciliation`: a reconciliation run found differences (warning; details carry `findings`, `open`,
 * `by_kind`, `period_start`, `period_end`).
 */
export interface SyncAlert {
  id: number;
  orgId: string;
  integrationId: string | null;
  runId: string | null;
  kind: "drift" | "health" | "missed" | "parked" | "reconciliation";
  severity: "info" | "warning" | "critical";
  message: string;
  details: Record<string, unknown>;
  createdAt: string;
  resolvedAt: string | null;
}

/**
 * API requests one integration made in one calendar month (UTC) for one purpose
 * (`public.api_request_tally`). Xledger bills every request beyond its monthly allowance.
 */
export interface ApiUsage {
  integrationId: string;
  /** First day of the month, `YYYY-MM-DD`. */
  month: string;
  purpose: "export" | "lookup" | "ping" | "token" | "reconcile";
  requests: number;
}

/**
 * One cold start of the worker Edge Function that real work paid for (`public.function_cold_starts`):
 * a dispatch or sweep served by a fresh isolate. `prewarmSentAt` is the last warm-up sent for the
 * integration before it (null: none was), to judge whether pre-warming helps.
 */
export interface ColdStart {
  id: number;
  occurredAt: string;
  kind: "dispatch" | "sweep";
  integrationId: string | null;
  runId: string | null;
  isolateAgeMs: number | null;
  prewarmSentAt: string | null;
}

/** A member of an organization (`public.organization_members`). */
export interface OrgMember {
  orgId: string;
  userId: string;
  role: "admin" | "coordinator" | "peer_mentor" | "viewer";
}

/** The columns the SDK reads from `sync_run_log` (never `select=*`: new columns stay opt-in). */
export const RUN_COLUMNS =
  "id,org_id,integration_id,integration_type,kind,status,triggered_by,triggered_by_user_id,triggered_at,scheduled_for,attempt,max_attempts,started_at,finished_at,records_exported,error_code,error_message,drift_ms,skip_reason,cancel_requested_at,updated_at";

export const INTEGRATION_COLUMNS =
  "id,org_id,integration_type,enabled,schedule_cron,schedule_timezone,next_run_at,health_status,health_mode,health_checked_at,health_last_error,reconcile_cron,next_reconcile_at";

export const COLD_START_COLUMNS = "id,occurred_at,kind,integration_id,run_id,isolate_age_ms,prewarm_sent_at";

/**
 * Maps a `function_cold_starts` row to a {@link ColdStart}.
 * @example const incidents = rows.map(coldStartFromRow);
 */
export function coldStartFromRow(row: Row): ColdStart {
  return {
    id: num(row.id),
    occurredAt: str(row.occurred_at),
    kind: str(row.kind) as ColdStart["kind"],
    integrationId: strOrNull(row.integration_id),
    runId: strOrNull(row.run_id),
    isolateAgeMs:
      row.isolate_age_ms === null || row.isolate_age_ms === undefined ? null : num(row.isolate_age_ms),
    prewarmSentAt: strOrNull(row.prewarm_sent_at),
  };
}

export const ALERT_COLUMNS =
  "id,org_id,integration_id,run_id,kind,severity,message,details,created_at,resolved_at";

export const API_USAGE_COLUMNS = "integration_id,month,purpose,requests";

type Row = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === "string" ? v : String(v ?? ""));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v ?? 0));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Maps a `sync_run_log` row (REST or a Realtime `postgres_changes` record) to a {@link SyncRun}.
 * @example const run = runFromRow(payload.new);
 */
export function runFromRow(row: Row): SyncRun {
  return {
    id: str(row.id),
    orgId: str(row.org_id),
    integrationId: str(row.integration_id),
    integrationType: str(row.integration_type) as IntegrationType,
    // A row from before the kind column (an old Realtime record) is an export.
    kind: row.kind === "reconcile" ? "reconcile" : "export",
    status: str(row.status) as RunStatus,
    triggeredBy: str(row.triggered_by) as SyncRun["triggeredBy"],
    triggeredByUserId: strOrNull(row.triggered_by_user_id),
    triggeredAt: str(row.triggered_at),
    scheduledFor: strOrNull(row.scheduled_for),
    attempt: num(row.attempt),
    maxAttempts: num(row.max_attempts),
    startedAt: strOrNull(row.started_at),
    finishedAt: strOrNull(row.finished_at),
    recordsExported: num(row.records_exported),
    errorCode: strOrNull(row.error_code),
    errorMessage: strOrNull(row.error_message),
    driftMs: numOrNull(row.drift_ms),
    skipReason: strOrNull(row.skip_reason) as SyncRun["skipReason"],
    cancelRequestedAt: strOrNull(row.cancel_requested_at),
    updatedAt: str(row.updated_at),
  };
}

/**
 * Maps an `organization_integrations` row to an {@link Integration}.
 * @example const integrations = rows.map(integrationFromRow);
 */
export function integrationFromRow(row: Row): Integration {
  return {
    id: str(row.id),
    orgId: str(row.org_id),
    integrationType: str(row.integration_type) as IntegrationType,
    enabled: row.enabled === true,
    scheduleCron: strOrNull(row.schedule_cron),
    scheduleTimezone: str(row.schedule_timezone),
    nextRunAt: strOrNull(row.next_run_at),
    healthStatus: str(row.health_status) as Integration["healthStatus"],
    healthMode: str(row.health_mode) as Integration["healthMode"],
    healthCheckedAt: strOrNull(row.health_checked_at),
    healthLastError: strOrNull(row.health_last_error),
    reconcileCron: strOrNull(row.reconcile_cron),
    nextReconcileAt: strOrNull(row.next_reconcile_at),
  };
}

/**
 * Maps a `sync_alerts` row to a {@link SyncAlert}.
 * @example const alerts = rows.map(alertFromRow);
 */
export function alertFromRow(row: Row): SyncAlert {
  return {
    id: num(row.id),
    orgId: str(row.org_id),
    integrationId: strOrNull(row.integration_id),
    runId: strOrNull(row.run_id),
    kind: str(row.kind) as SyncAlert["kind"],
    severity: str(row.severity) as SyncAlert["severity"],
    message: str(row.message),
    details:
      typeof row.details === "object" && row.details !== null ? (row.details as Record<string, unknown>) : {},
    createdAt: str(row.created_at),
    resolvedAt: strOrNull(row.resolved_at),
  };
}

/**
 * Maps a `api_request_tally` row to an {@link ApiUsage}.
 * @example const usage = rows.map(apiUsageFromRow);
 */
export function apiUsageFromRow(row: Row): ApiUsage {
  return {
    integrationId: str(row.integration_id),
    month: str(row.month).slice(0, 10),
    purpose: str(row.purpose) as ApiUsage["purpose"],
    requests: num(row.requests),
  };
}
