import type { RunStatus } from "./types.ts";

/*
 * The SDK's error vocabulary: codes and the structured details, with no behaviour. Both the error
 * classes (errors.ts) and the user-facing texts (messages.ts) read it, so neither imports the other
 * for it.
 */

/** The codes `trigger_integration_sync` raises (docs/architecture.md §4), plus the two the client adds. */
export const TRIGGER_ERROR_CODES = [
  "permission_denied",
  "org_scope_violation",
  "unknown_integration_type",
  "integration_not_configured",
  "integration_disabled",
  "sync_already_in_progress",
  "rate_limited",
  "network_error",
  "unknown",
] as const;

/** Why a manual trigger was refused. `network_error`: no answer; `unknown`: an answer with no known code. */
export type SyncTriggerErrorCode = (typeof TRIGGER_ERROR_CODES)[number];

/** The codes `cancel_integration_sync` raises beyond the trigger's. */
export const RUN_ERROR_CODES = ["run_not_found", "run_not_active"] as const;

/** The codes the admin RPCs (configure, credentials, health, notification targets) raise beyond the trigger's. */
export const ADMIN_ERROR_CODES = [
  "invalid_settings",
  "invalid_schedule",
  "invalid_timezone",
  "invalid_config",
  "invalid_credentials",
  "health_passive",
  "invalid_notification_target",
  "notification_target_not_found",
] as const;

/**
 * The codes the reconciliation RPCs raise beyond the trigger's (docs/reconciliation.md):
 * `reconcile_integration` (`invalid_period`, `reconciliation_already_in_progress`) and the finding
 * actions `requeue_reconciliation_finding` / `acknowledge_reconciliation_finding`.
 */
export const RECONCILE_ERROR_CODES = [
  "invalid_period",
  "reconciliation_already_in_progress",
  "finding_not_found",
  "finding_not_open",
  "finding_not_requeueable",
  "finding_not_acknowledgeable",
  "invalid_note",
] as const;

/** Why `reconcileIntegration` was refused: the trigger's codes (§4, checks 1–5 and the conflicts) plus its own. */
export type ReconcileErrorCode =
  | SyncTriggerErrorCode
  | "invalid_period"
  | "reconciliation_already_in_progress";

/** Every code an SDK call can reject with. */
export type SyncErrorCode =
  | SyncTriggerErrorCode
  | (typeof RUN_ERROR_CODES)[number]
  | (typeof ADMIN_ERROR_CODES)[number]
  | (typeof RECONCILE_ERROR_CODES)[number];

/** The structured part of an error, parsed from PostgREST's `details` (JSON text). */
export interface SyncErrorDetails {
  /**
   * Set by the SDK (never by the server) when the refused call was a reconciliation (`reconcile`) or an
   * action on a finding (`finding`) rather than a sync, so the codes they share with the trigger
   * (`permission_denied`, `sync_already_in_progress`, `rate_limited`) read right.
   */
  operation?: "sync" | "reconcile" | "finding";
  /** `sync_already_in_progress`, `reconciliation_already_in_progress`: the run that is pending or running. */
  activeRunId?: string;
  /** `rate_limited`: seconds until a manual trigger is accepted again. */
  retryAfterSeconds?: number;
  /** `rate_limited`: when a manual trigger is accepted again (client clock + retryAfterSeconds). */
  retryAt?: Date;
  /** `unknown_integration_type`: the accepted types. */
  allowedTypes?: string[];
  /** `run_not_active`: the status the run already has. */
  runStatus?: RunStatus;
  /** `invalid_schedule`: why the cron expression was refused; `invalid_period`: `one_bound`, `start_after_end`, `too_long`. */
  reason?: string;
  /** `invalid_period` with reason `too_long`: the most days one reconciliation may cover. */
  maxDays?: number;
  /** `invalid_config`: each failed field (`path`, dotted) and why. */
  issues?: Array<{ path: string; message: string }>;
  /** `invalid_settings`, `invalid_credentials`, `invalid_notification_target`: what is wrong, by key. */
  problems?: Array<{ key: string; problem: string } | string>;
}
