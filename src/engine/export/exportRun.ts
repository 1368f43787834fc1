// Over 300 lines: one attempt of one run, read top to bottom (vouchers, batches, look-ups, outcomes).
/**
 * The export executor: one attempt of one run, for both integration types (docs/architecture.md §5.2).
 *
 * Per batch of `adapter.maxBatchSize` approved entries, in id order after the run's cursor:
 *   1. `mark_batch_in_flight`  — committed before anything is sent;
 *   2. `findExported` for the entries that may already exist remotely (a marker left by a lost or
 *      crashed attempt/run, or the first batch of a retried attempt), recording those without resending;
 *   3. `export` the rest;
 *   4. `record_exports` — export rows, cursor and counters in one transaction; markers cleared.
 * A crash anywhere leaves either a recorded batch or a marked one, never an unmarked send, which is
 * what makes the effect exactly-once.
 *
 * `ctx.signal` is checked only before fetching a batch and inside lookups (nothing has been sent
 * then). Once a send starts it runs to its answer (bounded by {@link ExportRunOptions.sendDeadlineMs})
 * and is recorded, so cancelling never strands a batch that went out.
 */
import { IntegrationError, isIntegrationError, isRateLimitCode } from "../../integrations/errors.ts";
import type { AdapterOptions } from "../../integrations/registry.ts";
import type { ExportedEntry, IntegrationAdapter } from "../../integrations/types.ts";
import { noMetrics } from "../observe/metrics.ts";
import { RequestTally } from "../observe/requestTally.ts";
import type { RunContext, RunExecutor, RunOutcome } from "../types.ts";
import { DEFAULT_SNOOZE_POLICY, errorOutcome, type SnoozePolicy, snoozeOutcome } from "./exportOutcome.ts";
import {
  engineSqlError,
  inFlightSince,
  markBatchInFlight,
  nextExportBatch,
  type RunFence,
  recordExports,
  recordSnooze,
  rejectVoucher,
} from "./exportSql.ts";
import { IntegrationUnavailableError, loadAdapter } from "./loadAdapter.ts";

/** Knobs of the export executor; every default is written next to it. */
export interface ExportRunOptions {
  /** Passed to `createAdapter` (per-request `timeoutMs` default 30 000, `maxBatchSize` default 100, …). */
  adapter?: AdapterOptions;
  /** Rate-limit snoozes; default {@link DEFAULT_SNOOZE_POLICY} (20 free in a row, ≤ 1 h each). */
  snooze?: SnoozePolicy;
  /**
   * Deadline for one `export` call, whatever `ctx.signal` does. Default 60 000 ms: a Business Central
   * export may need a token, a journal lookup and the `$batch` (each under the adapter's 30 s), and a
   * healthy one takes well under a second; 60 s still fits an Edge Function's 150 s wall clock.
   */
  sendDeadlineMs?: number;
}

/** Extra lease beyond the send deadline while a batch is in flight: clock skew plus the record call. */
const LEASE_MARGIN_SECONDS = 15;

/**
 * Builds the export {@link RunExecutor}.
 *
 * @example
 * const executor = createExportRun({ adapter: { maxBatchSize: 50 } });
 * const outcome = await executor({ run, db, signal, log });
 */
export function createExportRun(options: ExportRunOptions = {}): RunExecutor {
  const snooze = options.snooze ?? DEFAULT_SNOOZE_POLICY;
  const sendDeadlineMs = options.sendDeadlineMs ?? 60_000;
  const leaseSeconds = Math.ceil(sendDeadlineMs / 1000) + LEASE_MARGIN_SECONDS;

  return async (ctx: RunContext): Promise<RunOutcome> => {
    const { run, db } = ctx;
    const fence: RunFence = { runId: run.id, workerId: run.worker_id, attempt: run.attempt };
    const tally = new RequestTally(run.integration_id, run.integration_type, ctx.metrics ?? noMetrics);
    try {
      const adapter = await loadAdapter(db, run.integration_id, options.adapter);
      return await exportBatches(ctx, fence, adapter, tally, sendDeadlineMs, leaseSeconds);
    } catch (error) {
      // Gone, disabled or without credentials: nothing to retry until someone acts.
      if (error instanceof IntegrationUnavailableError)
        return { kind: "failed", code: error.code, message: error.message };
      // Awaited here, not returned as a promise: the finally below awaits the tally flush, and a
      // rejection that settled meanwhile would have no handler yet — Node ends the process on an
      // unhandled rejection (the chaos suite's worker exits during the PostgreSQL restart).
      return await outcomeFor(error, ctx, fence, snooze);
    } finally {
      // Requests of a failed or stopped attempt count too (they were billed); a tally failure must not
      // change the run's outcome.
      await tally
        .flush(ctx.db)
        .catch((error: unknown) =>
          ctx.log({ event: "request_tally_failed", run_id: run.id, error: String(error) }),
        );
    }
  };
}

