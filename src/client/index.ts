/**
 * Sync Scheduler client SDK over supabase-js (docs/architecture.md §7): the manual trigger with typed errors,
 * run reads, cancel, live run status, and reconciliation (start, findings, totals, CSV). See docs/client.md.
 * @example
 * import { isSyncTriggerError, SyncSchedulerRepository } from "sync-scheduler/client";
 * const repo = new SyncSchedulerRepository(supabase);
 * const runId = await repo.triggerManualSync(orgId, "xledger");
 */
export {
  type AdminAuditEntry,
  IntegrationAdminRepository,
  type IntegrationSettings,
  type MemberProfile,
  type NotificationDelivery,
  type NotificationEvent,
  type NotificationTarget,
} from "./adminRepository.ts";
export {
  ADMIN_ERROR_CODES,
  RECONCILE_ERROR_CODES,
  type ReconcileErrorCode,
  RUN_ERROR_CODES,
  type SyncErrorCode,
  type SyncErrorDetails,
  type SyncTriggerErrorCode,
  TRIGGER_ERROR_CODES,
} from "./errorCodes.ts";
export {
  codeFor,
  isSyncError,
  isSyncTriggerError,
  type PostgrestErrorLike,
  parseDetails,
  SyncError,
  type SyncErrorInit,
  SyncTriggerError,
  toSyncError,
  toSyncTriggerError,
} from "./errors.ts";
export { formatWait, syncErrorMessage } from "./messages.ts";
export {
  type FindingKind,
  type FindingLine,
  type FindingStatus,
  formatCents,
  type Reconciliation,
  type ReconciliationFinding,
  type ReconciliationTotal,
  toCents,
} from "./reconciliation.ts";
export { RECONCILIATION_CSV_HEADER, reconciliationCsv } from "./reconciliationCsv.ts";
export { type ReconciliationSource, type SyncRunSource, SyncSchedulerRepository } from "./repository.ts";
export { type SessionScope, sessionScope } from "./session.ts";
export {
  ACTIVE_STATUSES,
  type ApiUsage,
  type ColdStart,
  type Integration,
  type IntegrationType,
  isTerminal,
  type Locale,
  type OrgMember,
  type RunStatus,
  runFromRow,
  type SyncAlert,
  type SyncRun,
  TERMINAL_STATUSES,
} from "./types.ts";
export { type WatchMode, type WatchRunOptions, watchRun } from "./watchRun.ts";
