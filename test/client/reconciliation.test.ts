import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconciliationCsv, type SyncError, SyncSchedulerRepository } from "../../src/client/index.ts";
import { DEMO, type GatewayHarness, openGatewayHarness } from "../gateway/harness.ts";
import { testDbKinds } from "../helpers/db.ts";
import { ClientPool, type RecordedRequest, recordingFetch } from "./clients.ts";

async function rejection(promise: Promise<unknown>): Promise<SyncError> {
  try {
    const value = await promise;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (error) {
    return error as SyncError;
  }
}

const DYNAMICS_ID = "e0000000-0000-4000-8000-000000000002";

// The SDK's reconciliation calls against the real gateway and migrations: no worker runs, so the
// engine's part (claim, record the outcome) is played by the engine's own SQL functions.
describe.each(testDbKinds())("reconciliation through the SDK on %s", (kind) => {
  let h: GatewayHarness;
  let pool: ClientPool;
  let coordinator: SyncSchedulerRepository;
  let viewer: SyncSchedulerRepository;
  const requests: RecordedRequest[] = [];

  beforeAll(async () => {
    h = await openGatewayHarness(kind);
    pool = new ClientPool(h.gw.url, h.gw.anonKey);
    coordinator = new SyncSchedulerRepository(
      await pool.signedIn(DEMO.coordinator, { fetch: recordingFetch(requests) }),
    );
    viewer = new SyncSchedulerRepository(await pool.signedIn(DEMO.viewer));
  });
  afterAll(async () => {
    await pool?.close();
    await h?.close();
  });

  it("starts a reconciliation with the period by name, and maps its refusals to typed errors in both locales", async () => {
    const one = await rejection(
      coordinator.reconcileIntegration(DEMO.orgId, "dynamics", { periodStart: "2026-11-01" }),
    );
    expect(one).toMatchObject({ code: "invalid_period", status: 400 });
    expect(one.userMessage("en")).toContain("give both a start and an end date");
    const backwards = await rejection(
      coordinator.reconcileIntegration(DEMO.orgId, "dynamics", {
        periodStart: "2026-11-30",
        periodEnd: "2026-11-01",
      }),
    );
    expect(backwards.userMessage("nb")).toBe("Perioden er ikke gyldig: startdatoen er etter sluttdatoen.");
    const denied = await rejection(viewer.reconcileIntegration(DEMO.orgId, "dynamics"));
    expect(denied).toMatchObject({ code: "permission_denied", status: 403 });
    expect(denied.userMessage("en")).toContain("start a reconciliation");

    requests.length = 0;
    const runId = await coordinator.reconcileIntegration(DEMO.orgId, "dynamics", {
      periodStart: "2026-11-01",
      periodEnd: "2026-11-30",
    });
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(requests.map((r) => [r.url.pathname, r.body])).toEqual([
      [
        "/rest/v1/rpc/reconcile_integration",
        {
          org_id: DEMO.orgId,
          integration_type: "dynamics",
          period_start: "2026-11-01",
          period_end: "2026-11-30",
        },
      ],
    ]);
    const busy = await rejection(coordinator.reconcileIntegration(DEMO.orgId, "dynamics"));
    expect(busy).toMatchObject({ code: "reconciliation_already_in_progress", status: 409 });
    expect(busy.details.activeRunId).toBe(runId);
    // The slot is shared: the export trigger is refused while the reconciliation is pending.
    const sync = await rejection(coordinator.triggerManualSync(DEMO.orgId, "dynamics"));
    expect(sync).toMatchObject({ code: "sync_already_in_progress" });

    const [listed] = await coordinator.listReconciliations(DEMO.orgId, { integrationType: "dynamics" });
    expect(listed).toMatchObject({ periodStart: "2026-11-01", periodEnd: "2026-11-30", findings: 0 });
    expect(listed?.run).toMatchObject({
      id: runId,
      kind: "reconcile",
      status: "pending",
      triggeredBy: "manual",
    });
    // Export runs are not reconciliations.
    expect((await coordinator.listRuns(DEMO.orgId)).find((r) => r.id === runId)?.kind).toBe("reconcile");

    expect(await coordinator.cancelRun(runId)).toBe("cancelled");
    const limited = await rejection(coordinator.reconcileIntegration(DEMO.orgId, "dynamics"));
    expect(limited).toMatchObject({ code: "rate_limited", status: 429 });
    expect(limited.details.retryAfterSeconds).toBeGreaterThan(14 * 60);
    expect(limited.userMessage("en")).toBe(
      "A reconciliation of this integration was started less than 15 minutes ago. Try again in 15 minutes.",
    );
  });

  it("lists a run's findings and totals, re-queues the missing entry, acknowledges the other with a note, and builds the CSV", async () => {
    const db = h.t.db;
    // Two exported lines of one voucher, and a reconciliation run the engine holds (scheduled: the
    // manual rate limit belongs to the test above).
    const { rows: entries } = await db.query<{ id: string }>(
      `insert into public.ledger_entries (org_id, voucher_number, entry_date, account, amount, approved_at)
       values ($1, 'REC-1', '2026-11-05', '6300', 250, now()), ($1, 'REC-1', '2026-11-05', '3000', -250, now())
       returning id`,
      [DEMO.orgId],
    );
    const [a, b] = entries.map((e) => e.id);
    await db.query(
      `insert into public.ledger_entry_exports (entry_id, integration_id, org_id, external_id, exported_at)
       select unnest($1::uuid[]), $2, $3, 'ext-' || unnest($1::uuid[]), now()`,
      [[a, b], DYNAMICS_ID, DEMO.orgId],
    );
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    await db.query(
      `insert into public.sync_run_log (org_id, integration_id, integration_type, kind, triggered_by, scheduled_for, progress)
       values ($1, $2, 'dynamics', 'reconcile', 'scheduled', now(), '{"period_start":"2026-10-01","period_end":"2026-11-30"}')`,
      [DEMO.orgId, DYNAMICS_ID],
    );
    const { rows: claimed } = await db.query<{ id: string; worker_id: string; attempt: number }>(
      "select id, worker_id, attempt from sync_engine.claim_runs('w-ui', 1, 60)",
    );
    const run = claimed[0];
    if (!run) throw new Error("no run claimed");
    const findings = [
      {
        ledger_entry_id: a,
        kind: "missing",
        expected: {
          account: "6300",
          amount: "250.00",
          currency: "NOK",
          posting_date: "2026-11-05",
          voucher_number: "REC-1",
          external_id: `ext-${a}`,
        },
        actual: null,
      },
      {
        ledger_entry_id: b,
        kind: "amount_mismatch",
        expected: {
          account: "3000",
          amount: "-250.00",
          currency: "NOK",
          posting_date: "2026-11-05",
          voucher_number: "REC-1",
        },
        actual: { account: "3000", amount: "-240.00", posting_date: "2026-11-05", state: "journal" },
      },
    ];
    const totals = [
      {
        period_month: "2026-11-01",
        account: "6300",
        currency: "NOK",
        our_total: "250.00",
        their_total: "0",
        our_entries: 1,
        their_entries: 0,
      },
      {
        period_month: "2026-11-01",
        account: "3000",
        currency: "NOK",
        our_total: "-250.00",
        their_total: "-240.00",
        our_entries: 1,
        their_entries: 1,
      },
    ];
    await db.query("select * from sync_engine.record_reconciliation($1, $2, $3, $4, $5, 2, 4)", [
      run.id,
      run.worker_id,
      run.attempt,
      JSON.stringify(findings),
      JSON.stringify(totals),
    ]);
    await db.query("update public.sync_run_log set status = 'succeeded', finished_at = now() where id = $1", [
      run.id,
    ]);

    const [latest] = await coordinator.listReconciliations(DEMO.orgId, {
      integrationType: "dynamics",
      limit: 1,
    });
    expect(latest).toMatchObject({ checked: 2, findings: 2, requests: 4, periodStart: "2026-10-01" });
    expect(latest?.run.status).toBe("succeeded");
    const listed = await coordinator.listReconciliationFindings(DEMO.orgId, { runId: run.id });
    expect(listed.map((f) => [f.kind, f.status, f.ledgerEntryId]).sort()).toEqual([
      ["amount_mismatch", "open", b],
      ["missing", "open", a],
    ]);
    const mismatch = listed.find((f) => f.kind === "amount_mismatch");
    expect(mismatch?.actual).toMatchObject({ amount: "-240.00", account: "3000", state: "journal" });
    const sums = await coordinator.listReconciliationTotals(DEMO.orgId, { runId: run.id });
    expect(sums.map((t) => [t.account, t.ourTotal, t.theirTotal])).toEqual([
      ["3000", "-250.00", "-240.00"],
      ["6300", "250.00", "0.00"],
    ]);
    expect(reconciliationCsv(sums, listed).split("\r\n").slice(1, 3)).toEqual([
      "2026-11,3000,NOK,-250.00,-240.00,-10.00,1,1,1 amount_mismatch",
      "2026-11,6300,NOK,250.00,0.00,250.00,1,0,1 missing",
    ]);
    // A viewer reads none of it (RLS: admins and coordinators).
    expect(await viewer.listReconciliationFindings(DEMO.orgId)).toEqual([]);
    expect(await viewer.listReconciliationTotals(DEMO.orgId)).toEqual([]);

    const missingId = listed.find((f) => f.kind === "missing")?.id ?? "";
    const mismatchId = mismatch?.id ?? "";
    const wrongAction = await rejection(coordinator.requeueReconciliationFinding(DEMO.orgId, mismatchId));
    expect(wrongAction).toMatchObject({ code: "finding_not_requeueable", status: 409 });
    const noNote = await rejection(coordinator.acknowledgeReconciliationFinding(DEMO.orgId, mismatchId, ""));
    expect(noNote).toMatchObject({ code: "invalid_note", status: 400 });
    expect(noNote.userMessage("nb")).toBe("Skriv en merknad på 1 til 500 tegn.");
    const ackMissing = await rejection(
      coordinator.acknowledgeReconciliationFinding(DEMO.orgId, missingId, "seen"),
    );
    expect(ackMissing).toMatchObject({ code: "finding_not_acknowledgeable", status: 409 });
    expect(ackMissing.userMessage("en")).toContain("re-queue it");
    const viewerDenied = await rejection(viewer.requeueReconciliationFinding(DEMO.orgId, missingId));
    expect(viewerDenied).toMatchObject({ code: "permission_denied", status: 403 });
    expect(viewerDenied.userMessage("en")).toContain("act on reconciliation findings");
    const unknown = await rejection(
      coordinator.requeueReconciliationFinding(DEMO.orgId, "00000000-0000-4000-8000-000000000000"),
    );
    expect(unknown).toMatchObject({ code: "finding_not_found", status: 404 });

    await coordinator.requeueReconciliationFinding(DEMO.orgId, missingId);
    await coordinator.acknowledgeReconciliationFinding(
      DEMO.orgId,
      mismatchId,
      "Credit note keyed by hand in BC",
    );
    const again = await rejection(coordinator.requeueReconciliationFinding(DEMO.orgId, missingId));
    expect(again).toMatchObject({ code: "finding_not_open", status: 409 });
    const after = await coordinator.listReconciliationFindings(DEMO.orgId, { runId: run.id });
    expect(after.map((f) => [f.kind, f.status, f.note]).sort()).toEqual([
      ["amount_mismatch", "acknowledged", "Credit note keyed by hand in BC"],
      ["missing", "requeued", null],
    ]);
    expect(
      await coordinator.listReconciliationFindings(DEMO.orgId, { runId: run.id, status: "open" }),
    ).toEqual([]);
    // The re-queue went through the exactly-once path: the entry's export record is gone, so the
    // next export run looks it up and sends it only if still missing.
    const { rows: exported } = await db.query<{ entry_id: string }>(
      "select entry_id from public.ledger_entry_exports where integration_id = $1 and entry_id = any($2::uuid[])",
      [DYNAMICS_ID, [a, b]],
    );
    expect(exported.map((r) => r.entry_id)).toEqual([b]);

    // Past PostgREST's 1,000-row cap: 1,005 more accounts come back whole, in two pages.
    await db.query(
      `insert into public.reconciliation_totals (run_id, org_id, integration_type, period_month, account, currency, our_total, their_total, our_entries, their_entries)
       select $1, $2, 'dynamics', date '2026-12-01', (1000 + n)::text, 'NOK', n, n, 1, 1 from generate_series(1, 1005) n`,
      [run.id, DEMO.orgId],
    );
    requests.length = 0;
    const many = await coordinator.listReconciliationTotals(DEMO.orgId, { runId: run.id });
    expect(many).toHaveLength(1007);
    expect(new Set(many.map((t) => `${t.periodMonth}/${t.account}`)).size).toBe(1007);
    expect(requests.filter((r) => r.url.pathname === "/rest/v1/reconciliation_totals")).toHaveLength(2);
  });

  it("saves the reconcile schedule through configure_integration and reads it back", async () => {
    const { IntegrationAdminRepository } = await import("../../src/client/index.ts");
    const admin = new IntegrationAdminRepository(await pool.signedIn(DEMO.admin));
    const saved = await admin.configureIntegration(DEMO.orgId, "xledger", { reconcileCron: "15 4 * * 1" });
    expect(saved.reconcileCron).toBe("15 4 * * 1");
    const off = await admin.configureIntegration(DEMO.orgId, "xledger", { reconcileCron: null });
    expect(off.reconcileCron).toBeNull();
    const bad = await rejection(
      admin.configureIntegration(DEMO.orgId, "xledger", { reconcileCron: "every day" }),
    );
    expect(bad.code).toBe("invalid_schedule");
    const [xledger] = (await coordinator.listIntegrations(DEMO.orgId)).filter(
      (i) => i.integrationType === "xledger",
    );
    expect(xledger?.reconcileCron).toBeNull();
  });
});
