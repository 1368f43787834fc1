import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";
import { isSyncError, SyncError } from "./errors.ts";
import { isTerminal, runFromRow, type SyncRun } from "./types.ts";

/** How a watch currently learns about changes. */
export type WatchMode = "connecting" | "realtime" | "polling";

export interface WatchRunOptions {
  /** First polling delay after the channel fails, and the delay after a poll that saw a change. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Polls that see no change double the delay up to this. Default 15 000 ms. */
  maxPollIntervalMs?: number;
  /** Read failures (network, RLS) while watching; the watch keeps going. */
  onError?: (error: SyncError) => void;
  /** Transport changes: `connecting` → `realtime`, or `polling` while the channel is down. */
  onModeChange?: (mode: WatchMode) => void;
}

export interface WatchRunDeps {
  supabase: SupabaseClient;
  getRun(runId: string): Promise<SyncRun | null>;
}

// Several watchers of one run (a button and a banner) each need their own channel: supabase-js
// hands back the existing channel for a topic it already has, and removing it would end both.
let channelSeq = 0;

/**
 * Watches one run: Realtime `postgres_changes` (UPDATE on `sync_run_log`, `id=eq.<runId>`), a re-read
 * once the channel is SUBSCRIBED (changes committed before the server's subscription is live are
 * otherwise lost, supabase-wire.md §3.4), polling with backoff while the channel is errored, timed
 * out or closed, and a stop at a terminal status (channel removed, timers cleared). `onChange` gets
 * each new version of the row once, never an older one after a newer one.
 * @example
 * const stop = watchRun({ supabase, getRun }, runId, (run) => render(run));
 * // later, or automatically at succeeded/failed/cancelled/skipped:
 * stop();
 */
export function watchRun(
  deps: WatchRunDeps,
  runId: string,
  onChange: (run: SyncRun) => void,
  options: WatchRunOptions = {},
): () => void {
  const baseDelay = options.pollIntervalMs ?? 1000;
  const maxDelay = options.maxPollIntervalMs ?? 15_000;
  let stopped = false;
  let last: SyncRun | null = null;
  let channel: RealtimeChannel | null = null;
  let polling = false;
  let pollDelay = baseDelay;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let mode: WatchMode | null = null;

  const setMode = (next: WatchMode) => {
    if (mode === next || stopped) return;
    mode = next;
    options.onModeChange?.(next);
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    polling = false;
    clearTimeout(pollTimer);
    const c = channel;
    channel = null;
    if (c) void deps.supabase.removeChannel(c);
  };

  /** Hands a version of the row on unless it is older than (or the same as) the last one. */
  const deliver = (run: SyncRun): boolean => {
    if (stopped || run.id !== runId) return false;
    if (last) {
      const seen = Date.parse(last.updatedAt);
      const incoming = Date.parse(run.updatedAt);
      if (incoming < seen) return false;
      if (
        incoming === seen &&
        run.status === last.status &&
        run.recordsExported === last.recordsExported &&
        run.attempt === last.attempt
      ) {
        return false;
      }
    }
    last = run;
    onChange(run);
    if (isTerminal(run.status)) stop();
    return true;
  };

  const read = async (): Promise<boolean> => {
    try {
      const run = await deps.getRun(runId);
      if (run) return deliver(run);
      if (!stopped) options.onError?.(new SyncError("run_not_found", { status: 404 }));
    } catch (error) {
      if (!stopped)
        options.onError?.(isSyncError(error) ? error : new SyncError("unknown", { cause: error }));
    }
    return false;
  };

  const schedulePoll = () => {
    if (stopped || !polling) return;
    pollTimer = setTimeout(async () => {
      if (stopped || !polling) return;
      const changed = await read();
      // A change may mean more are coming (running → succeeded); silence means back off.
      pollDelay = changed ? baseDelay : Math.min(maxDelay, pollDelay * 2);
      schedulePoll();
    }, pollDelay);
  };

  const startPolling = () => {
    if (polling || stopped) return;
    polling = true;
    pollDelay = baseDelay;
    setMode("polling");
    // Whatever happened while the channel was going down was not delivered: read now.
    void read().then(schedulePoll);
  };

  const stopPolling = () => {
    polling = false;
    clearTimeout(pollTimer);
  };

  setMode("connecting");
  void (async () => {
    // The first phx_join carries the user's token only if the socket has it before subscribe()
    // (toolchain.md); without it the server evaluates RLS as anon and delivers nothing.
    try {
      await deps.supabase.realtime.setAuth();
    } catch {
      // Joining with the apikey still works for reads the anon role may see; polling covers the rest.
    }
    if (stopped) return;
    channel = deps.supabase
      .channel(`sync-run-${runId}-${++channelSeq}`)
      .on(
        "postgres_changes",
        { event: "UPDATE", schema: "public", table: "sync_run_log", filter: `id=eq.${runId}` },
        (payload) => {
          deliver(runFromRow(payload.new as Record<string, unknown>));
        },
      )
      .subscribe((status) => {
        if (stopped) return;
        if (status === "SUBSCRIBED") {
          stopPolling();
          setMode("realtime");
          void read();
        } else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT" || status === "CLOSED") {
          // realtime-js keeps rejoining on its own; poll until it reports SUBSCRIBED again.
          startPolling();
        }
      });
  })();

  return stop;
}
