import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";

/**
 * sync_engine.queue_due_schedule_groups (20261130200100): the tick's due read, its split into
 * "step now" and "queue as groups", and the groups, in one statement. The split must be the one
 * the tick made in TypeScript before: the first p_first due integrations in id order (any plan)
 * and every due integration of a plan that cannot be queued are returned; the rest is queued per
 * plan in groups of p_group_size, in id order; a plan that has a group already is left out.
 */
describe.each(testDbKinds())("queue_due_schedule_groups on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  const period = new Date("2026-11-30T05:00:00Z");
  const next = new Date("2026-11-30T06:00:00Z");
  const now = new Date("2026-11-30T05:00:01Z");
  // Plan 1: hourly, due at `period`. Plan 2: a new schedule (next_run_at unset, no period to run).
  const plans = [
    ["0 * * * *", "*/5 * * * *"],
    ["UTC", "UTC"],
    [period, null],
    [period, null],
    [next, new Date("2026-11-30T05:05:00Z")],
  ];
  let hourly: string[];
  let fresh: string[];

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());

  beforeEach(async () => {
    await db.query("delete from sync_engine.schedule_groups");
    await db.query("update public.organization_integrations set schedule_cron = null");
    const { rows } = await db.query<{ id: string }>(
      `with o as (insert into public.organizations (name) select 'Queue ' || g from generate_series(1, 6) g returning id)
       insert into public.organization_integrations (org_id, integration_type, enabled)
       select o.id, t, true from o, unnest(array['xledger', 'dynamics']) t
       returning id`,
    );
    const ids = rows.map((r) => r.id).sort();
    hourly = ids.filter((_, k) => k % 4 !== 3);
    fresh = ids.filter((_, k) => k % 4 === 3);
    // A schedule edit starts the schedule over (next_run_at reset), so the period comes after it.
    await db.query(
      "update public.organization_integrations set schedule_cron = '0 * * * *', schedule_timezone = 'UTC' where id = any ($1::uuid[])",
      [hourly],
    );
    await db.query(
      "update public.organization_integrations set next_run_at = $2 where id = any ($1::uuid[])",
      [hourly, period],
    );
    await db.query(
      "update public.organization_integrations set schedule_cron = '*/5 * * * *', schedule_timezone = 'UTC', next_run_at = null where id = any ($1::uuid[])",
      [fresh],
    );
  });

  const queue = (first: number, size: number, arrays: unknown[] = plans) =>
    db.query<{ step_ids: string[]; groups: number; integrations: number }>(
      "select * from sync_engine.queue_due_schedule_groups($1, $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7, $8)",
      [now, ...arrays, first, size],
    );
  const groups = async () =>
    (
      await db.query<{ cron: string; ids: string[]; period: Date; next: Date }>(
        `select schedule_cron as cron, integration_ids as ids, run_period as period, new_next_run_at as next
         from sync_engine.schedule_groups order by id`,
      )
    ).rows;

  it("returns the first p_first due and every unqueueable one, and queues the rest per plan in id order", async () => {
    const all = [...hourly, ...fresh].sort();
    const { rows } = await queue(4, 3);
    const firstFour = all.slice(0, 4);
    const stepped = all.filter((id) => firstFour.includes(id) || fresh.includes(id));
    const rest = hourly.filter((id) => !firstFour.includes(id));
    expect(rows).toEqual([
      { step_ids: stepped, groups: Math.ceil(rest.length / 3), integrations: rest.length },
    ]);
    const made = await groups();
    expect(made.flatMap((g) => g.ids)).toEqual(rest);
    expect(made.map((g) => g.ids.length)).toEqual(
      Array.from({ length: Math.ceil(rest.length / 3) }, (_, k) => Math.min(3, rest.length - 3 * k)),
    );
    for (const g of made) {
      expect(g.cron).toBe("0 * * * *");
      expect(g.period.toISOString()).toBe(period.toISOString());
      expect(g.next.toISOString()).toBe(next.toISOString());
    }
  });

  it("leaves out a plan that has a group: a second call queues nothing and steps only what cannot be queued", async () => {
    await queue(0, 500);
    const before = await groups();
    expect(before).toHaveLength(1);
    const { rows } = await queue(0, 500);
    expect(rows).toEqual([{ step_ids: [...fresh].sort(), groups: 0, integrations: 0 }]);
    expect(await groups()).toEqual(before);
  });

  it("returns no ids and no groups when nothing is due", async () => {
    const { rows } = await queue(500, 500, [["0 3 * * *"], ["UTC"], [period], [period], [next]]);
    expect(rows).toEqual([{ step_ids: [], groups: 0, integrations: 0 }]);
  });

  it("refuses plan arrays of different lengths (22023) and queues nothing", async () => {
    await expect(
      queue(0, 500, [["0 * * * *"], ["UTC", "UTC"], [period], [period], [next]]),
    ).rejects.toMatchObject({
      code: "22023",
    });
    expect(await groups()).toEqual([]);
  });
});