/** The export executor with default options. */
export const exportRun: RunExecutor = createExportRun();

/**
 * Remote rejections in a row (no batch recorded in between) after which the run fails with
 * `rejections_in_a_row` instead of setting the next voucher aside. A voucher refused for its content is
 * rare (a mistyped account, a closed period); twenty in a row means the integration itself is wrong (a
 * journal that refuses every line, every date outside the allowed range), and dead-lettering the whole
 * backlog would bury the one real problem under hundreds of copies. The twenty stay listed and can be
 * re-queued once the setting is fixed.
 */
export const MAX_REJECTIONS_IN_A_ROW = 20;

async function exportBatches(
  ctx: RunContext,
  fence: RunFence,
  adapter: IntegrationAdapter,
  tally: RequestTally,
  sendDeadlineMs: number,
  leaseSeconds: number,
): Promise<RunOutcome> {
  const { run, db, signal, log } = ctx;
  let cursor = cursorOf(run.progress);
  let recordsExported = run.records_exported;
  // A retried attempt double-checks its first batch even without a marker: one lookup request per retry
  // buys safety against any send that somehow went out unmarked.
  let doubtFirstBatch = run.attempt > 1;
  let rejectedInARow = 0;
  let rejected = 0;
  // After a refusal the adapter could not pin on one voucher, the vouchers of that batch go out one per
  // request, so the refusal lands on the voucher that causes it and the others pass.
  let isolateNext = 0;

  for (;;) {
    // Safe point: everything before here is recorded.
    if (signal.aborted) return abortedOutcome();
    const isolating = isolateNext > 0;
    const batch = await nextExportBatch(db, fence, cursor, adapter.maxBatchSize, isolating ? 1 : null);
    if (batch.length === 0) {
      log({
        event: "export_finished",
        run_id: run.id,
        records_exported: recordsExported,
        rejected_vouchers: rejected,
      });
      return { kind: "succeeded", recordsExported };
    }
    if (isolating) isolateNext--;
    const ids = batch.map((e) => e.id);
    await markBatchInFlight(db, fence, ids, leaseSeconds);

    const doubtful = batch.filter((e) => e.inFlight || doubtFirstBatch);
    // Lookups send nothing, so they may be cut short by the signal; the markers stay for the next attempt.
    const found =
      doubtful.length > 0
        ? await adapter.findExported(doubtful, {
            signal,
            onRequest: tally.onRequest,
            since: await inFlightSince(
              db,
              fence,
              doubtful.map((e) => e.id),
            ),
          })
        : [];
    const foundIds = new Set(found.map((f) => f.entryId));
    const toSend = batch.filter((e) => !foundIds.has(e.id));

    // From the send to the record there is no safe point: the send gets its own deadline instead of the
    // run's signal, and its result is recorded even if the run was cancelled meanwhile.
    let sent: ExportedEntry[] = [];
    if (toSend.length > 0) {
      try {
        sent = await adapter.export(toSend, {
          signal: AbortSignal.timeout(sendDeadlineMs),
          onRequest: tally.onRequest,
        });
      } catch (error) {
        if (!isContentRejection(error)) throw error;
        const vouchers = [...new Set(toSend.map((e) => e.voucherNumber))];
        const voucher = error.voucher ?? (vouchers.length === 1 ? vouchers[0] : undefined);
        if (voucher === undefined || !vouchers.includes(voucher)) {
          // Refused, but for which voucher? Nothing was booked (a refused request books nothing); send
          // this batch's vouchers one by one. The markers make each look itself up first.
          isolateNext = vouchers.length;
          log({ event: "export_batch_refused", run_id: run.id, vouchers: vouchers.length, code: error.code });
          doubtFirstBatch = false;
          continue;
        }
        await rejectVoucher(db, fence, {
          voucherNumber: voucher,
          code: error.code,
          message: error.message,
          remoteCode: error.remoteCode,
          remoteStatus: error.status,
        });
        rejected++;
        rejectedInARow++;
        log({
          event: "voucher_rejected",
          run_id: run.id,
          voucher_number: voucher,
          code: error.code,
          remote_code: error.remoteCode ?? null,
          in_a_row: rejectedInARow,
        });
        if (rejectedInARow >= MAX_REJECTIONS_IN_A_ROW) {
          return {
            kind: "failed",
            code: "rejections_in_a_row",
            message: `${rejectedInARow} vouchers in a row were refused (last: ${error.message}); the integration's settings are probably wrong. They are listed as rejected and can be re-queued after the fix.`,
          };
        }
        doubtFirstBatch = false;
        continue;
      }
    }
    assertComplete(toSend, sent);
    const inBatch = new Set(ids);
    const last = batch[batch.length - 1]?.voucherNumber ?? cursor;
    const result = await recordExports(db, fence, [...found.filter((f) => inBatch.has(f.entryId)), ...sent], {
      after_voucher: last,
    });
    recordsExported = result.recordsExported;
    cursor = last;
    await tally.flush(db);
    doubtFirstBatch = false;
    rejectedInARow = 0;
    log({
      event: "export_batch_recorded",
      run_id: run.id,
      attempt: run.attempt,
      entries: batch.length,
      sent: sent.length,
      found_remotely: found.length,
      recorded: result.recorded,
      records_exported: recordsExported,
    });
  }
}

