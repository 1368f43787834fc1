/** Helpers for export-pipeline tests: ledger entries, and acting as a worker around one run. */
import { expect } from "vitest";
import type { Queryable } from "../../src/db/types.ts";
import { engineSqlError } from "../../src/engine/export/exportSql.ts";
import type { ClaimedRun, RunOutcome } from "../../src/engine/types.ts";

/**
 * Inserts `approved` approved and `unapproved` unapproved entries for an org as balanced vouchers of
 * two lines (three for the last one when the count is odd; one line of 0.00 when it is 1), numbered so
 * that voucher order is id order; returns the approved ids in id order (the export order).
 */
export async function seedEntries(
  db: Queryable,
  orgId: string,
  counts: { approved: number; unapproved?: number },
): Promise<string[]> {
  const prefix = `T${Math.random().toString(36).slice(2, 8)}-`;
  const { rows } = await db.query<{ id: string }>(
    `insert into public.ledger_entries (org_id, entry_date, account, amount, currency, description, approved_at)
     select $1, date '2026-11-01' + (g % 28), (array['3000', '4000', '6300', '7140'])[1 + g % 4],
       round((g * 37.25 + 500)::numeric, 2), 'NOK', 'Entry ' || g, now()
     from generate_series(1, $2::int) as g
     returning id`,
    [orgId, counts.approved],
  );
  const ids = rows.map((r) => r.id).sort();
  await balanceIntoVouchers(db, ids, prefix);
  if ((counts.unapproved ?? 0) > 0) {
    const pending = await db.query<{ id: string }>(
      `insert into public.ledger_entries (org_id, account, amount, description)
       select $1, '3000', g, 'Awaiting approval ' || g from generate_series(1, $2::int) as g
       returning id`,
      [orgId, counts.unapproved],
    );
    await balanceIntoVouchers(db, pending.rows.map((r) => r.id).sort(), `${prefix}U`);
  }
  return ids;
}

/**
 * Groups entries (in the given order) into vouchers `<prefix><nnnnnn>` of two lines, the last of three
 * when the count is odd, and sets each voucher's last amount so that it balances to zero.
 */
export async function balanceIntoVouchers(
  db: Queryable,
  ids: readonly string[],
  prefix: string,
): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `with numbered as (
       select id, least((n - 1) / 2, greatest($3::int / 2 - 1, 0)) as v
       from unnest($1::uuid[]) with ordinality as t (id, n)
     )
     update public.ledger_entries e set voucher_number = $2 || lpad(g.v::text, 6, '0')
     from numbered g where e.id = g.id`,
    [ids, prefix, ids.length],
  );
  // One date per voucher (a document is booked on one date).
  await db.query(
    `update public.ledger_entries e set entry_date = d.first_date
     from (select voucher_number, org_id, min(entry_date) as first_date from public.ledger_entries
           where id = any ($1::uuid[]) group by voucher_number, org_id) d
     where e.id = any ($1::uuid[]) and e.voucher_number = d.voucher_number and e.org_id = d.org_id`,
    [ids],
  );
  // The last line of each voucher takes minus the sum of the others (0.00 for a voucher of one line).
  await db.query(
    `with last_lines as (
       select distinct on (voucher_number) id, voucher_number from public.ledger_entries
       where id = any ($1::uuid[]) order by voucher_number, id desc
     )
     update public.ledger_entries e set amount = -coalesce((
       select sum(o.amount) from public.ledger_entries o
       where o.voucher_number = l.voucher_number and o.org_id = e.org_id and o.id <> e.id), 0)
     from last_lines l where e.id = l.id`,
    [ids],
  );
}

/** Enqueues a scheduled run for the integration and returns its id. */
export async function enqueue(db: Queryable, integrationId: string): Promise<string> {
  const { rows } = await db.query<{ run_id: string; outcome: string }>(
    "select * from sync_engine.enqueue_run($1, 'scheduled')",
    [integrationId],
  );
  expect(rows[0]?.outcome).toBe("enqueued");
  return rows[0]?.run_id as string;
}

/** Makes a pending run due now (the test's stand-in for waiting out its backoff). */
export async function makeDue(db: Queryable, runId: string): Promise<void> {
  await db.query("update public.sync_run_log set run_after = now() where id = $1 and status = 'pending'", [
    runId,
  ]);
}

/** Claims exactly the run `runId` as `workerId`, the way a worker does. */
export async function claim(db: Queryable, workerId: string, runId: string): Promise<ClaimedRun> {
  const { rows } = await db.query<ClaimedRun>("select * from sync_engine.claim_runs($1, 1, 60)", [workerId]);
  expect(rows.map((r) => r.id)).toEqual([runId]);
  return rows[0] as ClaimedRun;
}

/** Applies an outcome with the SQL calls a worker makes; returns the run's status afterwards. */
export async function finish(db: Queryable, run: ClaimedRun, outcome: RunOutcome): Promise<string | null> {
  if (outcome.kind === "succeeded") {
    const { rows } = await db.query<{ id: string }>(
      "select sync_engine.complete_runs($1, $2, $3, $4) as id",
      [run.worker_id, [run.id], [run.attempt], [outcome.recordsExported]],
    );
    return rows.length === 1 ? "succeeded" : null;
  }
  const { rows } = await db.query<{ s: string | null }>(
    "select sync_engine.fail_run($1, $2, $3, $4, $5, $6, $7, $8) as s",
    [
      run.id,
      run.worker_id,
      run.attempt,
      outcome.code,
      outcome.message,
      outcome.kind === "retry",
      outcome.kind === "retry" ? (outcome.retryAfterSeconds ?? null) : null,
      outcome.kind === "retry" ? (outcome.chargeAttempt ?? true) : true,
    ],
  );
  return rows[0]?.s ?? null;
}

/** Awaits a rejection and returns the engine's SQL error code (fails the test for anything else). */
export async function sqlErrorCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "expected the call to be refused").toBeDefined();
  const coded = engineSqlError(error);
  if (coded === null) throw new Error(`expected a coded engine error, got ${String(error)}`);
  return coded.code;
}

/** The run row's counters and progress. */
export async function runRow(db: Queryable, runId: string) {
  const { rows } = await db.query<{
    status: string;
    attempt: number;
    records_exported: number;
    progress: Record<string, unknown>;
    error_code: string | null;
  }>(
    "select status, attempt, records_exported, progress, error_code from public.sync_run_log where id = $1",
    [runId],
  );
  return rows[0] as NonNullable<(typeof rows)[0]>;
}

/** The voucher number of a ledger entry (the export cursor is the last recorded voucher). */
export async function voucherOf(db: Queryable, entryId: string | undefined): Promise<string> {
  const { rows } = await db.query<{ v: string }>(
    "select voucher_number as v from public.ledger_entries where id = $1",
    [entryId],
  );
  return rows[0]?.v as string;
}
