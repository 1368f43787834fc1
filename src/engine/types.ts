import type { Queryable } from "../db/types.ts";
import type { EngineMetrics } from "./observe/metrics.ts";

/** A run as `sync_engine.claim_runs` hands it to a worker (a `public.sync_run_log` row). */
export interface ClaimedRun {
  id: string;
  org_id: string;
  integration_id: string;
  integration_type: string;
  /** `export` sends entries; `reconcile` reads the books back (docs/reconciliation.md). */
  kind: "export" | "reconcile";
  status: "running";
  triggered_by: "manual" | "scheduled";
  triggered_by_user_id: string | null;
  scheduled_for: Date | null;
  attempt: number;
  max_attempts: number;
  /** When the run became due: enqueue time, or the retry time after a failed attempt. */
  run_after: Date;
  /** Set to the database's now() by the claim: with run_after, the dispatch latency on one clock. */
  heartbeat_at: Date;
  worker_id: string;
  started_at: Date;
  lease_expires_at: Date;
  records_exported: number;
  progress: Record<string, unknown>;
  drift_ms: number | null;
}

/** What an executor hands back; the worker turns it into the matching `sync_engine` call. */
export type RunOutcome =
  | { kind: "succeeded"; recordsExported: number }
  /**
   * Try again later. `retryAfterSeconds` from the external system (Retry-After, Xledger's burst
   * and credit errors) wins over the engine's backoff; `chargeAttempt: false` is a snooze.
   */
  | { kind: "retry"; code: string; message: string; retryAfterSeconds?: number; chargeAttempt?: boolean }
  | { kind: "failed"; code: string; message: string };

/** Everything an executor may use while running one attempt of one run. */
export interface RunContext {
  run: ClaimedRun;
  /** Runs SQL as the worker (service role or owner). Each call is its own transaction unless wrapped. */
  db: Queryable & { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> };
  /**
   * Aborted when the run is cancelled, its lease is lost, or the worker shuts down. An executor
   * stops at the next safe point (never between sending a batch and recording it) and throws or
   * returns; the worker decides the final state from why the signal fired.
   */
  signal: AbortSignal;
  log: (event: { event: string; [key: string]: unknown }) => void;
  /** Where the executor reports what it measures (API requests by purpose); default none. */
  metrics?: EngineMetrics;
}

/**
 * Runs one attempt of one run. Must be resumable: everything it has durably done is recorded
 * (progress cursor, export rows) so the next attempt continues where this one stopped.
 * Thrown errors are treated as retryable failures with code `executor_error`, unless they are
 * `IntegrationError`s, whose `retryable`/`retryAfterSeconds` are honoured.
 */
export type RunExecutor = (ctx: RunContext) => Promise<RunOutcome>;
