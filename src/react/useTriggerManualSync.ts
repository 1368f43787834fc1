import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import type { IntegrationType, SyncTriggerError } from "../client/index.ts";
import type { AsyncValue } from "./asyncValue.ts";
import { useSyncScheduler } from "./context.tsx";
import { syncRunsKey } from "./useSyncRun.ts";

export interface TriggerManualSync {
  /** idle → loading → data(runId) | error(SyncTriggerError). */
  state: AsyncValue<string, SyncTriggerError>;
  /** Starts a manual sync; the promise mirrors `state` (it rejects with the SyncTriggerError). */
  trigger(orgId: string, integrationType: IntegrationType): Promise<string>;
  /** Back to idle. */
  reset(): void;
}

/**
 * The manual trigger as a TanStack Query mutation, its state shaped like Riverpod's AsyncValue.
 * On success the organization's run lists are invalidated so history refetches.
 * @example
 * const { state, trigger } = useTriggerManualSync();
 * <button disabled={state.status === "loading"} onClick={() => trigger(orgId, "xledger").catch(() => {})}>Sync now</button>
 * {state.status === "error" && <p role="alert">{state.error.userMessage("en")}</p>}
 */
export function useTriggerManualSync(): TriggerManualSync {
  const { repository } = useSyncScheduler();
  const queryClient = useQueryClient();
  const mutation = useMutation<string, SyncTriggerError, { orgId: string; integrationType: IntegrationType }>(
    {
      mutationFn: ({ orgId, integrationType }) => repository.triggerManualSync(orgId, integrationType),
      // The RPC's verdict is final (permission, conflict, rate limit): never retried by the client.
      retry: false,
      onSettled: (_data, _error, { orgId }) =>
        queryClient.invalidateQueries({ queryKey: syncRunsKey(orgId) }),
    },
  );
  const { mutateAsync, reset } = mutation;
  const trigger = useCallback(
    (orgId: string, integrationType: IntegrationType) => mutateAsync({ orgId, integrationType }),
    [mutateAsync],
  );
  let state: AsyncValue<string, SyncTriggerError>;
  if (mutation.status === "pending") state = { status: "loading" };
  else if (mutation.status === "error") state = { status: "error", error: mutation.error };
  else if (mutation.status === "success") state = { status: "data", data: mutation.data };
  else state = { status: "idle" };
  return { state, trigger, reset };
}
