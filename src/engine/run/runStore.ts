import type { Queryable } from "../../db/types.ts";
import type { ClaimedRun } from "../types.ts";

/**
 * Thin, typed calls to the engine's SQL core (supabase/migrations/*_sync_engine_core.sql). The
 * rules (fencing, transitions, backoff) live there; this file only names the calls.
 */

// The largest value a PostgreSQL integer parameter takes; a larger count would fail the whole
// statement (22003), so counts are saturated here, as the SQL saturates its own counters.
const INT_MAX = 2_147_483_647;

/** A count for an `integer` parameter: NaN and negatives 0, at most 2^31 − 1. */
export function toIntCount(n: number): number {
  return Number.isFinite(n) ? Math.min(Math.max(Math.trunc(n), 0), INT_MAX) : n > 0 ? INT_MAX : 0;
}

/**
 * Claims up to `limit` due runs for `workerId`, with a lease. A row the claim cannot process is
 * parked by the SQL (failed, `run_unprocessable`, a `parked` alert) and the others are claimed.
 */
export async function claimRuns(
  db: Queryable,
  workerId: string,
  limit: number,
  leaseSeconds: number,
): Promise<ClaimedRun[]> {
  const { rows } = await db.query<ClaimedRun>("select * from sync_engine.claim_runs($1, $2, $3)", [
    workerId,
    toIntCount(limit),
    toIntCount(leaseSeconds),
  ]);
  // drift_ms is bigint (saturated at ±(2^53 − 1) by the SQL, so a Number is exact): node-postgres
  // returns int8 as a string, PGlite as a number.
  return rows.map((r) => ({ ...r, drift_ms: r.drift_ms === null ? null : Number(r.drift_ms) }));
}

/** Parks a run this worker cannot process: failed with `code`, a critical `parked` alert. */
export async function parkRun(db: Queryable, runId: string, code: string, message: string) {
  const { rows } = await db.query<{ parked: boolean }>("select sync_engine.park_run($1, $2, $3) as parked", [
    runId,
    code,
    message,
  ]);
  return rows[0]?.parked === true;
}

/** Extends the leases of every run `workerId` holds; returns those still held and whether cancel was asked. */
export async function heartbeatRuns(db: Queryable, workerId: string, runIds: string[], leaseSeconds: number) {
  const { rows } = await db.query<{ run_id: string; cancel_requested: boolean }>(
    "select * from sync_engine.heartbeat_runs($1, $2::uuid[], $3)",
    [workerId, runIds, toIntCount(leaseSeconds)],
  );
  return rows;
}

/** Completes many runs in one statement; returns the ids that were still held (and so completed). */
export async function completeRuns(
  db: Queryable,
  workerId: string,
  runs: Array<{ id: string; attempt: number; recordsExported: number }>,
): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(
    "select sync_engine.complete_runs($1, $2::uuid[], $3::int[], $4::int[]) as id",
    [
      workerId,
      runs.map((r) => r.id),
      runs.map((r) => r.attempt),
      runs.map((r) => toIntCount(r.recordsExported)),
    ],
  );
  return new Set(rows.map((r) => r.id));
}

export interface FailArgs {
  code: string;
  message: string;
  retryable: boolean;
  retryAfterSeconds?: number | undefined;
  chargeAttempt?: boolean | undefined;
  backoffBaseSeconds: number;
  backoffCapSeconds: number;
}

/** Fails one attempt; returns the run's new status, or null when the worker no longer holds it. */
export async function failRun(db: Queryable, workerId: string, run: ClaimedRun, args: FailArgs) {
  const { rows } = await db.query<{ status: string | null }>(
    "select sync_engine.fail_run($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) as status",
    [
      run.id,
      workerId,
      run.attempt,
      args.code,
      args.message,
      args.retryable,
      args.retryAfterSeconds ?? null,
      args.chargeAttempt ?? true,
      args.backoffBaseSeconds,
      args.backoffCapSeconds,
    ],
  );
  return rows[0]?.status ?? null;
}

/** Hands runs back to pending without charging their attempt (graceful shutdown). */
export async function releaseRuns(db: Queryable, workerId: string, runIds: string[]) {
  if (runIds.length === 0) return [];
  const { rows } = await db.query<{ id: string }>("select sync_engine.release_runs($1, $2::uuid[]) as id", [
    workerId,
    runIds,
  ]);
  return rows.map((r) => r.id);
}

/** Ends a run the holder aborted on a cancellation request. */
export async function finishCancelled(db: Queryable, workerId: string, run: ClaimedRun) {
  const { rows } = await db.query<{ ok: boolean }>("select sync_engine.finish_cancelled($1, $2, $3) as ok", [
    run.id,
    workerId,
    run.attempt,
  ]);
  return rows[0]?.ok === true;
}

/** Returns runs with expired leases to pending (or failed/cancelled); returns what it reaped. */
export async function reapExpiredLeases(db: Queryable, limit = 1000) {
  const { rows } = await db.query<{ run_id: string; status: string }>(
    "select * from sync_engine.reap_expired_leases($1)",
    [limit],
  );
  return rows;
}
