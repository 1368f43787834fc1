/**
 * The reconciliation executor: one attempt of one `kind = 'reconcile'` run (docs/reconciliation.md).
 *
 *   1. the expected side from SQL (exported entries dated in the run's period, `reconcile_expected`);
 *   2. the accounting system's side through the adapter's {@link ReconcileReader}: `readPeriod`, then
 *      `findByReference` for expected entries it did not return (missing vs. booked to another period);
 *   3. {@link compareReconciliation} (pure);
 *   4. `record_reconciliation`: findings, totals, progress and the alert in ONE transaction at the end.
 *
 * Nothing is sent to the accounting system, so the run's signal may stop it anywhere; nothing is recorded
 * before step 4, so a stopped or failed attempt leaves no half result, and a retried one starts over.
 * Reads are counted (purpose `reconcile`) against a request budget that never takes the integration over
 * its monthly allowance ({@link reconcileBudget}); running out fails the attempt retryably with
 * `budget_exhausted`.
 */
import type { Queryable } from "../../db/types.ts";
import { monthlyRequestAllowance } from "../../integrations/config.ts";
import { IntegrationError, isIntegrationError } from "../../integrations/errors.ts";
import {
  type ActualLine,
  type ExpectedEntry,
  isReconcileReader,
  type PostingPeriod,
  type ReconcileContext,
  type ReconcileReader,
} from "../../integrations/reconcile.ts";
import type { AdapterOptions } from "../../integrations/registry.ts";
import type { RequestPurpose } from "../../integrations/types.ts";
import { errorOutcome } from "../export/exportOutcome.ts";
import { engineSqlError, loadIntegrationRuntime, type RunFence } from "../export/exportSql.ts";
import { IntegrationUnavailableError, loadAdapter } from "../export/loadAdapter.ts";
import { noMetrics } from "../observe/metrics.ts";
import { RequestTally } from "../observe/requestTally.ts";
import type { RunContext, RunExecutor, RunOutcome } from "../types.ts";
import { compareReconciliation, type ExportedEntryRow } from "./compare.ts";
import {
  readExpected,
  readExportedAmong,
  recordReconciliation,
  reportProgress,
  requestsThisMonth,
} from "./reconcileSql.ts";

/** Knobs of the reconciliation executor; every default is written next to it. */
export interface ReconcileRunOptions {
  /** Passed to `createAdapter` (per-request `timeoutMs` default 30 000, …). */
  adapter?: AdapterOptions;
  /**
   * The most requests one run may make, whatever the allowance. Default 1,000: a clean month of 10,000
   * entries reads back in tens of pages (`npm run bench -- --only reconcile`, docs/benchmarks.md), so 1,000 only stops a
   * period far larger than intended, and at Business Central's 6,000 requests per 5 minutes per user
   * (Microsoft Learn, "API limits" for Business Central) it leaves most of the window to exports.
   */
  maxRequestsPerRun?: number;
  /**
   * Share of a monthly allowance (Xledger's `monthly_request_allowance`) a reconciliation never touches, kept
   * for exports and health pings. Default 0.1: with 5,000 included requests, reconciliations stop once
   * 4,500 have been used this month, so the month's exports still have 500.
   */
  reserveShare?: number;
  /** Expected entries read per SQL page. Default 5,000 (one round trip for a typical month). */
  pageSize?: number;
  /** References per `findByReference` call. Default 500. */
  lookupChunk?: number;
  /** How the adapter is built; default {@link loadAdapter} (tests hand in a fake reader). */
  loadReader?: (db: Queryable, integrationId: string, options?: AdapterOptions) => Promise<object>;
}

/**
 * The request budget of one reconciliation: `min(maxRequestsPerRun, allowance·(1 − reserveShare) − used)`,
 * never below 0; without a monthly allowance (Business Central: a rate limit) just the per-run cap.
 *
 * @example
 * reconcileBudget({ allowance: 5000, used: 4400, perRun: 1000, reserveShare: 0.1 }); // 100
 */
export function reconcileBudget(input: {
  allowance: number | null;
  used: number;
  perRun: number;
  reserveShare: number;
}): number {
  if (input.allowance === null) return Math.max(0, Math.floor(input.perRun));
  const left = Math.floor(input.allowance * (1 - input.reserveShare)) - input.used;
  return Math.max(0, Math.min(Math.floor(input.perRun), left));
}

/**
 * Builds the reconciliation {@link RunExecutor}.
 *
 * @example
 * const executor = createReconcileRun({ maxRequestsPerRun: 200 });
 */
