/**
 * Scheduled reconciliation (docs/reconciliation.md "Schedule"): called from the engine's housekeeping,
 * not from the export scheduler's hot path. Reads the integrations whose `next_reconcile_at` is due (or
 * unplanned), plans each one's next occurrence with croner in the integration's IANA zone, and hands the
 * plans to `sync_engine.schedule_due_reconciliations`, which enqueues the due ones atomically — or leaves
 * them due while the integration's slot is busy, so a later tick tries again.
 */
import { Cron } from "croner";
import type { Queryable } from "../../db/types.ts";

/** What one tick did, by outcome (`planned`, `enqueued`, `busy`, `duplicate`, `stale`). */
export type ReconcileTickResult = Record<string, number>;

/** The far future an unparseable schedule is parked at (the table's trigger resets it when edited). */
const PARKED = new Date("9999-12-31T00:00:00Z");

/**
 * The next occurrence of `cron` after `now` in `timezone`, or {@link PARKED} when either does not parse
 * (configure_integration refuses such a cron; a row written around it must not stop the others).
 *
 * @example
 * nextReconcileAt("0 3 * * *", "Europe/Oslo", new Date("2026-11-30T12:00:00Z")); // 2026-12-01T02:00:00Z
 */
export function nextReconcileAt(cron: string, timezone: string, now: Date): Date {
  try {
    return new Cron(cron, { timezone, paused: true }).nextRun(now) ?? PARKED;
  } catch {
    return PARKED;
  }
}

/**
 * One tick: up to `limit` (default 500) due integrations planned and (when due) enqueued. Safe in any number of workers
 * at once (the SQL skips rows another worker holds, and re-checks each row's `next_reconcile_at`).
 *
 * @example
 * const counts = await scheduleReconciliations(db, new Date());
 */
export async function scheduleReconciliations(
  db: Queryable,
  now: Date,
  // 500 a tick, as the export scheduler's batch (schedulerBatch): 100,000 new integrations are planned
  // within 200 ticks (50 min at 15 s), and one statement holds at most 500 row locks.
  limit = 500,
): Promise<ReconcileTickResult> {
  const { rows } = await db.query<{
    integration_id: string;
    reconcile_cron: string;
    schedule_timezone: string;
    next_reconcile_at: Date | string | null;
  }>("select * from sync_engine.due_reconciliations($1, $2)", [now, limit]);
  const counts: ReconcileTickResult = {};
  if (rows.length === 0) return counts;
  const result = await db.query<{ outcome: string }>(
    "select outcome from sync_engine.schedule_due_reconciliations($1, $2::uuid[], $3::timestamptz[], $4::timestamptz[])",
    [
      now,
      rows.map((r) => r.integration_id),
      rows.map((r) => (r.next_reconcile_at === null ? null : new Date(r.next_reconcile_at).toISOString())),
      rows.map((r) => nextReconcileAt(r.reconcile_cron, r.schedule_timezone, now).toISOString()),
    ],
  );
  for (const r of result.rows) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return counts;
}
