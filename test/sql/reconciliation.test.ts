// Over 300 lines: the reconciliation contract in SQL, check by check (docs/reconciliation.md).
/**
 * Reconciliation in SQL (supabase/migrations/20261130160000_reconciliation.sql): the RPC's checks in
 * contract order, the shared slot, the 15-minute rate rule, recording findings and totals, the alert,
 * the re-queue and acknowledge actions with their audit, the schedule and the settings key.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import type { ClaimedRun } from "../../src/engine/types.ts";
import { actAs, anon, type Identity, rpc, serviceRole, triggerSync, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { countRows, createScenario } from "../helpers/fixtures.ts";

type Scenario = Awaited<ReturnType<typeof createScenario>>;

const reconcile = (
  db: Db,
  who: Identity,
  org: string | null,
  type: string | null,
  start?: string | null,
  end?: string | null,
) =>
  rpc<string>(db, who, "select public.reconcile_integration($1, $2, $3, $4) as result", [
    org,
    type,
    start ?? null,
    end ?? null,
  ]);

describe.each(testDbKinds())("reconciliation on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let s: Scenario;
  const coordinator = () => user(s.users.coordinator, s.orgId);
  const admin = () => user(s.users.admin, s.orgId);

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    s = await createScenario(db);
  });

  /** Asserts a refusal with the contract's code and status, and that it wrote nothing. */
  async function expectRefusal(
    identity: Identity,
    args: [string | null, string | null, (string | null)?, (string | null)?],
    code: string,
    status: number,
  ) {
    const runs = await countRows(db, "public.sync_run_log");
    const audit = await countRows(db, "public.sync_trigger_audit");
    const { data, error } = await reconcile(db, identity, ...args);
    expect(data).toBeNull();
    expect(error?.body.code).toBe(code);
    expect(error?.status).toBe(status);
    expect(error?.body.message.length).toBeGreaterThan(10);
    expect(await countRows(db, "public.sync_run_log")).toBe(runs);
    expect(await countRows(db, "public.sync_trigger_audit")).toBe(audit);
    return error;
  }

  /** Moves a run to a terminal status the way the engine would. */
  async function finishRun(runId: string) {
    await db.query(
      "update public.sync_run_log set status = 'running', worker_id = 'w', attempt = 1 where id = $1",
      [runId],
    );
    await db.query("update public.sync_run_log set status = 'succeeded', finished_at = now() where id = $1", [
      runId,
    ]);
  }

  describe("reconcile_integration: checks 1–5 as trigger_integration_sync", () => {
    it("refuses anon (401), a viewer (403), another org's session (403)", async () => {
      // Not executable by anon at all (42501, 401); a token without a user is permission_denied 401.
      await expectRefusal(anon, [s.orgId, "xledger"], "42501", 401);
      await expectRefusal(serviceRole, [s.orgId, "xledger"], "42501", 403);
      await expectRefusal(
        { ...coordinator(), claims: { role: "anon" } },
        [s.orgId, "xledger"],
        "permission_denied",
        401,
      );
      await expectRefusal(user(s.users.viewer, s.orgId), [s.orgId, "xledger"], "permission_denied", 403);
      await expectRefusal(user(s.users.peerMentor, s.orgId), [s.orgId, "xledger"], "permission_denied", 403);
      await expectRefusal(
        user(s.users.outsider, s.otherOrgId),
        [s.orgId, "xledger"],
        "org_scope_violation",
        403,
      );
    });
    it("refuses an unknown type (400), a missing integration (404), a disabled one (409)", async () => {
      await expectRefusal(coordinator(), [s.orgId, "sap"], "unknown_integration_type", 400);
      await db.query("delete from public.organization_integrations where id = $1", [s.dynamicsId]);
      await expectRefusal(coordinator(), [s.orgId, "dynamics"], "integration_not_configured", 404);
      await db.query("update public.organization_integrations set enabled = false where id = $1", [
        s.xledgerId,
      ]);
      await expectRefusal(coordinator(), [s.orgId, "xledger"], "integration_disabled", 409);
    });
    it("checks identity before the period: a viewer with a bad period is permission_denied", async () => {
      await expectRefusal(
        user(s.users.viewer, s.orgId),
        [s.orgId, "xledger", "2026-12-01", null],
        "permission_denied",
        403,
      );
    });
  });

  describe("the period", () => {
    it("refuses one bound, start after end, and more than 366 days (invalid_period 400)", async () => {
      const one = await expectRefusal(
        coordinator(),
        [s.orgId, "xledger", "2026-11-01", null],
        "invalid_period",
        400,
      );
      expect(JSON.parse(one?.body.details ?? "{}").reason).toBe("one_bound");
      await expectRefusal(coordinator(), [s.orgId, "xledger", null, "2026-11-30"], "invalid_period", 400);
      const order = await expectRefusal(
        coordinator(),
        [s.orgId, "xledger", "2026-11-30", "2026-11-01"],
        "invalid_period",
        400,
      );
      expect(JSON.parse(order?.body.details ?? "{}").reason).toBe("start_after_end");
      await expectRefusal(
        coordinator(),
        [s.orgId, "xledger", "2025-01-01", "2026-01-02"],
        "invalid_period",
        400,
      );
    });
    it("records a given period, and defaults to last month and this month in the integration's zone", async () => {
      const given = await reconcile(db, coordinator(), s.orgId, "xledger", "2026-10-01", "2026-10-31");
      expect(given.error).toBeNull();
      const { rows } = await db.query<{
        progress: Record<string, unknown>;
        kind: string;
        triggered_by: string;
        triggered_by_user_id: string;
        status: string;
      }>(
        "select progress, kind, triggered_by, triggered_by_user_id, status from public.sync_run_log where id = $1",
        [given.data],
      );
      expect(rows[0]).toEqual({
        progress: {
          period_start: "2026-10-01",
          period_end: "2026-10-31",
          checked: 0,
          findings: 0,
          requests: 0,
        },
        kind: "reconcile",
        triggered_by: "manual",
        triggered_by_user_id: s.users.coordinator,
        status: "pending",
      });
      const audit = await db.query(
        "select action, actor_user_id from public.sync_trigger_audit where run_id = $1",
        [given.data],
      );
      expect(audit.rows).toEqual([{ action: "reconcile", actor_user_id: s.users.coordinator }]);

      // 2026-01-31 23:30 UTC is already February in Oslo (UTC+1): December .. February there.
      const { rows: d } = await db.query<{ period_start: string; period_end: string }>(
        "select period_start::text, period_end::text from sync_engine.default_reconcile_period('Europe/Oslo', '2026-01-31 23:30:00+00')",
      );
      expect(d[0]).toEqual({ period_start: "2026-01-01", period_end: "2026-02-28" });
      const def = await reconcile(db, admin(), s.orgId, "dynamics");
      expect(def.error).toBeNull();
      const { rows: p } = await db.query<{ ok: boolean }>(
        `select (r.progress ->> 'period_start')::date = d.period_start and (r.progress ->> 'period_end')::date = d.period_end as ok
         from public.sync_run_log r, sync_engine.default_reconcile_period('Europe/Oslo') d where r.id = $1`,
        [def.data],
      );
      expect(p[0]?.ok).toBe(true);
    });
  });

  describe("the shared slot and the rate", () => {
    it("a pending reconciliation refuses another (reconciliation_already_in_progress) and a sync (sync_already_in_progress)", async () => {
      const first = await reconcile(db, coordinator(), s.orgId, "xledger");
      const again = await expectRefusal(
        admin(),
        [s.orgId, "xledger"],
        "reconciliation_already_in_progress",
        409,
      );
      expect(JSON.parse(again?.body.details ?? "{}").run_id).toBe(first.data);
      const sync = await triggerSync(db, coordinator(), s.orgId, "xledger");
      expect(sync.error?.body.code).toBe("sync_already_in_progress");
      expect(JSON.parse(sync.error?.body.details ?? "{}").run_id).toBe(first.data);
      // The other integration type has its own slot.
      expect((await reconcile(db, coordinator(), s.orgId, "dynamics")).error).toBeNull();
    });
    it("a pending export refuses a reconciliation with sync_already_in_progress", async () => {
      const sync = await triggerSync(db, coordinator(), s.orgId, "xledger");
      const error = await expectRefusal(coordinator(), [s.orgId, "xledger"], "sync_already_in_progress", 409);
      expect(JSON.parse(error?.body.details ?? "{}").run_id).toBe(sync.data);
    });
    it("one manual reconciliation per 15 minutes (rate_limited 429, Retry-After); a sync's trigger does not count", async () => {
      const sync = await triggerSync(db, coordinator(), s.orgId, "xledger");
      await finishRun(sync.data as string);
      const first = await reconcile(db, coordinator(), s.orgId, "xledger");
      expect(first.error).toBeNull();
      await finishRun(first.data as string);
      const error = await expectRefusal(admin(), [s.orgId, "xledger"], "rate_limited", 429);
      const details = JSON.parse(error?.body.details ?? "{}");
      expect(details.retry_after_seconds).toBeGreaterThan(890);
      expect(details.retry_after_seconds).toBeLessThanOrEqual(900);
      expect(error?.headers["Retry-After"]).toBe(String(details.retry_after_seconds));
      // The audit is append-only; the clock is what moves: 16 minutes later it is allowed.
      await db.exec("alter table public.sync_trigger_audit disable trigger sync_trigger_audit_append_only");
      await db.query(
        "update public.sync_trigger_audit set occurred_at = now() - interval '16 minutes' where run_id = $1",
        [first.data],
      );
      await db.exec("alter table public.sync_trigger_audit enable trigger sync_trigger_audit_append_only");
      expect((await reconcile(db, admin(), s.orgId, "xledger")).error).toBeNull();
    });
  });

  describe("recording a run's outcome, and acting on findings", () => {
    let run: ClaimedRun;
    let entries: string[];

    /** Two exported entries (one voucher) and a held reconcile run for November. */
    beforeEach(async () => {
      // Earlier tests leave pending runs in this database; the claim below must get this one.
      await db.query(
        "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
      );
      const { rows } = await db.query<{ id: string }>(
        `insert into public.ledger_entries (org_id, voucher_number, entry_date, account, amount, approved_at)
         values ($1, 'V1', '2026-11-05', '3000', 100, now()), ($1, 'V1', '2026-11-05', '1920', -100, now())
         returning id`,
        [s.orgId],
      );
      entries = rows.map((r) => r.id);
      await db.query(
        `insert into public.ledger_entry_exports (entry_id, integration_id, org_id, external_id, exported_at)
         select unnest($1::uuid[]), $2, $3, 'ext-' || unnest($1::uuid[]), now() - interval '3 days'`,
        [entries, s.xledgerId, s.orgId],
      );
      const started = await reconcile(db, coordinator(), s.orgId, "xledger", "2026-11-01", "2026-11-30");
      const claimed = await db.query<ClaimedRun>("select * from sync_engine.claim_runs('w-rec', 1, 60)");
      run = claimed.rows[0] as ClaimedRun;
      expect(run.id).toBe(started.data);
      expect(run).toMatchObject({ kind: "reconcile" });
    });

    const record = (findings: unknown[], totals: unknown[] = [], fence = run) =>
      db.query<{ findings: number; open_findings: number }>(
        "select * from sync_engine.record_reconciliation($1, $2, $3, $4, $5, $6, $7)",
        [fence.id, fence.worker_id, fence.attempt, JSON.stringify(findings), JSON.stringify(totals), 2, 3],
      );
    const missing = (id: string) => ({
      ledger_entry_id: id,
      kind: "missing",
      expected: {
        account: "3000",
        amount: "100.00",
        currency: "NOK",
        posting_date: "2026-11-05",
        voucher_number: "V1",
        external_id: `ext-${id}`,
      },
      actual: null,
    });
    const mismatch = (id: string) => ({
      ledger_entry_id: id,
      kind: "amount_mismatch",
      expected: { account: "1920", amount: "-100.00" },
      actual: { account: "1920", amount: "-90.00", state: "journal" },
    });
    const findingIds = async () =>
      (
        await db.query<{ id: string; kind: string; status: string }>(
          "select id, kind, status from public.reconciliation_findings where run_id = $1 order by kind",
          [run.id],
        )
      ).rows;

    it("reads the expected side of the period, fenced", async () => {
      const { rows } = await db.query(
        "select entry_id, amount, external_id from sync_engine.reconcile_expected($1, $2, $3, null, 10)",
        [run.id, run.worker_id, run.attempt],
      );
      expect(rows).toHaveLength(2);
      await expect(
        db.query("select * from sync_engine.reconcile_expected($1, 'someone-else', $2, null, 10)", [
          run.id,
          run.attempt,
        ]),
      ).rejects.toThrow(/run_not_held/);
    });

    it("records findings, totals, progress and one alert with its notification, once", async () => {
      await db.query(
        `insert into public.notification_targets (org_id, name, url) values ($1, 'hook', 'https://hook.example/x')`,
        [s.orgId],
      );
      const totals = [
        {
          period_month: "2026-11-01",
          account: "1920",
          currency: "NOK",
          our_total: "-100.00",
          their_total: "-90.00",
          our_entries: 1,
          their_entries: 1,
        },
      ];
      const { rows } = await record([missing(entries[0] as string), mismatch(entries[1] as string)], totals);
      expect(rows[0]).toEqual({ findings: 2, open_findings: 2 });
      expect(await countRows(db, "public.reconciliation_totals", "run_id = $1", [run.id])).toBe(1);
      const alerts = await db.query<{ kind: string; message: string; details: { open: number } }>(
        "select kind, message, details from public.sync_alerts where run_id = $1",
        [run.id],
      );
      expect(alerts.rows).toHaveLength(1);
      expect(alerts.rows[0]?.details.open).toBe(2);
      expect(alerts.rows[0]?.message).toMatch(
        /^2 differences between our exports and Xledger for 2026-11-01 – 2026-11-30/,
      );
      expect(
        await countRows(
          db,
          "public.notification_deliveries",
          "event = 'reconciliation_differences' and org_id = $1",
          [s.orgId],
        ),
      ).toBe(1);
      // A second call (a retried attempt after a crash before complete) records nothing twice.
      const again = await record([missing(entries[0] as string)]);
      expect(again.rows[0]).toEqual({ findings: 2, open_findings: 2 });
      expect(await countRows(db, "public.reconciliation_findings", "run_id = $1", [run.id])).toBe(2);
      expect(await countRows(db, "public.sync_alerts", "run_id = $1", [run.id])).toBe(1);
      const { rows: progress } = await db.query<{ progress: Record<string, unknown> }>(
        "select progress from public.sync_run_log where id = $1",
        [run.id],
      );
      expect(progress[0]?.progress).toMatchObject({ checked: 2, findings: 2, requests: 3 });
      await expect(record([], [], { ...run, attempt: run.attempt + 1 })).rejects.toThrow(/run_not_held/);
      // Live progress is fenced, and a no-op once the outcome is recorded.
      await db.query("select sync_engine.reconcile_progress($1, $2, $3, 99, 99)", [
        run.id,
        run.worker_id,
        run.attempt,
      ]);
      const { rows: after } = await db.query<{ progress: Record<string, unknown> }>(
        "select progress from public.sync_run_log where id = $1",
        [run.id],
      );
      expect(after[0]?.progress).toMatchObject({ requests: 3 });
      await expect(
        db.query("select sync_engine.reconcile_progress($1, 'other', $2, 1, 1)", [run.id, run.attempt]),
      ).rejects.toThrow(/run_not_held/);
    });

    it("a clean run records no finding and raises no alert; odd totals are folded, not refused", async () => {
      // What the system reports is folded where the columns need it: a blank account, a non-ISO currency.
      const odd = [
        {
          period_month: "2026-11-01",
          account: "",
          currency: "nok",
          our_total: "0",
          their_total: "5.00",
          our_entries: 0,
          their_entries: 1,
        },
        {
          period_month: "2026-11-01",
          account: " ",
          currency: null,
          our_total: "0",
          their_total: "2.50",
          our_entries: 0,
          their_entries: 1,
        },
      ];
      const clean = await record([], odd);
      expect(clean.rows[0]).toEqual({ findings: 0, open_findings: 0 });
      const totals = await db.query(
        "select account, currency, their_total::text, their_entries from public.reconciliation_totals where run_id = $1",
        [run.id],
      );
      expect(totals.rows).toEqual([
        { account: "(none)", currency: "", their_total: "7.50", their_entries: 2 },
      ]);
      expect(await countRows(db, "public.sync_alerts", "run_id = $1", [run.id])).toBe(0);
    });

    it("an extra whose reference is not one of this org's entries is kept without a link", async () => {
      const { rows: theirs } = await db.query<{ id: string }>(
        "insert into public.ledger_entries (org_id, account, amount) values ($1, '3000', 1) returning id",
        [s.otherOrgId],
      );
      const actual = {
        account: "3000",
        amount: "1.00",
        currency: "NOK",
        posting_date: "2026-11-02",
        external_id: "x9",
        state: "posted",
      };
      await record([
        { ledger_entry_id: theirs[0]?.id, kind: "extra", expected: null, actual },
        { ledger_entry_id: entries[0], kind: "extra", expected: null, actual },
      ]);
      const { rows } = await db.query(
        "select ledger_entry_id from public.reconciliation_findings where run_id = $1 order by ledger_entry_id nulls first",
        [run.id],
      );
      expect(rows).toEqual([{ ledger_entry_id: null }, { ledger_entry_id: entries[0] }]);
    });

    it("drops a missing finding whose export row was re-queued while the run read", async () => {
      await db.query("delete from public.ledger_entry_exports where entry_id = $1", [entries[0]]);
      const { rows } = await record([missing(entries[0] as string)]);
      expect(rows[0]).toEqual({ findings: 0, open_findings: 0 });
    });

    it("requeue: codes, the exactly-once path, siblings closed, audited", async () => {
      await record([missing(entries[0] as string), mismatch(entries[1] as string)]);
      const [mis, amt] = (await findingIds()).sort((a, b) => a.kind.localeCompare(b.kind)).reverse();
      expect(mis?.kind).toBe("missing");
      const requeue = (who: Identity, org: string, id: string) =>
        rpc<null>(db, who, "select public.requeue_reconciliation_finding($1, $2) as result", [org, id]);
      expect((await requeue(anon, s.orgId, mis?.id as string)).error?.body.code).toBe("42501");
      expect(
        (await requeue(user(s.users.viewer, s.orgId), s.orgId, mis?.id as string)).error?.body.code,
      ).toBe("permission_denied");
      const foreign = await requeue(user(s.users.outsider, s.otherOrgId), s.otherOrgId, mis?.id as string);
      expect(foreign.error?.body.code).toBe("finding_not_found");
      expect(foreign.error?.status).toBe(404);
      const wrongKind = await requeue(coordinator(), s.orgId, amt?.id as string);
      expect(wrongKind.error?.body.code).toBe("finding_not_requeueable");
      expect(wrongKind.error?.status).toBe(409);
      expect(await countRows(db, "public.reconciliation_audit", "org_id = $1", [s.orgId])).toBe(0);

      // An older run's open finding of the same entry is closed with it.
      const { rows: older } = await db.query<{ id: string }>(
        `insert into public.reconciliation_findings (run_id, org_id, integration_id, integration_type, ledger_entry_id, kind, expected)
         select run_id, org_id, integration_id, integration_type, ledger_entry_id, kind, expected
         from public.reconciliation_findings where id = $1 returning id`,
        [mis?.id],
      );
      expect((await requeue(coordinator(), s.orgId, mis?.id as string)).error).toBeNull();
      expect(await countRows(db, "public.ledger_entry_exports", "entry_id = $1", [entries[0]])).toBe(0);
      const marker = await db.query<{ early: boolean }>(
        "select first_marked_at < now() - interval '2 days' as early from sync_engine.export_in_flight where entry_id = $1",
        [entries[0]],
      );
      expect(marker.rows).toEqual([{ early: true }]);
      const statuses = await db.query<{ status: string }>(
        "select status from public.reconciliation_findings where id = any ($1::uuid[])",
        [[mis?.id, older[0]?.id]],
      );
      expect(statuses.rows.map((r) => r.status)).toEqual(["requeued", "requeued"]);
      const audit = await db.query(
        "select action, actor_user_id from public.reconciliation_audit where org_id = $1 order by id",
        [s.orgId],
      );
      expect(audit.rows).toEqual([
        { action: "requeue", actor_user_id: s.users.coordinator },
        { action: "requeue", actor_user_id: s.users.coordinator },
      ]);
      const twice = await requeue(admin(), s.orgId, mis?.id as string);
      expect(twice.error?.body.code).toBe("finding_not_open");
      expect(twice.error?.status).toBe(409);

      // The next export run gets the re-queued line (its voucher was exported: not "amended"), marked
      // in flight so it is looked up before it is sent.
      await db.query("select sync_engine.complete_runs($1, array[$2::uuid], array[$3::int])", [
        run.worker_id,
        run.id,
        run.attempt,
      ]);
      await db.query("select * from sync_engine.enqueue_run($1, 'scheduled')", [s.xledgerId]);
      const exp = await db.query<ClaimedRun>("select * from sync_engine.claim_runs('w-exp', 1, 60)");
      const e = exp.rows[0] as ClaimedRun;
      const batch = await db.query<{ entry_id: string; in_flight: boolean }>(
        "select entry_id, in_flight from sync_engine.next_export_batch($1, $2, $3, null, 100)",
        [e.id, e.worker_id, e.attempt],
      );
      expect(batch.rows).toEqual([{ entry_id: entries[0], in_flight: true }]);
      expect(await countRows(db, "public.export_rejections", "integration_id = $1", [s.xledgerId])).toBe(0);
    });

    it("acknowledge: note required, missing refused, audited; the same difference later is recorded acknowledged", async () => {
      await record([missing(entries[0] as string), mismatch(entries[1] as string)]);
      const all = await findingIds();
      const amt = all.find((f) => f.kind === "amount_mismatch");
      const mis = all.find((f) => f.kind === "missing");
      const ack = (who: Identity, id: string, note: string | null) =>
        rpc<null>(db, who, "select public.acknowledge_reconciliation_finding($1, $2, $3) as result", [
          s.orgId,
          id,
          note,
        ]);
      for (const note of [null, "", "   ", "x".repeat(501)]) {
        const r = await ack(coordinator(), amt?.id as string, note);
        expect(r.error?.body.code).toBe("invalid_note");
        expect(r.error?.status).toBe(400);
      }
      expect((await ack(coordinator(), mis?.id as string, "gone on purpose")).error?.body.code).toBe(
        "finding_not_acknowledgeable",
      );
      expect(await countRows(db, "public.reconciliation_audit", "org_id = $1", [s.orgId])).toBe(0);
      expect(
        (await ack(coordinator(), amt?.id as string, "  Corrected by the accountant in December.  ")).error,
      ).toBeNull();
      const { rows } = await db.query(
        "select status, note, acted_by from public.reconciliation_findings where id = $1",
        [amt?.id],
      );
      expect(rows[0]).toEqual({
        status: "acknowledged",
        note: "Corrected by the accountant in December.",
        acted_by: s.users.coordinator,
      });
      const audit = await db.query(
        "select action, note, finding_id from public.reconciliation_audit where org_id = $1",
        [s.orgId],
      );
      expect(audit.rows).toEqual([
        { action: "acknowledge", note: "Corrected by the accountant in December.", finding_id: amt?.id },
      ]);
      expect((await ack(admin(), amt?.id as string, "again")).error?.body.code).toBe("finding_not_open");
      await expect(db.query("delete from public.reconciliation_audit")).rejects.toThrow(/append-only/);

      // The next reconciliation sees the same difference: recorded acknowledged, no alert for it.
      await db.query("select sync_engine.complete_runs($1, array[$2::uuid], array[$3::int])", [
        run.worker_id,
        run.id,
        run.attempt,
      ]);
      const next = await db.query<{ run_id: string }>(
        `select sync_engine.insert_reconcile_run(i, 'scheduled', null, '2026-11-01', '2026-11-30') as run_id
         from public.organization_integrations i where i.id = $1`,
        [s.xledgerId],
      );
      const claimed = await db.query<ClaimedRun>("select * from sync_engine.claim_runs('w-rec2', 1, 60)");
      const run2 = claimed.rows[0] as ClaimedRun;
      expect(run2.id).toBe(next.rows[0]?.run_id);
      const r2 = await record([mismatch(entries[1] as string)], [], run2);
      expect(r2.rows[0]).toEqual({ findings: 1, open_findings: 0 });
      expect(await countRows(db, "public.sync_alerts", "run_id = $1", [run2.id])).toBe(0);
    });

    it("readers: admins and coordinators of the org; not viewers, not other orgs", async () => {
      await record(
        [missing(entries[0] as string)],
        [
          {
            period_month: "2026-11-01",
            account: "3000",
            currency: "NOK",
            our_total: "100.00",
            their_total: "0",
            our_entries: 1,
            their_entries: 0,
          },
        ],
      );
      const mis = (await findingIds())[0];
      await rpc(db, coordinator(), "select public.requeue_reconciliation_finding($1, $2) as result", [
        s.orgId,
        mis?.id,
      ]);
      const seen = async (who: Identity) =>
        actAs(db, who, async (tx) => {
          const n = async (table: string) =>
            Number(
              (await tx.query<{ n: number }>(`select count(*)::int as n from public.${table}`)).rows[0]?.n,
            );
          return [
            await n("reconciliation_findings"),
            await n("reconciliation_totals"),
            await n("reconciliation_audit"),
          ];
        });
      expect(await seen(coordinator())).toEqual([1, 1, 1]);
      expect(await seen(admin())).toEqual([1, 1, 1]);
      expect(await seen(user(s.users.viewer, s.orgId))).toEqual([0, 0, 0]);
      expect(await seen(user(s.users.outsider, s.otherOrgId))).toEqual([0, 0, 0]);
    });
  });

  describe("the schedule and its setting", () => {
    const due = async (now: string) =>
      (
        await db.query<{ integration_id: string; next_reconcile_at: Date | null }>(
          "select * from sync_engine.due_reconciliations($1, 1000) where integration_id = any ($2::uuid[])",
          [now, [s.xledgerId, s.dynamicsId]],
        )
      ).rows;
    const plan = (now: string, ids: string[], expected: (string | Date | null)[], next: string[]) =>
      db.query<{ integration_id: string; run_id: string | null; outcome: string }>(
        "select * from sync_engine.schedule_due_reconciliations($1, $2, $3, $4)",
        [now, ids, expected, next],
      );

    it("plans a new schedule, enqueues when due, waits while busy, never twice for one time", async () => {
      expect((await due("2026-12-01T00:00:00Z")).map((r) => r.integration_id).sort()).toEqual(
        [s.xledgerId, s.dynamicsId].sort(),
      );
      const planned = await plan("2026-12-01T00:00:00Z", [s.xledgerId], [null], ["2026-12-01T02:00:00Z"]);
      expect(planned.rows[0]?.outcome).toBe("planned");
      expect((await due("2026-12-01T01:00:00Z")).map((r) => r.integration_id)).toEqual([s.dynamicsId]);

      // Busy: an export holds the slot; next_reconcile_at stays, so a later tick tries again.
      const sync = await triggerSync(db, coordinator(), s.orgId, "xledger");
      const busy = await plan(
        "2026-12-01T02:00:05Z",
        [s.xledgerId],
        ["2026-12-01T02:00:00Z"],
        ["2026-12-02T02:00:00Z"],
      );
      expect(busy.rows[0]).toMatchObject({ outcome: "busy", run_id: sync.data });
      await finishRun(sync.data as string);
      const ok = await plan(
        "2026-12-01T02:00:20Z",
        [s.xledgerId],
        ["2026-12-01T02:00:00Z"],
        ["2026-12-02T02:00:00Z"],
      );
      expect(ok.rows[0]?.outcome).toBe("enqueued");
      const { rows } = await db.query(
        "select kind, triggered_by, scheduled_for, progress from public.sync_run_log where id = $1",
        [ok.rows[0]?.run_id],
      );
      expect(rows[0]).toEqual({
        kind: "reconcile",
        triggered_by: "scheduled",
        scheduled_for: new Date("2026-12-01T02:00:00Z"),
        progress: {
          period_start: "2026-11-01",
          period_end: "2026-12-31",
          checked: 0,
          findings: 0,
          requests: 0,
        },
      });
      // A repeated tick with the old expectation is stale (another worker moved it already).
      const stale = await plan(
        "2026-12-01T02:00:30Z",
        [s.xledgerId],
        ["2026-12-01T02:00:00Z"],
        ["2026-12-02T02:00:00Z"],
      );
      expect(stale.rows[0]?.outcome).toBe("stale");
      expect(
        await countRows(db, "public.sync_run_log", "integration_id = $1 and kind = 'reconcile'", [
          s.xledgerId,
        ]),
      ).toBe(1);
    });

    it("configure_integration sets reconcile_cron (null turns it off, a bad cron is invalid_schedule) and resets the plan", async () => {
      await db.query("update public.organization_integrations set next_reconcile_at = now() where id = $1", [
        s.xledgerId,
      ]);
      const configure = (settings: unknown) =>
        rpc<{ reconcile_cron: string | null; next_reconcile_at: string | null }>(
          db,
          admin(),
          "select public.configure_integration($1, 'xledger', $2) as result",
          [s.orgId, JSON.stringify(settings)],
        );
      const set = await configure({ reconcile_cron: "30 4 * * 1-5" });
      expect(set.error).toBeNull();
      expect(set.data).toMatchObject({ reconcile_cron: "30 4 * * 1-5", next_reconcile_at: null });
      const bad = await configure({ reconcile_cron: "every night" });
      expect(bad.error?.body.code).toBe("invalid_schedule");
      const wrongType = await configure({ reconcile_cron: 3 });
      expect(wrongType.error?.body.code).toBe("invalid_settings");
      const off = await configure({ reconcile_cron: null });
      expect(off.data).toMatchObject({ reconcile_cron: null });
      expect((await due("2030-01-01T00:00:00Z")).map((r) => r.integration_id)).toEqual([s.dynamicsId]);
    });
  });

  it("a failed reconciliation is notified as one (run_failed, kind in the data)", async () => {
    await db.query(
      "insert into public.notification_targets (org_id, name, url) values ($1, 'hook', 'https://hook.example/r')",
      [s.orgId],
    );
    const { data: runId } = await reconcile(db, coordinator(), s.orgId, "dynamics");
    await db.query(
      "update public.sync_run_log set status = 'running', worker_id = 'w', attempt = 1 where id = $1",
      [runId],
    );
    await db.query(
      "update public.sync_run_log set status = 'failed', error_code = 'budget_exhausted', finished_at = now() where id = $1",
      [runId],
    );
    const { rows } = await db.query<{ payload: { text: string; data: { kind: string } } }>(
      "select payload from public.notification_deliveries where org_id = $1 and event = 'run_failed'",
      [s.orgId],
    );
    expect(rows.map((r) => [r.payload.text, r.payload.data.kind])).toEqual([
      ["dynamics reconciliation failed after attempt 1 of 5: budget_exhausted", "reconcile"],
    ]);
  });

  it("counts reconcile requests in the tally; refuses unknown purposes", async () => {
    await db.query(`select sync_engine.count_api_requests($1, '{"reconcile": 7}')`, [s.xledgerId]);
    expect(
      await countRows(
        db,
        "public.api_request_tally",
        "integration_id = $1 and purpose = 'reconcile' and requests = 7",
        [s.xledgerId],
      ),
    ).toBe(1);
    await expect(
      db.query(`select sync_engine.count_api_requests($1, '{"read": 1}')`, [s.xledgerId]),
    ).rejects.toThrow(/invalid_request_counts/);
  });
});

