import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { isTerminal, type SyncError, type SyncRun, type SyncRunSource } from "../client/index.ts";
import type { AsyncValue } from "./asyncValue.ts";
import { useSyncScheduler } from "./context.tsx";

/**
 * Query key of one run; {@link useSyncRun} keeps it current from `watchRun`.
 * @example queryClient.getQueryData<SyncRun>(syncRunKey(runId))
 */
export function syncRunKey(runId: string): readonly unknown[] {
  return ["sync-scheduler", "run", runId];
}

/**
 * Prefix of every run-list query of an organization (invalidated after a trigger).
 * @example useQuery({ queryKey: [...syncRunsKey(orgId), "history"], queryFn })
 */
export function syncRunsKey(orgId: string): readonly unknown[] {
  return ["sync-scheduler", "runs", orgId];
}

// One watch per (query cache, repository, run), however many components show the run: a button
// and its banner would otherwise open two Realtime channels for the same row.
const shared = new WeakMap<
  QueryClient,
  WeakMap<SyncRunSource, Map<string, { count: number; stop: () => void }>>
>();

function retainWatch(queryClient: QueryClient, repository: SyncRunSource, runId: string): () => void {
  const byRepo = shared.get(queryClient) ?? new WeakMap();
  shared.set(queryClient, byRepo);
  const runs = byRepo.get(repository) ?? new Map();
  byRepo.set(repository, runs);
  let entry = runs.get(runId);
  if (!entry) {
    const stop = repository.watchRun(runId, (run) => queryClient.setQueryData(syncRunKey(runId), run));
    entry = { count: 0, stop };
    runs.set(runId, entry);
  }
  entry.count++;
  const held = entry;
  return () => {
    held.count--;
    if (held.count === 0 && runs.get(runId) === held) {
      runs.delete(runId);
      held.stop();
    }
  };
}

/**
 * One run, live: read once, then kept current by `repository.watchRun` (Realtime, polling when
 * the channel is down) until it reaches a terminal status. `data(null)`: no such run visible.
 * `idle` when `runId` is null. The Riverpod equivalent is `syncRunProvider(runId)`, a
 * `StreamProvider.family<SyncRun?, String>`.
 * @example
 * const run = useSyncRun(runId);
 * if (run.status === "data" && run.data?.status === "succeeded") confetti();
 */
export function useSyncRun(runId: string | null | undefined): AsyncValue<SyncRun | null, SyncError> {
  const { repository } = useSyncScheduler();
  const queryClient = useQueryClient();
  const query = useQuery<SyncRun | null, SyncError>({
    queryKey: syncRunKey(runId ?? ""),
    queryFn: () => repository.getRun(runId ?? ""),
    enabled: Boolean(runId),
    // The watch below pushes every change into the cache; refetching would only race it.
    staleTime: Number.POSITIVE_INFINITY,
  });
  const finished = query.data ? isTerminal(query.data.status) : false;

  useEffect(() => {
    if (!runId || finished) return;
    return retainWatch(queryClient, repository, runId);
  }, [repository, queryClient, runId, finished]);

  if (!runId) return { status: "idle" };
  if (query.status === "error") return { status: "error", error: query.error };
  if (query.status === "pending") return { status: "loading" };
  return { status: "data", data: query.data ?? null };
}
