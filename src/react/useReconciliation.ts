import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import type {
  FindingStatus,
  IntegrationType,
  Reconciliation,
  ReconciliationFinding,
  ReconciliationSource,
  ReconciliationTotal,
  SyncError,
  SyncRunSource,
} from "../client/index.ts";
import type { AsyncValue } from "./asyncValue.ts";
import { useSyncScheduler } from "./context.tsx";
import { syncRunsKey } from "./useSyncRun.ts";

/**
 * Prefix of every reconciliation query of an organization. It sits under {@link syncRunsKey}: a run
 * finishing (a reconciliation records findings, an export clears a re-queued one) refreshes them too.
 * @example queryClient.invalidateQueries({ queryKey: reconciliationKey(orgId) })
 */
export function reconciliationKey(orgId: string): readonly unknown[] {
  return [...syncRunsKey(orgId), "reconciliation"];
}

const METHODS = [
  "reconcileIntegration",
  "listReconciliations",
  "listReconciliationFindings",
  "listReconciliationTotals",
  "requeueReconciliationFinding",
  "acknowledgeReconciliationFinding",
] as const;

/** The provider's repository as a {@link ReconciliationSource}; `SyncSchedulerRepository` is one. */
function reconciliationSource(repository: SyncRunSource): ReconciliationSource {
  const r = repository as Partial<ReconciliationSource>;
  for (const m of METHODS)
    if (typeof r[m] !== "function")
      throw new Error(`the SyncSchedulerProvider's repository has no ${m}: pass a SyncSchedulerRepository`);
  return repository as SyncRunSource & ReconciliationSource;
}

function asyncValue<T>(query: {
  status: "pending" | "error" | "success";
  data: T | undefined;
  error: SyncError | null;
}): AsyncValue<T, SyncError> {
  if (query.status === "error" && query.error) return { status: "error", error: query.error };
  if (query.status === "success" && query.data !== undefined) return { status: "data", data: query.data };
  return { status: "loading" };
}

interface ListOptions {
  integrationType?: IntegrationType;
  /** Re-read in the background every so many ms (the list also refreshes when a run finishes). */
  refetchIntervalMs?: number;
  enabled?: boolean;
}

/**
 * The newest reconciliation runs with their period and counts (`listReconciliations`), newest first.
 * The Riverpod equivalent is `reconciliationsProvider(orgId)`, a `FutureProvider.family`.
 * @example
 * const runs = useReconciliations(orgId, { integrationType: "xledger" });
 * if (runs.status === "data" && runs.data[0]?.findings === 0) showTick();
 */
export function useReconciliations(
  orgId: string,
  options: ListOptions & { limit?: number } = {},
): AsyncValue<Reconciliation[], SyncError> {
  const source = reconciliationSource(useSyncScheduler().repository);
  const { integrationType, limit = 20 } = options;
  const query = useQuery<Reconciliation[], SyncError>({
    queryKey: [...reconciliationKey(orgId), "runs", integrationType ?? "all", limit],
    queryFn: () =>
      source.listReconciliations(orgId, { ...(integrationType ? { integrationType } : {}), limit }),
    enabled: Boolean(orgId) && options.enabled !== false,
    ...(options.refetchIntervalMs ? { refetchInterval: options.refetchIntervalMs } : {}),
  });
  return asyncValue(query);
}

/**
 * Findings (`listReconciliationFindings`), newest first; narrow by integration, run and status.
 * @example const findings = useReconciliationFindings(orgId, { runId: latest.run.id });
 */
export function useReconciliationFindings(
  orgId: string,
  options: ListOptions & { runId?: string; status?: FindingStatus } = {},
): AsyncValue<ReconciliationFinding[], SyncError> {
  const source = reconciliationSource(useSyncScheduler().repository);
  const { integrationType, runId, status } = options;
  const query = useQuery<ReconciliationFinding[], SyncError>({
    queryKey: [
      ...reconciliationKey(orgId),
      "findings",
      integrationType ?? "all",
      runId ?? "all",
      status ?? "all",
    ],
    queryFn: () =>
      source.listReconciliationFindings(orgId, {
        ...(integrationType ? { integrationType } : {}),
        ...(runId ? { runId } : {}),
        ...(status ? { status } : {}),
      }),
    enabled: Boolean(orgId) && options.enabled !== false,
    ...(options.refetchIntervalMs ? { refetchInterval: options.refetchIntervalMs } : {}),
  });
  return asyncValue(query);
}

/**
 * Per month and account, our total against theirs (`listReconciliationTotals`).
 * @example const totals = useReconciliationTotals(orgId, { runId });
 */
