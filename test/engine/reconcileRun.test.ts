/**
 * The reconciliation executor (src/engine/reconcile/reconcileRun.ts) against a fake ReconcileReader: what it
 * reads, what it records in one transaction at the end, its request budget, its outcomes; the dispatch on
 * `kind` and the scheduled reconciliation.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { createReconcileRun, reconcileBudget } from "../../src/engine/reconcile/reconcileRun.ts";
import { nextReconcileAt, scheduleReconciliations } from "../../src/engine/reconcile/schedule.ts";
import { createRunExecutor } from "../../src/engine/run/dispatch.ts";
import type { ClaimedRun, RunExecutor, RunOutcome } from "../../src/engine/types.ts";
import { IntegrationError } from "../../src/integrations/errors.ts";
import type {
  ActualLine,
  PostingPeriod,
  ReconcileContext,
  ReconcileReader,
} from "../../src/integrations/reconcile.ts";
import { openTestDb, type TestDb } from "../helpers/db.ts";
import { countRows, createScenario } from "../helpers/fixtures.ts";

/** The books as a fake accounting system holds them; one request per page of `pageSize` lines. */
class FakeBooks implements ReconcileReader {
  lines: ActualLine[] = [];
  readonly calls: string[] = [];
  constructor(readonly pageSize = 2) {}

  #request(ctx: ReconcileContext, spent: { n: number }) {
    if (ctx.maxRequests !== undefined && spent.n >= ctx.maxRequests) {
      throw new IntegrationError("budget_exhausted", "fake: budget spent", { retryable: true });
    }
    spent.n++;
    ctx.onRequest?.("reconcile");
  }

  async *readPeriod(period: PostingPeriod, ctx: ReconcileContext): AsyncIterable<ActualLine[]> {
    this.calls.push(`readPeriod ${period.start}..${period.end} max=${ctx.maxRequests}`);
    const inside = this.lines.filter((l) => l.postingDate >= period.start && l.postingDate <= period.end);
    const spent = { n: 0 };
    for (let i = 0; i === 0 || i < inside.length; i += this.pageSize) {
      if (ctx.signal.aborted) throw new IntegrationError("aborted", "fake: aborted");
      this.#request(ctx, spent);
      yield inside.slice(i, i + this.pageSize);
    }
  }

  async findByReference(entryIds: readonly string[], ctx: ReconcileContext): Promise<ActualLine[]> {
    this.calls.push(`findByReference ${entryIds.length} max=${ctx.maxRequests}`);
    this.#request(ctx, { n: 0 });
    return this.lines.filter((l) => entryIds.includes(l.entryId));
  }
}

