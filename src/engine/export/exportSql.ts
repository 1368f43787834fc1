/**
 * The export pipeline's database operations, one function per `sync_engine` SQL function
 * (supabase/migrations/20261129000500_export_pipeline.sql). SQL owns the rules (fencing, "exported at
 * most once", validation); these wrappers only shape arguments and rows.
 */
import { pgError, type Queryable } from "../../db/types.ts";
import type { ExportEntry } from "../../integrations/types.ts";

/** The fencing token every call after the claim presents. */
export interface RunFence {
  runId: string;
  workerId: string;
  attempt: number;
}

/** An integration as the worker needs it (`sync_engine.integration_runtime`). */
export interface IntegrationRuntime {
  orgId: string;
  integrationType: string;
  enabled: boolean;
  config: unknown;
  /** Decrypted credentials, or `null` when none are stored. Never log this. */
  credentials: unknown;
  credentialsSource: "vault" | "table" | null;
}

/** One entry of a batch; `inFlight` when an earlier attempt or run may already have sent it. */
export interface BatchEntry extends ExportEntry {
  inFlight: boolean;
}

/** A coded error raised by the engine's SQL (PostgREST full-control form, SQLSTATE `PGRST`). */
export interface EngineSqlError {
  code: string;
  message: string;
  details: unknown;
}

/**
 * Reads the code of an error raised through `sync_engine.raise_api_error`, or `null` for any other error.
 *
 * @example
 * try { await recordExports(db, fence, rows, cursor); } catch (e) { if (engineSqlError(e)?.code === "run_not_held") stop(); }
 */
export function engineSqlError(error: unknown): EngineSqlError | null {
  const e = pgError(error);
  if (e?.code !== "PGRST") return null;
  try {
    const body = JSON.parse(e.message) as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof body.code !== "string") return null;
    let details: unknown = body.details;
    if (typeof details === "string") {
      try {
        details = JSON.parse(details) as unknown;
      } catch {
        // details stay text
      }
    }
    return { code: body.code, message: typeof body.message === "string" ? body.message : "", details };
  } catch {
    return null;
  }
}

/**
 * Type, config and decrypted credentials of one integration; `null` when it does not exist.
 *
 * @example
 * const runtime = await loadIntegrationRuntime(db, run.integration_id);
 */
export async function loadIntegrationRuntime(
  db: Queryable,
  integrationId: string,
): Promise<IntegrationRuntime | null> {
  const { rows } = await db.query<{
    org_id: string;
    integration_type: string;
    enabled: boolean;
    config: unknown;
    credentials: unknown;
    credentials_source: "vault" | "table" | null;
  }>("select * from sync_engine.integration_runtime($1)", [integrationId]);
  const row = rows[0];
  if (row === undefined) return null;
  return {
    orgId: row.org_id,
    integrationType: row.integration_type,
    enabled: row.enabled,
    config: row.config,
    credentials: row.credentials,
    credentialsSource: row.credentials_source,
  };
}

/**
 * The lines of the next whole, valid vouchers after `afterVoucher` (voucher order, then id order), at
 * most `limit` lines (a voucher is never split) and at most `maxVouchers` vouchers. Vouchers that cannot
 * be booked are set aside by the SQL before anything is sent and never returned.
 *
 * @example
 * const batch = await nextExportBatch(db, fence, cursor, adapter.maxBatchSize);
 */
export async function nextExportBatch(
  db: Queryable,
  fence: RunFence,
  afterVoucher: string | null,
  limit: number,
  maxVouchers: number | null = null,
): Promise<BatchEntry[]> {
  const { rows } = await db.query<{
    entry_id: string;
    voucher_number: string;
    entry_date: string;
    account: string;
    amount: string;
    currency: string;
    description: string | null;
    in_flight: boolean;
  }>("select * from sync_engine.next_export_batch($1, $2, $3, $4, $5, $6)", [
    fence.runId,
    fence.workerId,
    fence.attempt,
    afterVoucher,
    limit,
    maxVouchers,
  ]);
  return rows.map((r) => ({
    id: r.entry_id,
    voucherNumber: r.voucher_number,
    entryDate: r.entry_date,
    account: r.account,
    amount: r.amount,
    currency: r.currency,
    description: r.description,
    inFlight: r.in_flight,
  }));
}

