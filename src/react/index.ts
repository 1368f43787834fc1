/**
 * React bindings for the Sync Scheduler SDK (docs/architecture.md §7): hooks on TanStack Query (runs,
 * the manual trigger, reconciliation) and the ManualSyncButton / SyncStatusBanner components. See docs/client.md for the Riverpod mapping.
 * @example
 * import { ManualSyncButton, SyncSchedulerProvider, SyncStatusBanner } from "sync-scheduler/react";
 */
export { type AsyncValue, whenAsync } from "./asyncValue.ts";
export { SyncSchedulerProvider, useSyncScheduler } from "./context.tsx";
export { ManualSyncButton, type ManualSyncButtonProps } from "./ManualSyncButton.tsx";
export { SyncStatusBanner, type SyncStatusBannerProps } from "./SyncStatusBanner.tsx";
export { type ComponentStrings, componentStrings, formatTime, intlLocale } from "./strings.ts";
export {
  type FindingAction,
  type ReconcileIntegration,
  reconciliationKey,
  useFindingAction,
  useReconcileIntegration,
  useReconciliationFindings,
  useReconciliations,
  useReconciliationTotals,
} from "./useReconciliation.ts";
export { syncRunKey, syncRunsKey, useSyncRun } from "./useSyncRun.ts";
export { type TriggerManualSync, useTriggerManualSync } from "./useTriggerManualSync.ts";
