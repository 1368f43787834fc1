import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openPostgres } from "../../src/db/postgres.ts";
import type { Db } from "../../src/db/types.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { Worker } from "../../src/engine/run/worker.ts";
import { schedulerTick } from "../../src/engine/schedule/scheduler.ts";
import { triggerSync, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { createScenario } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { recordingExecutor } from "./testExecutors.ts";

type Scenario = Awaited<ReturnType<typeof createScenario>>;
const config = { schedulerBatch: 500, catchUpWindowSeconds: 86_400 };

describe.each(testDbKinds())("scheduler on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let s: Scenario;
  const tick = (now: Date) => schedulerTick(db, now, config, silentLogger);
  const setSchedule = (cron: string | null, nextRunAt: Date | null, tz = "Europe/Oslo") =>
    db
      .query(
        `update public.organization_integrations set schedule_cron = $2, schedule_timezone = $3 where id = $1;`,
        [s.xledgerId, cron, tz],
      )
      .then(() =>
        db.query("update public.organization_integrations set next_run_at = $2 where id = $1", [
          s.xledgerId,
          nextRunAt,
        ]),
      );
  const runs = async () =>
    (
      await db.query<{
        status: string;
        scheduled_for: Date | null;
        idempotency_key: string | null;
        skip_reason: string | null;
      }>(
        "select status, scheduled_for, idempotency_key, skip_reason from public.sync_run_log where integration_id = $1 order by scheduled_for",
        [s.xledgerId],
      )
    ).rows;
  const nextRunAt = async () =>
    (
      await db.query<{ n: Date | null }>(
        "select next_run_at as n from public.organization_integrations where id = $1",
        [s.xledgerId],
      )
    ).rows[0]?.n;

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    // Only this test's integration is scheduled.
    await db.query("update public.organization_integrations set schedule_cron = null");
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    s = await createScenario(db);
  });

  it("gives a new schedule its next period without running it now", async () => {
    await setSchedule("0 2 * * *", null);
    await tick(new Date("2026-11-29T12:00:00Z"));
    expect(await nextRunAt()).toEqual(new Date("2026-11-30T01:00:00Z"));
    expect(await runs()).toEqual([]);
  });

  it("records a paused integration's due period as skipped (disabled), moves on, and runs again once resumed", async () => {
    const period = new Date("2026-11-30T01:00:00Z");
    await setSchedule("0 2 * * *", period);
    await db.query("update public.organization_integrations set enabled = false where id = $1", [
      s.xledgerId,
    ]);
    const paused = await tick(new Date("2026-11-30T01:00:03Z"));
    expect(paused).toMatchObject({ enqueued: 0, skipped: 1 });
    expect(await runs()).toEqual([
      {
        status: "skipped",
        scheduled_for: period,
        idempotency_key: `${s.xledgerId}:2026-11-30T01:00:00.000Z`,
        skip_reason: "disabled",
      },
    ]);
    expect(await nextRunAt()).toEqual(new Date("2026-12-01T01:00:00Z"));
    await db.query("update public.organization_integrations set enabled = true where id = $1", [s.xledgerId]);
    expect((await tick(new Date("2026-12-01T01:00:02Z"))).enqueued).toBe(1);
    expect((await runs()).map((r) => r.status)).toEqual(["skipped", "pending"]);
  });

  it("enqueues a due period once, with the period's idempotency key, however often it ticks", async () => {
    const period = new Date("2026-11-30T01:00:00Z");
    await setSchedule("0 2 * * *", period);
    const now = new Date("2026-11-30T01:00:03Z");
    expect((await tick(now)).enqueued).toBe(1);
    expect((await tick(now)).enqueued).toBe(0);
    // A delayed tick that still sees the old next_run_at (e.g. restored from a stale read) is a duplicate.
    await db.query("update public.organization_integrations set next_run_at = $2 where id = $1", [
      s.xledgerId,
      period,
    ]);
    expect(await tick(now)).toMatchObject({ enqueued: 0, duplicate: 1 });
    expect(await runs()).toEqual([
      {
        status: "pending",
        scheduled_for: period,
        idempotency_key: `${s.xledgerId}:2026-11-30T01:00:00.000Z`,
        skip_reason: null,
      },
    ]);
    expect(await nextRunAt()).toEqual(new Date("2026-12-01T01:00:00Z"));
  });

  it("records a period that overlaps an active run as skipped (overlap)", async () => {
    await triggerSync(db, user(s.users.coordinator, s.orgId), s.orgId, "xledger");
    await setSchedule("0 2 * * *", new Date("2026-11-30T01:00:00Z"));
    expect((await tick(new Date("2026-11-30T01:00:01Z"))).skipped).toBe(1);
    expect((await runs()).filter((r) => r.status === "skipped")).toEqual([
      expect.objectContaining({ skip_reason: "overlap", scheduled_for: new Date("2026-11-30T01:00:00Z") }),
    ]);
  });

  it("after downtime runs the latest missed period and records the others as missed", async () => {
    await setSchedule("0 * * * *", new Date("2026-11-29T08:00:00Z"), "UTC");
    expect(await tick(new Date("2026-11-29T11:20:00Z"))).toMatchObject({ enqueued: 1, missed: 3 });
    expect((await runs()).map((r) => [r.status, r.skip_reason, r.scheduled_for?.toISOString()])).toEqual([
      ["skipped", "missed", "2026-11-29T08:00:00.000Z"],
      ["skipped", "missed", "2026-11-29T09:00:00.000Z"],
      ["skipped", "missed", "2026-11-29T10:00:00.000Z"],
      ["pending", null, "2026-11-29T11:00:00.000Z"],
    ]);
  });

  it("runs a period whose next_run_at was written with microseconds (e.g. set to now() by hand)", async () => {
    await setSchedule("0 2 * * *", null);
    await db.query(
      "update public.organization_integrations set next_run_at = now() - interval '1.234567 seconds' where id = $1",
      [s.xledgerId],
    );
    expect((await tick(new Date())).enqueued).toBe(1);
    expect((await nextRunAt())?.getTime()).toBeGreaterThan(Date.now());
  });

  it("one tick applies each rule to its own integrations when new, due, missed and broken schedules mix", async () => {
    // The tick plans once per distinct (cron, zone, next_run_at): due plans are applied in bulk,
    // plans with missed periods and unparseable schedules one by one.
    const T = new Date("2026-11-29T10:00:00Z");
    const hour = 3_600_000;
    const spec: Array<[kind: string, cron: string, next: Date | null]> = [
      ["due", "0 * * * *", T],
      ["due", "0 * * * *", T],
      ["due", "0 * * * *", T],
      ["new", "0 * * * *", null],
      ["new", "30 * * * *", null],
      ["missed", "0 * * * *", new Date(T.getTime() - 3 * hour)],
      ["missed", "0 * * * *", new Date(T.getTime() - 3 * hour)],
      ["broken", "99 * * * *", T],
    ];
    const ids: Array<{ id: string; kind: string }> = [];
    for (const [kind, cron, next] of spec) {
      const { rows } = await db.query<{ id: string }>(
        `with o as (insert into public.organizations (name) values ('Mix') returning id)
         insert into public.organization_integrations (org_id, integration_type, schedule_cron, schedule_timezone)
         select id, 'xledger', $1, 'UTC' from o returning id`,
        [cron],
      );
      const id = rows[0]?.id as string;
      await db.query("update public.organization_integrations set next_run_at = $2 where id = $1", [
        id,
        next,
      ]);
      ids.push({ id, kind });
    }
    const result = await tick(new Date(T.getTime() + 30_000));
    expect(result).toEqual({ enqueued: 5, queued: 0, duplicate: 0, skipped: 0, missed: 6, planned: 7 });
    const { rows } = await db.query<{ id: string; next: Date | null; runs: string[] | null }>(
      `select i.id, i.next_run_at as next,
              array_agg(r.status || ':' || coalesce(r.skip_reason, '') || ':' || to_char(r.scheduled_for at time zone 'UTC', 'HH24:MI')
                        order by r.scheduled_for) filter (where r.id is not null) as runs
       from public.organization_integrations i left join public.sync_run_log r on r.integration_id = i.id
       where i.id = any ($1::uuid[]) group by i.id`,
      [ids.map((i) => i.id)],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const { id, kind } of ids) {
      const r = byId.get(id);
      if (kind === "due") {
        expect(r?.runs).toEqual(["pending::10:00"]);
        expect(r?.next).toEqual(new Date(T.getTime() + hour));
      } else if (kind === "new") {
        expect(r?.runs).toBeNull();
        expect(r?.next?.getTime()).toBeGreaterThan(T.getTime());
      } else if (kind === "missed") {
        expect(r?.runs).toEqual([
          "skipped:missed:07:00",
          "skipped:missed:08:00",
          "skipped:missed:09:00",
          "pending::10:00",
        ]);
        expect(r?.next).toEqual(new Date(T.getTime() + hour));
      } else {
        expect(r?.runs).toBeNull();
        expect(r?.next).toEqual(Number.POSITIVE_INFINITY);
      }
    }
    expect((await tick(new Date(T.getTime() + 30_000))).planned).toBe(0);
  });

  describe("a due backlog beyond one batch", () => {
    // schedulerBatch 2: the tick writes 2 runs itself and queues the other due integrations as
    // schedule groups of 2, which claim_runs applies when a worker asks for more than is pending.
    const T = new Date("2026-11-29T10:00:00Z");
    const now = new Date(T.getTime() + 30_000);
    const small = { schedulerBatch: 2, catchUpWindowSeconds: 86_400 };
    const dueIntegrations = async (n: number) => {
      const { rows } = await db.query<{ id: string }>(
        `with o as (insert into public.organizations (name) select 'Backlog ' || g from generate_series(1, $1::int) g returning id)
         insert into public.organization_integrations (org_id, integration_type, schedule_cron, schedule_timezone)
         select id, 'xledger', '0 * * * *', 'UTC' from o returning id`,
        [n],
      );
      const ids = rows.map((r) => r.id);
      await db.query(
        "update public.organization_integrations set next_run_at = $2 where id = any ($1::uuid[])",
        [ids, T],
      );
      return ids;
    };
    const runsOf = async (ids: string[]) =>
      (
        await db.query<{ integration_id: string; status: string; skip_reason: string | null; key: string }>(
          `select integration_id, status, skip_reason, idempotency_key as key from public.sync_run_log
           where integration_id = any ($1::uuid[]) order by integration_id`,
          [ids],
        )
      ).rows;
    const groups = async () =>
      (await db.query<{ ids: string[] }>("select integration_ids as ids from sync_engine.schedule_groups"))
        .rows;

    it("is queued as a group that claims turn into runs, each period once", async () => {
      const ids = await dueIntegrations(7);
      const first = await schedulerTick(db, now, small, silentLogger);
      expect(first).toMatchObject({ enqueued: 2, queued: 5, planned: 7 });
      expect((await runsOf(ids)).length).toBe(2);
      expect((await groups()).map((g) => g.ids.length)).toEqual([2, 2, 1]);
      // Queued integrations stay due (next_run_at unchanged) but are not planned again.
      expect(await schedulerTick(db, now, small, silentLogger)).toMatchObject({
        enqueued: 0,
        queued: 0,
        planned: 0,
      });

      const { rows: claimed } = await db.query<{ integration_id: string; status: string; drift_ms: string }>(
        "select integration_id, status, drift_ms from sync_engine.claim_runs('w1', 10, 60)",
      );
      expect(claimed.map((r) => r.integration_id).sort()).toEqual([...ids].sort());
      expect(claimed.every((r) => r.status === "running" && Number(r.drift_ms) > 0)).toBe(true);
      const all = await runsOf(ids);
      expect(all.map((r) => r.key)).toEqual(ids.map((id) => `${id}:2026-11-29T10:00:00.000Z`).sort());
      expect(await groups()).toEqual([]);
      const { rows: next } = await db.query<{ n: number }>(
        "select count(*)::int as n from public.organization_integrations where id = any ($1::uuid[]) and next_run_at = $2",
        [ids, new Date(T.getTime() + 3_600_000)],
      );
      expect(next[0]?.n).toBe(7);
      expect(await schedulerTick(db, now, small, silentLogger)).toMatchObject({ planned: 0 });
    });

    it("a claim asking for fewer runs than a group holds leaves the rest pending, not lost", async () => {
      const ids = await dueIntegrations(6);
      await schedulerTick(db, now, small, silentLogger);
      const claim = (n: number) => db.query("select * from sync_engine.claim_runs('w1', $1, 60)", [n]);
      const byStatus = async () => {
        const m: Record<string, number> = {};
        for (const r of await runsOf(ids)) m[r.status] = (m[r.status] ?? 0) + 1;
        return m;
      };
      // 2 pending, then one group of 2 applied: 3 claimed, 1 pending, 1 group left.
      expect((await claim(3)).rows.length).toBe(3);
      expect(await byStatus()).toEqual({ running: 3, pending: 1 });
      expect((await groups()).length).toBe(1);
      expect((await claim(10)).rows.length).toBe(3);
      expect(await byStatus()).toEqual({ running: 6 });
      expect(await groups()).toEqual([]);
    });

    it("records a queued period skipped (overlap) when a manual run started meanwhile", async () => {
      const ids = await dueIntegrations(4);
      await schedulerTick(db, now, small, silentLogger);
      const queued = (await groups())[0]?.ids[0] as string;
      await db.query("select * from sync_engine.enqueue_run($1, 'manual', p_user_id => $2)", [
        queued,
        s.users.coordinator,
      ]);
      await db.query("select * from sync_engine.claim_runs('w1', 10, 60)");
      const mine = (await runsOf(ids)).filter((r) => r.integration_id === queued);
      expect(mine.map((r) => [r.status, r.skip_reason]).sort()).toEqual([
        ["running", null],
        ["skipped", "overlap"],
      ]);
    });

    it("parks a queued integration whose run cannot be written and applies the rest of its group", async () => {
      const ids = await dueIntegrations(5);
      await schedulerTick(db, now, small, silentLogger);
      const broken = (await groups())[0]?.ids[1] as string;
      await db.exec(`
        create function public.test_broken_group() returns trigger language plpgsql as $$
        begin raise exception 'cannot insert a run for this integration'; end $$;
        create trigger test_broken_group before insert on public.sync_run_log for each row
          when (new.integration_id = '${broken}'::uuid) execute function public.test_broken_group();`);
      try {
        const { rows } = await db.query<{ integration_id: string }>(
          "select integration_id from sync_engine.claim_runs('w1', 10, 60)",
        );
        expect(rows.map((r) => r.integration_id).sort()).toEqual(ids.filter((id) => id !== broken).sort());
      } finally {
        await db.exec(
          "drop trigger test_broken_group on public.sync_run_log; drop function public.test_broken_group()",
        );
      }
      const { rows: parked } = await db.query<{ next: number; code: string }>(
        `select i.next_run_at as next, a.details ->> 'error_code' as code
         from public.organization_integrations i join public.sync_alerts a on a.integration_id = i.id and a.kind = 'parked'
         where i.id = $1`,
        [broken],
      );
      expect(parked).toEqual([{ next: Number.POSITIVE_INFINITY, code: "schedule_unprocessable" }]);
    });
  });

  it("parks an integration whose cron cannot be parsed until its schedule changes", async () => {
    await setSchedule("61 * * * *", null);
    await tick(new Date());
    expect(await nextRunAt()).toEqual(Number.POSITIVE_INFINITY);
    await db.query("update public.organization_integrations set schedule_cron = '0 2 * * *' where id = $1", [
      s.xledgerId,
    ]);
    expect(await nextRunAt()).toBeNull();
  });

  it("records drift and raises an alert (row, metric, log) when a scheduled run starts > 5 minutes late", async () => {
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    await setSchedule("0 0 1 1 *", tenMinutesAgo);
    const drifts: Array<[number, boolean]> = [];
    const warnings: object[] = [];
    const log = { ...silentLogger, warn: (o: object) => warnings.push(o), child: () => log };
    const worker = new Worker({
      db,
      executor: recordingExecutor().executor,
      config: { pollSeconds: 0.1, schedulerSeconds: 300 },
      log,
      metrics: {
        ...(await import("../../src/engine/observe/metrics.ts")).noMetrics,
        drift: (_i, sec, alerted) => drifts.push([sec, alerted]),
      },
    });
    await worker.start();
    try {
      await worker.tickScheduler();
      const alerts = await waitFor(
        async () =>
          (
            await db.query<{ kind: string; details: { drift_ms: number } }>(
              "select kind, details from public.sync_alerts where integration_id = $1",
              [s.xledgerId],
            )
          ).rows,
        { until: (rows) => rows.length > 0 },
      );
      expect(alerts[0]?.kind).toBe("drift");
      expect(alerts[0]?.details.drift_ms).toBeGreaterThan(9 * 60_000);
      expect(drifts[0]?.[1]).toBe(true);
      expect(warnings).toContainEqual(expect.objectContaining({ event: "drift_alert" }));
    } finally {
      await worker.stop(0);
    }
  });
});