export function useReconciliationTotals(
  orgId: string,
  options: ListOptions & { runId?: string } = {},
): AsyncValue<ReconciliationTotal[], SyncError> {
  const source = reconciliationSource(useSyncScheduler().repository);
  const { integrationType, runId } = options;
  const query = useQuery<ReconciliationTotal[], SyncError>({
    queryKey: [...reconciliationKey(orgId), "totals", integrationType ?? "all", runId ?? "all"],
    queryFn: () =>
      source.listReconciliationTotals(orgId, {
        ...(integrationType ? { integrationType } : {}),
        ...(runId ? { runId } : {}),
      }),
    enabled: Boolean(orgId) && options.enabled !== false,
    ...(options.refetchIntervalMs ? { refetchInterval: options.refetchIntervalMs } : {}),
  });
  return asyncValue(query);
}

export interface ReconcileIntegration {
  /** idle → loading → data(runId) | error(SyncError with `details.operation` "reconcile"). */
  state: AsyncValue<string, SyncError>;
  /** Starts a reconciliation; the promise mirrors `state`. Both dates or neither (the default period). */
  reconcile(
    orgId: string,
    integrationType: IntegrationType,
    period?: { periodStart?: string; periodEnd?: string },
  ): Promise<string>;
  reset(): void;
}

/**
 * "Reconcile now" as a mutation (never retried: the RPC's verdict — conflict, rate limit — is final).
 * Follow the run id it resolves to with `useSyncRun`.
 * @example
 * const { state, reconcile } = useReconcileIntegration();
 * <button onClick={() => reconcile(orgId, "dynamics").catch(() => {})}>Reconcile now</button>
 */
export function useReconcileIntegration(): ReconcileIntegration {
  const source = reconciliationSource(useSyncScheduler().repository);
  const queryClient = useQueryClient();
  const mutation = useMutation<
    string,
    SyncError,
    { orgId: string; integrationType: IntegrationType; period?: { periodStart?: string; periodEnd?: string } }
  >({
    mutationFn: ({ orgId, integrationType, period }) =>
      source.reconcileIntegration(orgId, integrationType, period),
    retry: false,
    onSettled: (_d, _e, { orgId }) => queryClient.invalidateQueries({ queryKey: syncRunsKey(orgId) }),
  });
  const { mutateAsync, reset } = mutation;
  const reconcile = useCallback(
    (
      orgId: string,
      integrationType: IntegrationType,
      period?: { periodStart?: string; periodEnd?: string },
    ) => mutateAsync({ orgId, integrationType, ...(period ? { period } : {}) }),
    [mutateAsync],
  );
  return { state: mutationState(mutation), reconcile, reset };
}

export interface FindingAction {
  /** idle → loading → data(finding id) | error(SyncError with `details.operation` "finding"). */
  state: AsyncValue<string, SyncError>;
  /** Re-queues a `missing` finding for export. */
  requeue(orgId: string, findingId: string): Promise<string>;
  /** Acknowledges any other finding with a note (1–500 characters). */
  acknowledge(orgId: string, findingId: string, note: string): Promise<string>;
  reset(): void;
}

/**
 * The two actions on a finding as one mutation; on settle the organization's reconciliation lists
 * refetch (the finding's status, and a re-queued entry's next export).
 * @example
 * const act = useFindingAction();
 * <button onClick={() => act.requeue(orgId, f.id).catch(() => {})}>Re-queue</button>
 */
export function useFindingAction(): FindingAction {
  const source = reconciliationSource(useSyncScheduler().repository);
  const queryClient = useQueryClient();
  const mutation = useMutation<string, SyncError, { orgId: string; findingId: string; note?: string }>({
    mutationFn: async ({ orgId, findingId, note }) => {
      if (note === undefined) await source.requeueReconciliationFinding(orgId, findingId);
      else await source.acknowledgeReconciliationFinding(orgId, findingId, note);
      return findingId;
    },
    retry: false,
    onSettled: (_d, _e, { orgId }) => queryClient.invalidateQueries({ queryKey: reconciliationKey(orgId) }),
  });
  const { mutateAsync, reset } = mutation;
  const requeue = useCallback(
    (orgId: string, findingId: string) => mutateAsync({ orgId, findingId }),
    [mutateAsync],
  );
  const acknowledge = useCallback(
    (orgId: string, findingId: string, note: string) => mutateAsync({ orgId, findingId, note }),
    [mutateAsync],
  );
  return { state: mutationState(mutation), requeue, acknowledge, reset };
}

function mutationState<T>(m: {
  status: "idle" | "pending" | "error" | "success";
  data: T | undefined;
  error: SyncError | null;
}): AsyncValue<T, SyncError> {
  if (m.status === "pending") return { status: "loading" };
  if (m.status === "error" && m.error) return { status: "error", error: m.error };
  if (m.status === "success") return { status: "data", data: m.data as T };
  return { status: "idle" };
}
