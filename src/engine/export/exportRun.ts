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
import type { RunContext, RunExecutor, RunOutcome } from "../types.ts";
import { DEFAULT_SNOOZE_POLICY, errorOutcome, type SnoozePolicy, snoozeOutcome } from "./exportOutcome.ts";
import {
  engineSqlError,
  markBatchInFlight,
  nextExportBatch,
  type RunFence,
  recordExports,
  recordSnooze,
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
    try {
      const adapter = await loadAdapter(db, run.integration_id, options.adapter);
      return await exportBatches(ctx, fence, adapter, sendDeadlineMs, leaseSeconds);
    } catch (error) {
      // Gone, disabled or without credentials: nothing to retry until someone acts.
      if (error instanceof IntegrationUnavailableError)
        return { kind: "failed", code: error.code, message: error.message };
      return outcomeFor(error, ctx, fence, snooze);
    }
  };
}

/** The export executor with default options. */
export const exportRun: RunExecutor = createExportRun();

async function exportBatches(
  ctx: RunContext,
  fence: RunFence,
  adapter: IntegrationAdapter,
  sendDeadlineMs: number,
  leaseSeconds: number,
): Promise<RunOutcome> {
  const { run, db, signal, log } = ctx;
  let cursor = cursorOf(run.progress);
  let recordsExported = run.records_exported;
  // A retried attempt double-checks its first batch even without a marker: one lookup request per retry
  // buys safety against any send that somehow went out unmarked.
  let doubtFirstBatch = run.attempt > 1;

  for (;;) {
    // Safe point: everything before here is recorded.
    if (signal.aborted) return abortedOutcome();
    const batch = await nextExportBatch(db, fence, cursor, adapter.maxBatchSize);
    if (batch.length === 0) {
      log({ event: "export_finished", run_id: run.id, records_exported: recordsExported });
      return { kind: "succeeded", recordsExported };
    }
    const ids = batch.map((e) => e.id);
    await markBatchInFlight(db, fence, ids, leaseSeconds);

    const doubtful = batch.filter((e) => e.inFlight || doubtFirstBatch).map((e) => e.id);
    // Lookups send nothing, so they may be cut short by the signal; the markers stay for the next attempt.
    const found = doubtful.length > 0 ? await adapter.findExported(doubtful, { signal }) : [];
    const foundIds = new Set(found.map((f) => f.entryId));
    const toSend = batch.filter((e) => !foundIds.has(e.id));

    // From the send to the record there is no safe point: the send gets its own deadline instead of the
    // run's signal, and its result is recorded even if the run was cancelled meanwhile.
    const sent =
      toSend.length > 0 ? await adapter.export(toSend, { signal: AbortSignal.timeout(sendDeadlineMs) }) : [];
    assertComplete(toSend, sent);
    const inBatch = new Set(ids);
    const last = ids[ids.length - 1] ?? cursor;
    const result = await recordExports(db, fence, [...found.filter((f) => inBatch.has(f.entryId)), ...sent], {
      after_id: last,
    });
    recordsExported = result.recordsExported;
    cursor = last;
    doubtFirstBatch = false;
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
      return outcomeFor(snoozeError, ctx, fence, snooze);
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

function cursorOf(progress: Record<string, unknown>): string | null {
  const cursor = progress.cursor as { after_id?: unknown } | undefined;
  return typeof cursor?.after_id === "string" ? cursor.after_id : null;
}