// PGlite has one connection: the races need PostgreSQL (CI sets DATABASE_URL).
describe.runIf(testDbKinds().includes("postgres"))("reconciliation races on PostgreSQL", () => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await openTestDb("postgres", 30);
    db = t.db;
  });
  afterAll(() => t.close());

  it("20 simultaneous reconcile_integration calls create one run; the others are told which", async () => {
    const s = await createScenario(db);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        reconcile(db, user(i % 2 ? s.users.admin : s.users.coordinator, s.orgId), s.orgId, "dynamics"),
      ),
    );
    const ok = results.filter((r) => r.error === null);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((x) => x.error !== null)) {
      expect(r.error?.body.code).toBe("reconciliation_already_in_progress");
      expect(JSON.parse(r.error?.body.details ?? "{}")).toEqual({ run_id: ok[0]?.data });
    }
    expect(await countRows(db, "public.sync_run_log", "org_id = $1", [s.orgId])).toBe(1);
    expect(await countRows(db, "public.sync_trigger_audit", "org_id = $1", [s.orgId])).toBe(1);
  });

  it("10 simultaneous re-queues of one finding: one succeeds, one audit row, one marker", async () => {
    const s = await createScenario(db);
    const { rows } = await db.query<{ id: string }>(
      `insert into public.ledger_entries (org_id, voucher_number, account, amount, approved_at)
       values ($1, 'R1', '3000', 0, now()) returning id`,
      [s.orgId],
    );
    const entryId = rows[0]?.id as string;
    await db.query(
      "insert into public.ledger_entry_exports (entry_id, integration_id, org_id, external_id) values ($1, $2, $3, 'ext-r1')",
      [entryId, s.xledgerId, s.orgId],
    );
    const run = await db.query<{ id: string }>(
      `select sync_engine.insert_reconcile_run(i, 'scheduled', null, '2026-11-01', '2026-11-30') as id
       from public.organization_integrations i where i.id = $1`,
      [s.xledgerId],
    );
    const finding = await db.query<{ id: string }>(
      `insert into public.reconciliation_findings (run_id, org_id, integration_id, integration_type, ledger_entry_id, kind, expected)
       values ($1, $2, $3, 'xledger', $4, 'missing', '{"external_id":"ext-r1"}') returning id`,
      [run.rows[0]?.id, s.orgId, s.xledgerId, entryId],
    );
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        rpc(
          db,
          user(s.users.coordinator, s.orgId),
          "select public.requeue_reconciliation_finding($1, $2) as result",
          [s.orgId, finding.rows[0]?.id],
        ),
      ),
    );
    expect(results.filter((r) => r.error === null)).toHaveLength(1);
    expect(results.filter((r) => r.error?.body.code === "finding_not_open")).toHaveLength(9);
    expect(await countRows(db, "public.reconciliation_audit", "org_id = $1", [s.orgId])).toBe(1);
    expect(await countRows(db, "public.ledger_entry_exports", "entry_id = $1", [entryId])).toBe(0);
    expect(await countRows(db, "sync_engine.export_in_flight", "entry_id = $1", [entryId])).toBe(1);
  });
});