describe("reconciliation executor (fake reader, PGlite)", () => {
  let t: TestDb;
  let db: Db;
  let s: Awaited<ReturnType<typeof createScenario>>;
  let books: FakeBooks;
  let entries: { id: string; account: string; amount: string; entry_date: string }[];

  const executor = (options: Parameters<typeof createReconcileRun>[0] = {}): RunExecutor =>
    createReconcileRun({ loadReader: async () => books, ...options });
  const logged: Array<Record<string, unknown>> = [];
  const ctxFor = (run: ClaimedRun, signal = new AbortController().signal) => ({
    run,
    db,
    signal,
    log: (e: Record<string, unknown>) => void logged.push(e),
  });

  async function startReconcile(period = { start: "2026-11-01", end: "2026-11-30" }): Promise<ClaimedRun> {
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    await db.query(
      `select sync_engine.insert_reconcile_run(i, 'scheduled', null, $2::date, $3::date)
       from public.organization_integrations i where i.id = $1`,
      [s.xledgerId, period.start, period.end],
    );
    const { rows } = await db.query<ClaimedRun>("select * from sync_engine.claim_runs('w-fake', 1, 60)");
    return rows[0] as ClaimedRun;
  }
  const complete = (run: ClaimedRun, outcome: RunOutcome) =>
    outcome.kind === "succeeded"
      ? db.query("select sync_engine.complete_runs($1, array[$2::uuid], array[$3::int])", [
          run.worker_id,
          run.id,
          run.attempt,
        ])
      : db.query("select sync_engine.fail_run($1, $2, $3, $4, 'x')", [
          run.id,
          run.worker_id,
          run.attempt,
          outcome.code,
        ]);

  beforeAll(async () => {
    t = await openTestDb("pglite");
    db = t.db;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    s = await createScenario(db);
    books = new FakeBooks();
    logged.length = 0;
    // Four exported entries in November (two vouchers), one in October; the fake books hold them all.
    const { rows } = await db.query<{ id: string; account: string; amount: string; entry_date: string }>(
      `insert into public.ledger_entries (org_id, voucher_number, entry_date, account, amount, approved_at)
       values ($1, 'A', '2026-11-03', '3000', 100, now()), ($1, 'A', '2026-11-03', '1920', -100, now()),
              ($1, 'B', '2026-11-20', '6300', 42.5, now()), ($1, 'B', '2026-11-20', '1920', -42.5, now()),
              ($1, 'C', '2026-10-10', '3000', 7, now())
       returning id, account, amount::text, entry_date::text`,
      [s.orgId],
    );
    entries = rows;
    await db.query(
      `insert into public.ledger_entry_exports (entry_id, integration_id, org_id, external_id)
       select e.id, $2, $3, 'x-' || e.id from unnest($1::uuid[]) as e(id)`,
      [rows.map((r) => r.id), s.xledgerId, s.orgId],
    );
    books.lines = rows.map((r) => ({
      entryId: r.id,
      externalId: `x-${r.id}`,
      state: "journal" as const,
      account: r.account,
      amount: r.amount,
      currency: "NOK",
      postingDate: r.entry_date,
    }));
  });

  it("a clean month: succeeded, nothing found, progress and the request tally written", async () => {
    const run = await startReconcile();
    const outcome = await executor()(ctxFor(run));
    expect(outcome).toEqual({ kind: "succeeded", recordsExported: 0 });
    await complete(run, outcome);
    const { rows } = await db.query<{ progress: Record<string, unknown>; status: string }>(
      "select status, progress from public.sync_run_log where id = $1",
      [run.id],
    );
    expect(rows[0]?.status).toBe("succeeded");
    expect(rows[0]?.progress).toMatchObject({
      period_start: "2026-11-01",
      period_end: "2026-11-30",
      checked: 4,
      findings: 0,
      requests: 2,
      lines_read: 4,
    });
    expect(await countRows(db, "public.reconciliation_findings", "run_id = $1", [run.id])).toBe(0);
    expect(await countRows(db, "public.reconciliation_totals", "run_id = $1", [run.id])).toBe(3);
    expect(await countRows(db, "public.sync_alerts", "run_id = $1", [run.id])).toBe(0);
    const tally = await db.query(
      "select purpose, requests::int from public.api_request_tally where integration_id = $1",
      [s.xledgerId],
    );
    expect(tally.rows).toEqual([{ purpose: "reconcile", requests: 2 }]);
    expect(books.calls).toEqual(["readPeriod 2026-11-01..2026-11-30 max=1000"]);
  });

  it("records exactly what differs, and one alert", async () => {
    const [a, b, c, d] = entries as [
      (typeof entries)[0],
      (typeof entries)[0],
      (typeof entries)[0],
      (typeof entries)[0],
    ];
    books.lines = books.lines
      .filter((l) => l.entryId !== a.id) // deleted
      .map((l) => (l.entryId === b.id ? { ...l, amount: "-90.00" } : l)) // edited
      .map((l) => (l.entryId === c.id ? { ...l, postingDate: "2026-12-01" } : l)); // moved out of the period
    books.lines.push({ ...(books.lines.find((l) => l.entryId === d.id) as ActualLine), externalId: "dup" });
    const run = await startReconcile();
    const outcome = await executor()(ctxFor(run));
    expect(outcome.kind).toBe("succeeded");
    const { rows } = await db.query<{ kind: string; ledger_entry_id: string }>(
      "select kind, ledger_entry_id from public.reconciliation_findings where run_id = $1 order by kind",
      [run.id],
    );
    expect(rows).toEqual([
      { kind: "amount_mismatch", ledger_entry_id: b.id },
      { kind: "date_mismatch", ledger_entry_id: c.id },
      { kind: "extra", ledger_entry_id: d.id },
      { kind: "missing", ledger_entry_id: a.id },
    ]);
    expect(books.calls).toEqual(["readPeriod 2026-11-01..2026-11-30 max=1000", "findByReference 2 max=998"]);
    expect(
      await countRows(db, "public.sync_alerts", "run_id = $1 and kind = 'reconciliation'", [run.id]),
    ).toBe(1);
    expect(logged.find((e) => e.event === "reconciliation_recorded")).toMatchObject({
      checked: 4,
      findings: 4,
      open_findings: 4,
      requests: 3,
    });
  });

  it("the budget: never past the allowance minus the reserve; none left → budget_exhausted, retryable, nothing recorded", async () => {
    expect(reconcileBudget({ allowance: 5000, used: 4400, perRun: 1000, reserveShare: 0.1 })).toBe(100);
    expect(reconcileBudget({ allowance: 5000, used: 4600, perRun: 1000, reserveShare: 0.1 })).toBe(0);
    expect(reconcileBudget({ allowance: null, used: 10 ** 9, perRun: 1000, reserveShare: 0.1 })).toBe(1000);
    // Xledger allowance 5,000 (default), 4,499 used this month: one request left for reconciliation.
    await db.query(
      `insert into public.api_request_tally (integration_id, org_id, month, purpose, requests)
       values ($1, $2, date_trunc('month', now() at time zone 'UTC')::date, 'export', 4499)`,
      [s.xledgerId, s.orgId],
    );
    const run = await startReconcile();
    const outcome = await executor()(ctxFor(run));
    expect(outcome).toMatchObject({ kind: "retry", code: "budget_exhausted" });
    expect(books.calls).toEqual(["readPeriod 2026-11-01..2026-11-30 max=1"]);
    expect(await countRows(db, "public.reconciliation_totals", "run_id = $1", [run.id])).toBe(0);
    // The one request it made is counted.
    expect(
      await countRows(
        db,
        "public.api_request_tally",
        "integration_id = $1 and purpose = 'reconcile' and requests = 1",
        [s.xledgerId],
      ),
    ).toBe(1);
    await complete(run, outcome);
    const { rows } = await db.query<{ status: string; error_code: string }>(
      "select status, error_code from public.sync_run_log where id = $1",
      [run.id],
    );
    expect(rows[0]).toEqual({ status: "pending", error_code: "budget_exhausted" });
    // Spent entirely: refused before any request.
    await db.query(
      "update public.api_request_tally set requests = 4500 where integration_id = $1 and purpose = 'export'",
      [s.xledgerId],
    );
    const second = await startReconcile();
    books.calls.length = 0;
    expect(await executor()(ctxFor(second))).toMatchObject({ kind: "retry", code: "budget_exhausted" });
    expect(books.calls).toEqual([]);
  });

  it("stopped by its signal: retried without charge, nothing recorded; a recorded run is not read again", async () => {
    const run = await startReconcile();
    const controller = new AbortController();
    controller.abort("cancelled");
    expect(await executor()(ctxFor(run, controller.signal))).toMatchObject({
      kind: "retry",
      code: "aborted",
      chargeAttempt: false,
    });
    expect(await countRows(db, "public.reconciliation_totals", "run_id = $1", [run.id])).toBe(0);
    // Recorded, then the worker died before complete_runs: the next attempt completes without reading.
    expect((await executor()(ctxFor(run))).kind).toBe("succeeded");
    await db.query(
      "update public.sync_run_log set status = 'pending', lease_expires_at = null where id = $1",
      [run.id],
    );
    const { rows } = await db.query<ClaimedRun>("select * from sync_engine.claim_runs('w-2', 1, 60)");
    books.calls.length = 0;
    expect(await executor()(ctxFor(rows[0] as ClaimedRun))).toEqual({
      kind: "succeeded",
      recordsExported: 0,
    });
    expect(books.calls).toEqual([]);
    expect(await countRows(db, "public.reconciliation_totals", "run_id = $1", [run.id])).toBe(3);
  });

  it("a lost lease is run_not_held (not charged); an adapter without a reader fails reconcile_unsupported", async () => {
    const run = await startReconcile();
    const stale = { ...run, attempt: run.attempt + 1 };
    expect(await executor()(ctxFor(stale))).toMatchObject({
      kind: "retry",
      code: "run_not_held",
      chargeAttempt: false,
    });
    const noReader = createReconcileRun({ loadReader: async () => ({ type: "xledger" }) });
    expect(await noReader(ctxFor(run))).toMatchObject({ kind: "failed", code: "reconcile_unsupported" });
  });

  it("the shared executor dispatches on kind", async () => {
    const run = await startReconcile();
    const seen: string[] = [];
    const dispatch = createRunExecutor({ reconcile: { loadReader: async () => books } });
    expect((await dispatch(ctxFor(run))).kind).toBe("succeeded");
    seen.push(...books.calls);
    expect(seen).toEqual(["readPeriod 2026-11-01..2026-11-30 max=1000"]);
    // An export run goes to the export executor (here: no credentials stored → a coded failure, no read).
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    await db.query("select * from sync_engine.enqueue_run($1, 'scheduled')", [s.xledgerId]);
    const { rows } = await db.query<ClaimedRun>("select * from sync_engine.claim_runs('w-exp', 1, 60)");
    expect(rows[0]?.kind).toBe("export");
    expect(await dispatch(ctxFor(rows[0] as ClaimedRun))).toMatchObject({
      kind: "failed",
      code: "credentials_missing",
    });
    expect(books.calls).toHaveLength(1);
  });

  it("scheduled: planned on the first tick, enqueued when due, in the integration's zone", async () => {
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    await db.query("update public.organization_integrations set reconcile_cron = null where org_id <> $1", [
      s.orgId,
    ]);
    expect(nextReconcileAt("0 3 * * *", "Europe/Oslo", new Date("2026-11-30T12:00:00Z")).toISOString()).toBe(
      "2026-12-01T02:00:00.000Z",
    );
    expect(nextReconcileAt("not a cron", "Europe/Oslo", new Date()).getUTCFullYear()).toBe(9999);
    const first = await scheduleReconciliations(db, new Date("2026-11-30T12:00:00Z"));
    expect(first).toEqual({ planned: 2 });
    expect(await scheduleReconciliations(db, new Date("2026-12-01T01:59:00Z"))).toEqual({});
    expect(await scheduleReconciliations(db, new Date("2026-12-01T02:00:10Z"))).toEqual({ enqueued: 2 });
    const { rows } = await db.query<{ integration_type: string; progress: Record<string, unknown> }>(
      "select integration_type, progress from public.sync_run_log where org_id = $1 and kind = 'reconcile' order by integration_type",
      [s.orgId],
    );
    expect(rows.map((r) => [r.integration_type, r.progress.period_start, r.progress.period_end])).toEqual([
      ["dynamics", "2026-11-01", "2026-12-31"],
      ["xledger", "2026-11-01", "2026-12-31"],
    ]);
  });
});
