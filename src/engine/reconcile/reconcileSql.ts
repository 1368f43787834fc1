/**
 * The reconciliation's database operations, one function per `sync_engine` SQL function
 * (supabase/migrations/20261130160000_reconciliation.sql). SQL owns the rules (fencing, idempotent
 * recording, the alert); these wrappers only shape arguments and rows.
 */
import type { Queryable } from "../../db/types.ts";
import type { RunFence } from "../export/exportSql.ts";
import type { ExportedEntryRow, Finding, TotalRow } from "./compare.ts";

interface EntryRow {
  entry_id: string;
  voucher_number: string;
  entry_date: string;
  account: string;
  amount: string;
  currency: string;
  external_id: string;
}

const toEntry = (r: EntryRow): ExportedEntryRow => ({
  entryId: r.entry_id,
  voucherNumber: r.voucher_number,
  entryDate: r.entry_date,
  account: r.account,
  amount: r.amount,
  currency: r.currency,
  externalId: r.external_id,
});

/**
 * Every entry exported to the run's integration with its entry date in the run's period, in id order,
 * read `pageSize` at a time (keyset on the entry id).
 *
 * @example
 * const expected = await readExpected(db, fence, 5000);
 */
export async function readExpected(
  db: Queryable,
  fence: RunFence,
  pageSize: number,
): Promise<ExportedEntryRow[]> {
  const out: ExportedEntryRow[] = [];
  let after: string | null = null;
  for (;;) {
    const { rows }: { rows: EntryRow[] } = await db.query<EntryRow>(
      "select * from sync_engine.reconcile_expected($1, $2, $3, $4, $5)",
      [fence.runId, fence.workerId, fence.attempt, after, pageSize],
    );
    for (const r of rows) out.push(toEntry(r));
    if (rows.length < pageSize) return out;
    after = rows[rows.length - 1]?.entry_id ?? null;
  }
}

/**
 * The exported entries among `entryIds` (any entry date): references read back in the period that are
 * not in its expected set.
 *
 * @example
 * const outside = await readExportedAmong(db, fence, unknownIds);
 */
export async function readExportedAmong(
  db: Queryable,
  fence: RunFence,
  entryIds: readonly string[],
): Promise<ExportedEntryRow[]> {
  if (entryIds.length === 0) return [];
  const { rows } = await db.query<EntryRow>("select * from sync_engine.reconcile_entries($1, $2, $3, $4)", [
    fence.runId,
    fence.workerId,
    fence.attempt,
    entryIds,
  ]);
  return rows.map(toEntry);
}

/**
 * Requests counted this UTC month for the run's integration, every purpose.
 *
 * @example
 * const used = await requestsThisMonth(db, fence);
 */
export async function requestsThisMonth(db: Queryable, fence: RunFence): Promise<number> {
  const { rows } = await db.query<{ n: string | number }>(
    "select sync_engine.reconcile_requests_this_month($1, $2, $3) as n",
    [fence.runId, fence.workerId, fence.attempt],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Records findings, totals and progress in one transaction, with the alert when findings are open.
 * Idempotent per run (a second call returns the first call's counts).
 *
 * @example
 * const { findings, openFindings } = await recordReconciliation(db, fence, result, requests);
 */
export async function recordReconciliation(
  db: Queryable,
  fence: RunFence,
  result: { findings: readonly Finding[]; totals: readonly TotalRow[]; checked: number },
  requests: number,
): Promise<{ findings: number; openFindings: number }> {
  const { rows } = await db.query<{ findings: number; open_findings: number }>(
    "select * from sync_engine.record_reconciliation($1, $2, $3, $4, $5, $6, $7)",
    [
      fence.runId,
      fence.workerId,
      fence.attempt,
      JSON.stringify(result.findings),
      JSON.stringify(result.totals),
      result.checked,
      requests,
    ],
  );
  return { findings: rows[0]?.findings ?? 0, openFindings: rows[0]?.open_findings ?? 0 };
}

/**
 * Live progress while reading back: requests made and lines read so far (fenced; a no-op once recorded).
 *
 * @example
 * await reportProgress(db, fence, requests, lines);
 */
export async function reportProgress(
  db: Queryable,
  fence: RunFence,
  requests: number,
  linesRead: number,
): Promise<void> {
  await db.query("select sync_engine.reconcile_progress($1, $2, $3, $4, $5)", [
    fence.runId,
    fence.workerId,
    fence.attempt,
    requests,
    linesRead,
  ]);
}