describe.runIf(testDbKinds().includes("postgres"))("concurrent scheduler ticks on PostgreSQL", () => {
  it("two workers ticking at once enqueue each of 200 due periods exactly once", async () => {
    const t = await openTestDb("postgres", 4);
    try {
      await t.db.query(
        `with orgs as (insert into public.organizations (name) select 'Tick ' || g from generate_series(1, 200) g returning id)
         insert into public.organization_integrations (org_id, integration_type, schedule_cron, schedule_timezone)
         select id, 'dynamics', '*/5 * * * *', 'Europe/Oslo' from orgs`,
      );
      await t.db.query("update public.organization_integrations set next_run_at = '2026-11-29T10:00:00Z'");
      const a = openPostgres({ connectionString: t.url as string, max: 1 });
      const b = openPostgres({ connectionString: t.url as string, max: 1 });
      const now = new Date("2026-11-29T10:00:30Z");
      const small = { schedulerBatch: 25, catchUpWindowSeconds: 86_400 };
      const [ra, rb] = await Promise.all([
        schedulerTick(a, now, small, silentLogger),
        schedulerTick(b, now, small, silentLogger),
        schedulerTick(a, now, small, silentLogger),
      ]);
      await a.close();
      await b.close();
      // Beyond each tick's first batch the due periods are queued as groups; claims apply them.
      expect((ra?.enqueued ?? 0) + (ra?.queued ?? 0) + (rb?.enqueued ?? 0) + (rb?.queued ?? 0)).toBe(200);
      for (;;) {
        const { rows } = await t.db.query<{ n: number | null }>(
          "select sync_engine.apply_schedule_group() as n",
        );
        if (rows[0]?.n === null) break;
      }
      const { rows } = await t.db.query<{ n: number; keys: number }>(
        "select count(*)::int as n, count(distinct idempotency_key)::int as keys from public.sync_run_log",
      );
      expect(rows[0]).toEqual({ n: 200, keys: 200 });
    } finally {
      await t.close();
    }
  });
});