/**
 * Marks entries as possibly sent, before sending them; stretches the lease to at least `leaseSeconds`.
 *
 * @example
 * await markBatchInFlight(db, fence, batch.map((e) => e.id), 75);
 */
export async function markBatchInFlight(
  db: Queryable,
  fence: RunFence,
  entryIds: readonly string[],
  leaseSeconds: number | null,
): Promise<void> {
  await db.query("select sync_engine.mark_batch_in_flight($1, $2, $3, $4, $5)", [
    fence.runId,
    fence.workerId,
    fence.attempt,
    entryIds,
    leaseSeconds,
  ]);
}

/**
 * Records exported entries with their external ids and advances the cursor, in one transaction.
 * Returns how many rows this call added and the run's `records_exported` afterwards.
 *
 * @example
 * const { recordsExported } = await recordExports(db, fence, exported, { after_id: lastId });
 */
export async function recordExports(
  db: Queryable,
  fence: RunFence,
  exported: readonly { entryId: string; externalId: string }[],
  cursor: Record<string, unknown>,
): Promise<{ recorded: number; recordsExported: number }> {
  const { rows } = await db.query<{ recorded: number; records_exported: number }>(
    "select * from sync_engine.record_exports($1, $2, $3, $4, $5, $6)",
    [
      fence.runId,
      fence.workerId,
      fence.attempt,
      exported.map((e) => e.entryId),
      exported.map((e) => e.externalId),
      JSON.stringify(cursor),
    ],
  );
  const row = rows[0];
  return { recorded: row?.recorded ?? 0, recordsExported: row?.records_exported ?? 0 };
}

/** Why a voucher was set aside, as `sync_engine.reject_voucher` stores it. */
export interface VoucherRejection {
  voucherNumber: string;
  code: string;
  message: string;
  remoteCode?: string | undefined;
  remoteStatus?: number | undefined;
}

/**
 * Sets a voucher the accounting system refused aside for this integration (the dead-letter list);
 * returns the rejection id, or `null` when it was already set aside.
 *
 * @example
 * await rejectVoucher(db, fence, { voucherNumber: "2026-0042", code: "bad_request", message: e.message });
 */
export async function rejectVoucher(
  db: Queryable,
  fence: RunFence,
  rejection: VoucherRejection,
): Promise<string | null> {
  const { rows } = await db.query<{ id: string | null }>(
    "select sync_engine.reject_voucher($1, $2, $3, $4, $5, $6, $7, $8) as id",
    [
      fence.runId,
      fence.workerId,
      fence.attempt,
      rejection.voucherNumber,
      rejection.code,
      rejection.message,
      rejection.remoteCode ?? null,
      rejection.remoteStatus ?? null,
    ],
  );
  return rows[0]?.id ?? null;
}

/**
 * Counts one rate-limit snooze; returns the consecutive count since the run last recorded a batch.
 *
 * @example
 * const inARow = await recordSnooze(db, fence, "burst_limit");
 */
export async function recordSnooze(db: Queryable, fence: RunFence, code: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>("select sync_engine.record_snooze($1, $2, $3, $4) as n", [
    fence.runId,
    fence.workerId,
    fence.attempt,
    code,
  ]);
  return rows[0]?.n ?? 0;
}

/**
 * The earliest moment any of these entries may have been sent: their first in-flight mark, or the run's
 * first start for entries doubted without one. Xledger's look-up scans from there.
 *
 * @example
 * const since = await inFlightSince(db, fence, doubtful);
 */
export async function inFlightSince(
  db: Queryable,
  fence: RunFence,
  entryIds: readonly string[],
): Promise<Date> {
  const { rows } = await db.query<{ since: Date | string | null }>(
    "select sync_engine.in_flight_since($1, $2, $3, $4) as since",
    [fence.runId, fence.workerId, fence.attempt, entryIds],
  );
  const since = rows[0]?.since;
  // started_at is set by the claim, so null cannot happen for a held run; "now" would be the unsafe answer.
  return since === null || since === undefined ? new Date(0) : new Date(since);
}