/**
 * A refusal of the data itself (Business Central 400 `Application_*`/`BadRequest`, an Xledger validation
 * error): sending the same voucher again cannot help, but other vouchers can still go through.
 */
function isContentRejection(error: unknown): error is IntegrationError {
  return (
    isIntegrationError(error) &&
    (error.code === "bad_request" || error.code === "invalid_voucher") &&
    !error.retryable
  );
}

/** An adapter must answer for every entry it was given; anything less is a retryable server error. */
function assertComplete(toSend: readonly { id: string }[], sent: readonly ExportedEntry[]): void {
  const answered = new Set(sent.map((s) => s.entryId));
  const missing = toSend.filter((e) => !answered.has(e.id));
  if (missing.length > 0) {
    // Retryable: the markers make the next attempt look these up before sending anything again.
    throw new IntegrationError(
      "server_error",
      `${missing.length} of ${toSend.length} sent entries came back without an external id`,
    );
  }
}

async function outcomeFor(
  error: unknown,
  ctx: RunContext,
  fence: RunFence,
  snooze: SnoozePolicy,
): Promise<RunOutcome> {
  const sql = engineSqlError(error);
  if (sql?.code === "run_not_held") {
    // Reaped, cancelled or re-claimed: nothing was recorded, and the worker's own fenced complete/fail
    // call will match no row either. Not charged: the attempt is not ours any more.
    return { kind: "retry", code: "run_not_held", message: sql.message, chargeAttempt: false };
  }
  if (!isIntegrationError(error)) throw error;
  // Only lookups listen to ctx.signal, so "aborted" always means: stopped before sending this batch.
  if (error.code === "aborted") return abortedOutcome();
  ctx.log({
    event: "export_error",
    run_id: ctx.run.id,
    attempt: ctx.run.attempt,
    code: error.code,
    retryable: error.retryable,
    retry_after_seconds: error.retryAfterSeconds ?? null,
    status: error.status ?? null,
    remote_code: error.remoteCode ?? null,
  });
  if (isRateLimitCode(error.code) && error.retryable) {
    try {
      return snoozeOutcome(error, await recordSnooze(ctx.db, fence, error.code), snooze);
    } catch (snoozeError) {
      return await outcomeFor(snoozeError, ctx, fence, snooze);
    }
  }
  return errorOutcome(error);
}

/**
 * Stopped at a safe point because `ctx.signal` fired. The worker decides the final state from why it
 * fired (cancel → `finish_cancelled`, shutdown → `release_runs`, lease lost → nothing); this outcome is
 * what it means when taken literally: try again later without charging an attempt.
 */
function abortedOutcome(): RunOutcome {
  return {
    kind: "retry",
    code: "aborted",
    message: "Stopped on request at a safe point; every batch sent so far is recorded.",
    chargeAttempt: false,
  };
}

/** The last voucher recorded by this run (a cursor of another shape starts over: the anti-join skips what is exported). */
function cursorOf(progress: Record<string, unknown>): string | null {
  const cursor = progress.cursor as { after_voucher?: unknown } | undefined;
  return typeof cursor?.after_voucher === "string" ? cursor.after_voucher : null;
}