export function createReconcileRun(options: ReconcileRunOptions = {}): RunExecutor {
  const perRun = options.maxRequestsPerRun ?? 1_000;
  const reserveShare = options.reserveShare ?? 0.1;
  const pageSize = options.pageSize ?? 5_000;
  const lookupChunk = options.lookupChunk ?? 500;
  const load = options.loadReader ?? loadAdapter;

  return async (ctx: RunContext): Promise<RunOutcome> => {
    const { run, db } = ctx;
    const fence: RunFence = { runId: run.id, workerId: run.worker_id, attempt: run.attempt };
    const tally = new RequestTally(run.integration_id, run.integration_type, ctx.metrics ?? noMetrics);
    let requests = 0;
    const onRequest = (purpose: RequestPurpose): void => {
      requests++;
      tally.onRequest(purpose);
    };
    try {
      // An earlier attempt recorded the outcome and then lost the run before completing it.
      if (typeof run.progress.recorded_at === "string") return { kind: "succeeded", recordsExported: 0 };
      const period = periodOf(run.progress);
      const adapter = await load(db, run.integration_id, options.adapter);
      if (!isReconcileReader(adapter)) {
        return {
          kind: "failed",
          code: "reconcile_unsupported",
          message: `The ${run.integration_type} adapter cannot read back.`,
        };
      }
      const runtime = await loadIntegrationRuntime(db, run.integration_id);
      const budget = reconcileBudget({
        allowance: monthlyRequestAllowance(run.integration_type, runtime?.config),
        used: await requestsThisMonth(db, fence),
        perRun,
        reserveShare,
      });
      if (budget === 0) {
        throw new IntegrationError(
          "budget_exhausted",
          "No request budget is left for reconciliation this month (the rest is kept for exports and pings).",
          { retryable: true },
        );
      }
      const result = await reconcile(
        ctx,
        fence,
        adapter,
        period,
        budget,
        onRequest,
        () => requests,
        pageSize,
        lookupChunk,
      );
      const recorded = await recordReconciliation(db, fence, result, requests);
      ctx.log({
        event: "reconciliation_recorded",
        run_id: run.id,
        period_start: period.start,
        period_end: period.end,
        checked: result.checked,
        findings: recorded.findings,
        open_findings: recorded.openFindings,
        requests,
      });
      return { kind: "succeeded", recordsExported: 0 };
    } catch (error) {
      return outcomeFor(error, ctx);
    } finally {
      // Read-back requests count against the allowance whether or not the attempt finished.
      await tally
        .flush(db)
        .catch((error: unknown) =>
          ctx.log({ event: "request_tally_failed", run_id: run.id, error: String(error) }),
        );
    }
  };
}

/** The reconciliation executor with default options. */
export const reconcileRun: RunExecutor = createReconcileRun();

async function reconcile(
  ctx: RunContext,
  fence: RunFence,
  reader: ReconcileReader,
  period: PostingPeriod,
  budget: number,
  onRequest: (purpose: RequestPurpose) => void,
  requestsMade: () => number,
  pageSize: number,
  lookupChunk: number,
) {
  const { db, signal } = ctx;
  const expected = await readExpected(db, fence, pageSize);
  const expectedForAdapter: ExpectedEntry[] = expected.map((e) => ({
    id: e.entryId,
    voucherNumber: e.voucherNumber,
    account: e.account,
    amount: e.amount,
  }));
  let spent = 0;
  const counted = (purpose: RequestPurpose) => {
    if (purpose === "reconcile") spent++;
    onRequest(purpose);
  };
  const context = (): ReconcileContext => ({
    signal,
    onRequest: counted,
    maxRequests: Math.max(0, budget - spent),
    expected: expectedForAdapter,
  });

  const inPeriod: ActualLine[] = [];
  for await (const page of reader.readPeriod(period, context())) {
    inPeriod.push(...page);
    // One row update per page read (a page is one request of up to 1,000+ lines): the run row shows a
    // long read-back advancing over Realtime.
    await reportProgress(db, fence, requestsMade(), inPeriod.length);
  }

  const seen = new Set(inPeriod.map((l) => l.entryId.toLowerCase()));
  const expectedIds = new Set(expected.map((e) => e.entryId));
  const unseen = expected.filter((e) => !seen.has(e.entryId)).map((e) => e.entryId);
  const elsewhere: ActualLine[] = [];
  for (let i = 0; i < unseen.length; i += lookupChunk) {
    elsewhere.push(...(await reader.findByReference(unseen.slice(i, i + lookupChunk), context())));
  }
  const foreign = [...seen].filter((id) => !expectedIds.has(id));
  const outOfPeriod: ExportedEntryRow[] = await readExportedAmong(db, fence, foreign);
  return compareReconciliation({ period, expected, inPeriod, elsewhere, outOfPeriod });
}

function periodOf(progress: Record<string, unknown>): PostingPeriod {
  const start = progress.period_start;
  const end = progress.period_end;
  if (typeof start !== "string" || typeof end !== "string") {
    // Written by the SQL that enqueues every reconcile run; a row without it cannot be processed.
    throw new IntegrationError("bad_request", "The reconciliation run has no period.", { retryable: false });
  }
  return { start, end };
}

function outcomeFor(error: unknown, ctx: RunContext): RunOutcome {
  if (error instanceof IntegrationUnavailableError)
    return { kind: "failed", code: error.code, message: error.message };
  const sql = engineSqlError(error);
  if (sql?.code === "run_not_held") {
    return { kind: "retry", code: "run_not_held", message: sql.message, chargeAttempt: false };
  }
  if (!isIntegrationError(error)) throw error;
  if (error.code === "aborted") {
    return {
      kind: "retry",
      code: "aborted",
      message: "Stopped on request; a reconciliation records nothing until its end, so it starts over.",
      chargeAttempt: false,
    };
  }
  ctx.log({
    event: "reconcile_error",
    run_id: ctx.run.id,
    attempt: ctx.run.attempt,
    code: error.code,
    retryable: error.retryable,
    status: error.status ?? null,
  });
  return errorOutcome(error);
}
