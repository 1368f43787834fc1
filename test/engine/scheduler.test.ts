import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openPostgres } from "../../src/db/postgres.ts";
import type { Db } from "../../src/db/types.ts";
import { silentLogger } from "../../src/engine/logger.ts";
import { schedulerTick } from "../../src/engine/scheduler.ts";
import { Worker } from "../../src/engine/worker.ts";
import { triggerSync, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { createScenario } from "../helpers/fixtures.ts";
import { recordingExecutor, until } from "./testExecutors.ts";

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
        ...(await import("../../src/engine/metrics.ts")).noMetrics,
        drift: (_i, sec, alerted) => drifts.push([sec, alerted]),
      },
    });
    await worker.start();
    try {
      await worker.tickScheduler();
      const alerts = await until(
        async () =>
          (
            await db.query<{ kind: string; details: { drift_ms: number } }>(
              "select kind, details from public.sync_alerts where integration_id = $1",
              [s.xledgerId],
            )
          ).rows,
        (rows) => rows.length > 0,
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
      expect((ra?.enqueued ?? 0) + (rb?.enqueued ?? 0)).toBeLessThanOrEqual(200);
      const { rows } = await t.db.query<{ n: number; keys: number }>(
        "select count(*)::int as n, count(distinct idempotency_key)::int as keys from public.sync_run_log",
      );
      expect(rows[0]).toEqual({ n: 200, keys: 200 });
    } finally {
      await t.close();
    }
  });
});
