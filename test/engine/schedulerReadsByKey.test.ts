import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";

/**
 * The scheduler's batch step (sync_engine.schedule_due_plan_ids, run by every tick and by every
 * claim that applies a schedule group) must read organization_integrations by primary key only:
 * a batch that is a sizeable share of the table was planned as a scan of the whole table plus a
 * hash join (20261130200000_schedule_batch_by_key.sql), so its cost grew with the number of
 * integrations instead of with the batch. Here a batch is a quarter of the table, well past the
 * point where the planner prefers the scan; the transaction's own scan counters tell.
 */
describe.each(testDbKinds())("scheduler batch reads by key on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());

  it("a batch of a quarter of the integrations enqueues them all without scanning the table", async () => {
    const { rows: created } = await db.query<{ id: string }>(
      `with o as (insert into public.organizations (name) select 'By key ' || g from generate_series(1, 200) g returning id)
       insert into public.organization_integrations (org_id, integration_type, enabled)
       select o.id, t, true from o, unnest(array['xledger', 'dynamics']) t
       returning id`,
    );
    expect(created.length).toBeGreaterThanOrEqual(400);
    const period = new Date("2026-11-30T05:00:00Z");
    const next = new Date("2026-11-30T06:00:00Z");
    const due = created.slice(0, 100).map((r) => r.id);
    // Two statements: a schedule edit starts the schedule over (next_run_at reset), so the period
    // comes after it.
    await db.query(
      "update public.organization_integrations set schedule_cron = '0 * * * *', schedule_timezone = 'UTC' where id = any ($1::uuid[])",
      [due],
    );
    await db.query(
      "update public.organization_integrations set next_run_at = $2 where id = any ($1::uuid[])",
      [due, period],
    );
    // Statistics as a live database would have them: the planner knows the table's size.
    await db.query("analyze public.organization_integrations");

    const { scans, outcomes, advanced } = await db.transaction(async (tx) => {
      const scansNow = async () => {
        const { rows } = await tx.query<{ n: string }>(
          "select seq_scan as n from pg_catalog.pg_stat_xact_user_tables where relid = 'public.organization_integrations'::regclass",
        );
        return Number(rows[0]?.n ?? 0);
      };
      const before = await scansNow();
      const { rows } = await tx.query<{ outcome: string | null }>(
        "select * from sync_engine.schedule_due_plan_ids($1, $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])",
        [new Date("2026-11-30T05:00:01Z"), due, ["0 * * * *"], ["UTC"], [period], [period], [next]],
      );
      const scans = (await scansNow()) - before;
      const { rows: moved } = await tx.query<{ n: number }>(
        "select count(*)::int as n from public.organization_integrations where id = any ($1::uuid[]) and next_run_at = $2",
        [due, next],
      );
      return { scans, outcomes: rows.map((r) => r.outcome), advanced: moved[0]?.n };
    });
    expect(outcomes).toEqual(due.map(() => "enqueued"));
    expect(advanced).toBe(100);
    expect(scans).toBe(0);
  });
});
