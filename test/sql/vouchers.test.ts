/**
 * Vouchers and rejected vouchers in SQL (supabase/migrations/20261130110000_vouchers.sql): which vouchers
 * a run gets, which it sets aside before sending, and the coordinators' re-queue and skip.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import type { ClaimedRun } from "../../src/engine/types.ts";
import { actAs, anon, rpc, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { claim, enqueue, runRow } from "../helpers/exports.ts";
import { addIntegration, addMember, countRows, createOrg, createUser } from "../helpers/fixtures.ts";

describe.each(testDbKinds())("vouchers on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let orgId: string;
  let otherOrgId: string;
  let integrationId: string;
  let run: ClaimedRun;
  const people = { coordinator: "", admin: "", viewer: "", outsider: "" };

  /** Inserts lines `[voucher, amount, currency?, approved?]`; returns their ids in order. */
  const lines = async (rows: [string | null, number, string?, boolean?][], org = orgId) => {
    const ids: string[] = [];
    for (const [voucher, amount, currency, approved] of rows) {
      const { rows: r } = await db.query<{ id: string }>(
        `insert into public.ledger_entries (org_id, voucher_number, account, amount, currency, approved_at)
         values ($1, $2, '3000', $3, $4, case when $5 then now() end) returning id`,
        [org, voucher, amount, currency ?? "NOK", approved ?? true],
      );
      ids.push(r[0]?.id as string);
    }
    return ids;
  };
  const batch = async (limit = 100) =>
    (
      await db.query<{ entry_id: string; voucher_number: string }>(
        "select * from sync_engine.next_export_batch($1, $2, $3, null, $4)",
        [run.id, run.worker_id, run.attempt, limit],
      )
    ).rows;
  const rejections = async () =>
    (
      await db.query<{
        id: string;
        voucher_number: string;
        error_code: string;
        status: string;
        lines: number;
      }>(
        "select id, voucher_number, error_code, status, lines from public.export_rejections where integration_id = $1 order by voucher_number",
        [integrationId],
      )
    ).rows;
  const requeue = (who: ReturnType<typeof user> | typeof anon, org: string, id: string) =>
    rpc<null>(db, who, "select public.requeue_rejected_voucher($1, $2) as result", [org, id]);
  const skip = (who: ReturnType<typeof user>, org: string, id: string, reason: string | null) =>
    rpc<null>(db, who, "select public.skip_rejected_voucher($1, $2, $3) as result", [org, id, reason]);

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    orgId = await createOrg(db);
    otherOrgId = await createOrg(db);
    integrationId = await addIntegration(db, orgId, "dynamics");
    people.coordinator = await createUser(db);
    people.admin = await createUser(db);
    people.viewer = await createUser(db);
    people.outsider = await createUser(db);
    await addMember(db, orgId, people.coordinator, "coordinator");
    await addMember(db, orgId, people.admin, "admin");
    await addMember(db, orgId, people.viewer, "viewer");
    await addMember(db, otherOrgId, people.outsider, "coordinator");
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    await db.query("delete from public.export_rejections");
    await db.query("delete from public.ledger_entry_exports where org_id = $1", [orgId]);
    await db.query("delete from public.ledger_entries where org_id = $1", [orgId]);
    run = await claim(db, "w", await enqueue(db, integrationId));
  });

  it("gives an entry without a voucher number a voucher of its own (its id)", async () => {
    const [id] = await lines([[null, 0]]);
    const { rows } = await db.query<{ v: string }>(
      "select voucher_number as v from public.ledger_entries where id = $1",
      [id],
    );
    expect(rows[0]?.v).toBe(id);
  });

  it("hands out balanced vouchers whole and sets unbalanced ones aside before anything is sent", async () => {
    await lines([
      ["A", 100],
      ["A", -100],
      ["B", 100],
      ["B", -99.99],
      ["C", 100, "NOK"],
      ["C", -100, "EUR"],
      ["D", 50, "EUR"],
      ["D", -50, "EUR"],
    ]);
    expect([...new Set((await batch()).map((r) => r.voucher_number))]).toEqual(["A", "D"]);
    const set = await rejections();
    expect(set.map((r) => [r.voucher_number, r.error_code, r.lines])).toEqual([
      ["B", "voucher_unbalanced", 2],
      ["C", "voucher_unbalanced", 2],
    ]);
    expect((await runRow(db, run.id)).progress.rejected_vouchers).toBe(2);
    // Set aside once: asking again hands out the same and rejects nothing new.
    await batch();
    expect(await rejections()).toHaveLength(2);
  });

  it("waits for a voucher with a line awaiting approval, without rejecting it", async () => {
    await lines([
      ["W", 10],
      ["W", -10, "NOK", false],
      ["X", 0],
    ]);
    expect((await batch()).map((r) => r.voucher_number)).toEqual(["X"]);
    expect(await rejections()).toEqual([]);
  });

  it("rejects a voucher of more lines than one request carries, and one amended after export", async () => {
    await lines([
      ["BIG", 1],
      ["BIG", 1],
      ["BIG", -2],
      ["OK", 0],
    ]);
    const [first] = await lines([["AMEND", 5]]);
    await lines([["AMEND", -5]]);
    await db.query(
      "insert into public.ledger_entry_exports (entry_id, integration_id, org_id, external_id) values ($1, $2, $3, 'x')",
      [first, integrationId, orgId],
    );
    expect((await batch(2)).map((r) => r.voucher_number)).toEqual(["OK"]);
    expect((await rejections()).map((r) => [r.voucher_number, r.error_code])).toEqual([
      ["AMEND", "voucher_amended"],
      ["BIG", "voucher_too_large"],
    ]);
  });

  it("lets coordinators and admins re-queue or skip, audited; others are refused with coded errors", async () => {
    await lines([
      ["R1", 1],
      ["R2", 2],
      ["R3", 3],
    ]);
    await batch();
    const [r1, r2, r3] = await rejections();
    const coordinator = user(people.coordinator, orgId);

    // anon cannot even execute it (revoked, like trigger_integration_sync).
    expect((await requeue(anon, orgId, r1?.id as string)).error?.body.code).toBe("42501");
    const viewer = await requeue(user(people.viewer, orgId), orgId, r1?.id as string);
    expect([viewer.error?.status, viewer.error?.body.code]).toEqual([403, "permission_denied"]);
    const scoped = await requeue(user(people.outsider, otherOrgId), orgId, r1?.id as string);
    expect([scoped.error?.status, scoped.error?.body.code]).toEqual([403, "org_scope_violation"]);
    const foreign = await requeue(user(people.outsider, otherOrgId), otherOrgId, r1?.id as string);
    expect([foreign.error?.status, foreign.error?.body.code]).toEqual([404, "rejection_not_found"]);
    const noReason = await skip(coordinator, orgId, r2?.id as string, "  ");
    expect([noReason.error?.status, noReason.error?.body.code]).toEqual([400, "invalid_reason"]);

    expect((await requeue(coordinator, orgId, r1?.id as string)).error).toBeNull();
    expect(
      (await skip(user(people.admin, orgId), orgId, r2?.id as string, "booked by hand")).error,
    ).toBeNull();
    const again = await requeue(coordinator, orgId, r1?.id as string);
    expect([again.error?.status, again.error?.body.code]).toEqual([409, "rejection_not_open"]);

    const audit = await db.query<{
      action: string;
      voucher_number: string;
      actor_user_id: string;
      reason: string | null;
    }>(
      "select action, voucher_number, actor_user_id, reason from public.export_rejection_audit where org_id = $1 order by id",
      [orgId],
    );
    expect(audit.rows).toEqual([
      { action: "requeue", voucher_number: "R1", actor_user_id: people.coordinator, reason: null },
      { action: "skip", voucher_number: "R2", actor_user_id: people.admin, reason: "booked by hand" },
    ]);
    await expect(db.query("delete from public.export_rejection_audit")).rejects.toThrow(/append-only/);

    // Fixed, re-queued R1 is handed out again (and rejected again here: still unbalanced); skipped R2
    // never; R3 stays set aside.
    const { rows: fix } = await db.query<{ id: string }>(
      "insert into public.ledger_entries (org_id, voucher_number, account, amount, approved_at) values ($1, 'R1', '3000', -1, now()) returning id",
      [orgId],
    );
    expect(fix).toHaveLength(1);
    expect((await batch()).map((r) => r.voucher_number)).toEqual(["R1", "R1"]);
    expect((await rejections()).map((r) => [r.voucher_number, r.status])).toEqual([
      ["R1", "requeued"],
      ["R2", "skipped"],
      ["R3", "rejected"],
    ]);
    expect(r3).toBeDefined();
  });

  it("shows the list to the org's members only, and the audit to coordinators and admins", async () => {
    await lines([["V", 1]]);
    await batch();
    const read = (who: ReturnType<typeof user>, table: string) =>
      actAs(db, who, async (tx) => (await tx.query(`select * from public.${table}`)).rows.length);
    expect(await read(user(people.viewer, orgId), "export_rejections")).toBe(1);
    expect(await read(user(people.outsider, otherOrgId), "export_rejections")).toBe(0);
    const [only] = await rejections();
    await skip(user(people.coordinator, orgId), orgId, only?.id as string, "duplicate");
    expect(await read(user(people.viewer, orgId), "export_rejection_audit")).toBe(0);
    expect(await read(user(people.coordinator, orgId), "export_rejection_audit")).toBeGreaterThan(0);
    await expect(
      actAs(db, user(people.coordinator, orgId), (tx) => tx.query("delete from public.export_rejections")),
    ).rejects.toMatchObject({ code: "42501" });
    expect(await countRows(db, "public.export_rejections", "org_id = $1", [orgId])).toBe(1);
  });
});
