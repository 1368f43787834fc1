import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { createScenario } from "../helpers/fixtures.ts";

/**
 * The scheduler's batch forms of the period key and the advisory lock key
 * (20261130170000_scheduler_hot_path.sql) must give exactly the values the one-at-a-time
 * functions gave before: a different period key would let a period that already ran run again,
 * a different lock key would let a worker of the previous release and this one enqueue for the
 * same integration at once during a rolling deploy. The expected texts are written out here, not
 * derived from the functions under test.
 */
describe.each(testDbKinds())("scheduler keys on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());

  const ids = ["00000000-0000-4000-8000-000000000001", "ffffffff-ffff-4fff-bfff-ffffffffffff"];

  it("period_keys gives <id>:<period in UTC, ms, Z> element by element; period_key gives the same text", async () => {
    const periods = ["2026-03-29T01:00:00.000Z", "1970-01-01T00:00:00.123Z"];
    const { rows } = await db.query<{ batch: string[]; one: string; two: string }>(
      `select sync_engine.period_keys($1::uuid[], $2::timestamptz[]) as batch,
              sync_engine.period_key(($1::uuid[])[1], ($2::timestamptz[])[1]) as one,
              sync_engine.period_key(($1::uuid[])[2], ($2::timestamptz[])[2]) as two`,
      [ids, periods],
    );
    const expected = [
      "00000000-0000-4000-8000-000000000001:2026-03-29T01:00:00.000Z",
      "ffffffff-ffff-4fff-bfff-ffffffffffff:1970-01-01T00:00:00.123Z",
    ];
    expect(rows[0]?.batch).toEqual(expected);
    expect(rows[0]?.one).toBe(expected[0]);
    expect(rows[0]?.two).toBe(expected[1]);
  });

  it("a null period has a null key in both forms, and an empty batch an empty array", async () => {
    const { rows } = await db.query<{ batch: Array<string | null>; one: string | null; empty: string[] }>(
      `select sync_engine.period_keys(array[$1::uuid, $2::uuid], array[null, '2026-01-01T00:00:00Z']::timestamptz[]) as batch,
              sync_engine.period_key($1::uuid, null) as one,
              sync_engine.period_keys('{}'::uuid[], '{}'::timestamptz[]) as empty`,
      ids,
    );
    expect(rows[0]?.batch).toEqual([null, "ffffffff-ffff-4fff-bfff-ffffffffffff:2026-01-01T00:00:00.000Z"]);
    expect(rows[0]?.one).toBeNull();
    expect(rows[0]?.empty).toEqual([]);
  });

  it("run_lock_keys and run_lock_key give the key of 20261130090000 (hashtextextended of sync:<org>:<type>)", async () => {
    const { rows } = await db.query<{ batch: string[]; one: string; then: string[] }>(
      `select sync_engine.run_lock_keys($1::uuid[], array['xledger', 'dynamics'])::text[] as batch,
              sync_engine.run_lock_key(($1::uuid[])[2], 'dynamics')::text as one,
              array[pg_catalog.hashtextextended('sync:' || ($1::uuid[])[1]::text || ':xledger', 0),
                    pg_catalog.hashtextextended('sync:' || ($1::uuid[])[2]::text || ':dynamics', 0)]::text[] as then`,
      [ids],
    );
    expect(rows[0]?.batch).toEqual(rows[0]?.then);
    expect(rows[0]?.one).toBe(rows[0]?.then[1]);
    expect(new Set(rows[0]?.batch).size).toBe(2);
  });

  it("the previous release's schedule_due_plans (a limit, no ids) still enqueues each due period once, as the id form does", async () => {
    const sc = await createScenario(db);
    await db.query("update public.organization_integrations set schedule_cron = null");
    const period = new Date("2026-11-30T05:00:00Z");
    const next = new Date("2026-11-30T06:00:00Z");
    await db.query(
      "update public.organization_integrations set schedule_cron = '0 * * * *', schedule_timezone = 'UTC' where id = any ($1::uuid[])",
      [[sc.xledgerId, sc.dynamicsId]],
    );
    await db.query(
      "update public.organization_integrations set next_run_at = $2 where id = any ($1::uuid[])",
      [[sc.xledgerId, sc.dynamicsId], period],
    );
    const args = [["0 * * * *"], ["UTC"], [period], [period], [next]];
    const call = (fn: string, second: unknown) =>
      db.query<{ integration_id: string; outcome: string | null }>(
        `select * from sync_engine.${fn}($1, $2, $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])`,
        [new Date("2026-11-30T05:00:01Z"), second, ...args],
      );
    // The limit form takes one of the two; the id form the other (and nothing twice).
    const first = await call("schedule_due_plans", 1);
    expect(first.rows.map((r) => r.outcome)).toEqual(["enqueued"]);
    const second = await call("schedule_due_plan_ids", [sc.xledgerId, sc.dynamicsId]);
    expect(second.rows.map((r) => r.outcome)).toEqual(["enqueued"]);
    expect(second.rows[0]?.integration_id).not.toBe(first.rows[0]?.integration_id);
    const again = await call("schedule_due_plan_ids", [sc.xledgerId, sc.dynamicsId]);
    expect(again.rows).toEqual([]);
    const { rows } = await db.query<{ key: string; expected: string; next: Date }>(
      `select r.idempotency_key as key, sync_engine.period_key(r.integration_id, $2) as expected, i.next_run_at as next
       from public.sync_run_log r join public.organization_integrations i on i.id = r.integration_id
       where r.integration_id = any ($1::uuid[]) and r.triggered_by = 'scheduled'`,
      [[sc.xledgerId, sc.dynamicsId], period],
    );
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.key).toBe(r.expected);
      expect(r.next.toISOString()).toBe(next.toISOString());
    }
  });
});
