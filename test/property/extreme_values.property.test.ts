import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { planSchedule } from "../../src/engine/schedule/schedulePlan.ts";
import { schedulerTick } from "../../src/engine/schedule/scheduler.ts";
import { openTestDb, type TestDb, type TestDbKind, testDbKinds } from "../helpers/db.ts";
import { addIntegration, createOrg } from "../helpers/fixtures.ts";

// Every number the engine stores or computes must fit whatever the database can hold: these
// properties drive claim, heartbeat, snooze, complete, fail, reap, drift alerts, pruning and the
// scheduler with values from the edges of each type. One case ≈ 12 statements (≈ 15 ms on PGlite,
// ≈ 10 ms on PostgreSQL here). FC_RUNS overrides for a longer local soak.
const RUNS: Record<TestDbKind, number> = {
  pglite: Number(process.env.FC_RUNS ?? 150),
  postgres: Number(process.env.FC_RUNS ?? 150),
};

const JS_SAFE = Number.MAX_SAFE_INTEGER;
const TEN_YEARS_MS = 315_576_000_000;

/** A timestamptz as SQL text, from the edges of its range: 4713 BC, 294276 AD, ±infinity, epoch seconds between. */
const timestampText = fc.oneof(
  fc.constantFrom(
    "-infinity",
    "infinity",
    "4713-01-01 00:00:00+00 BC",
    "294276-12-31 23:59:59+00",
    "0001-01-01 00:00:00+00",
    "1969-12-31 23:59:59.999999+00",
  ),
  // to_timestamp's range: 4713 BC … 294276 AD in seconds since 1970.
  fc.double({ min: -210_000_000_000, max: 9_200_000_000_000, noNaN: true }).map((s) => `@${s}`),
  fc.integer({ min: -10 * 365 * 86_400, max: 10 * 365 * 86_400 }).map((s) => `now${s}`),
);
/** Only timestamps not after now, so the run is due (for run_after). */
const pastTimestampText = fc.oneof(
  fc.constantFrom("-infinity", "4713-01-01 00:00:00+00 BC", "0001-01-01 00:00:00+00"),
  fc.integer({ min: -100 * 365 * 86_400, max: 0 }).map((s) => `now${s}`),
);
const tsSql = (param: string) => `case
  when ${param} like '@%' then to_timestamp(substr(${param}, 2)::float8)
  when ${param} like 'now%' then now() + make_interval(secs => substr(${param}, 4)::float8)
  else ${param}::timestamptz end`;

const int32 = fc.oneof(fc.constantFrom(0, 1, -1, 2_147_483_647, -2_147_483_648), fc.integer());
const anyDouble = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    0,
    -0,
    1e308,
    -1e308,
    5e-324,
  ),
  fc.double(),
);
const progressJson = fc.oneof(
  fc.constant({}),
  fc.record({
    batches: fc.oneof(
      fc.string(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constant(1e300),
      fc.boolean(),
    ),
    snoozes: fc.oneof(fc.constant(2_147_483_647), fc.constant(-5), fc.string(), fc.constant(null)),
  }),
);

const runCase = fc.record({
  scheduledFor: fc.option(timestampText, { nil: null }),
  runAfter: pastTimestampText,
  startedAt: fc.option(timestampText, { nil: null }),
  attempt: fc.oneof(fc.constantFrom(0, 2_147_483_646, 2_147_483_647), fc.integer({ min: 0 })),
  maxAttempts: fc.oneof(fc.constantFrom(1, 2_147_483_647), fc.integer({ min: 1 })),
  recordsExported: fc.oneof(fc.constantFrom(0, 2_147_483_647), fc.integer({ min: 0 })),
  progress: progressJson,
  claimLimit: int32,
  leaseSeconds: int32,
  heartbeatLease: int32,
  end: fc.oneof(
    fc.record({ kind: fc.constant("complete" as const), records: int32 }),
    fc.record({
      kind: fc.constant("fail" as const),
      retryable: fc.boolean(),
      retryAfter: fc.option(anyDouble, { nil: null }),
      charge: fc.boolean(),
      base: anyDouble,
      cap: anyDouble,
    }),
    fc.record({ kind: fc.constant("reap" as const), limit: int32 }),
  ),
  driftThreshold: int32,
  pruneDays: fc.integer({ min: 1, max: 2_147_483_647 }),
});

describe.each(testDbKinds())("extreme values through the engine on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let integrationId: string;

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    integrationId = await addIntegration(db, await createOrg(db, "Extremes"), "xledger");
  });
  afterAll(() => t.close());

  it("claim, heartbeat, snooze, complete / fail / reap, drift alert and prune never raise, and every stored value stays in range", async () => {
    await fc.assert(
      fc.asyncProperty(runCase, async (c) => {
        await db.query(
          "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
        );
        const { rows: inserted } = await db.query<{ id: string }>(
          `insert into public.sync_run_log (org_id, integration_id, integration_type, triggered_by,
             scheduled_for, run_after, started_at, attempt, max_attempts, records_exported, progress)
           select i.org_id, i.id, i.integration_type, 'scheduled',
             ${tsSql("$2::text")}, ${tsSql("$3::text")}, ${tsSql("$4::text")}, $5, $6, $7, $8::jsonb
           from public.organization_integrations i where i.id = $1
           returning id`,
          [
            integrationId,
            c.scheduledFor,
            c.runAfter,
            c.startedAt,
            c.attempt,
            c.maxAttempts,
            c.recordsExported,
            JSON.stringify(c.progress),
          ],
        );
        const id = (inserted[0] as { id: string }).id;

        const { rows: claimed } = await db.query<{
          id: string;
          attempt: number;
          drift_ms: string | number | null;
        }>("select id, attempt, drift_ms from sync_engine.claim_runs('w', $1, $2)", [
          c.claimLimit,
          c.leaseSeconds,
        ]);
        if (c.claimLimit <= 0) {
          expect(claimed).toEqual([]);
          return;
        }
        expect(claimed.map((r) => r.id)).toEqual([id]);
        const run = claimed[0] as { id: string; attempt: number; drift_ms: string | number | null };
        if (run.drift_ms !== null) expect(Math.abs(Number(run.drift_ms))).toBeLessThanOrEqual(JS_SAFE);

        const { rows: held } = await db.query<{ run_id: string }>(
          "select run_id from sync_engine.heartbeat_runs('w', $1::uuid[], $2)",
          [[id], c.heartbeatLease],
        );
        expect(held.map((h) => h.run_id)).toEqual([id]);
        const { rows: snoozes } = await db.query<{ n: number }>(
          "select sync_engine.record_snooze($1, 'w', $2, 'rate_limited') as n",
          [id, run.attempt],
        );
        expect(snoozes[0]?.n).toBeGreaterThanOrEqual(1);
        await db.query("select sync_engine.raise_drift_alert($1, $2)", [id, c.driftThreshold]);

        const end = c.end;
        if (end.kind === "complete") {
          const { rows } = await db.query<{ id: string }>(
            "select sync_engine.complete_runs('w', $1::uuid[], $2::int[], $3::int[]) as id",
            [[id], [run.attempt], [end.records]],
          );
          expect(rows.map((r) => r.id)).toEqual([id]);
        } else if (end.kind === "fail") {
          const { rows } = await db.query<{ s: string }>(
            "select sync_engine.fail_run($1, 'w', $2, 'x', 'y', $3, $4, $5, $6, $7) as s",
            [id, run.attempt, end.retryable, end.retryAfter, end.charge, end.base, end.cap],
          );
          expect(["pending", "failed"]).toContain(rows[0]?.s);
        } else {
          await db.query("update public.sync_run_log set lease_expires_at = '-infinity' where id = $1", [id]);
          const { rows } = await db.query<{ run_id: string }>(
            "select run_id from sync_engine.reap_expired_leases($1)",
            [end.limit],
          );
          expect(rows.map((r) => r.run_id)).toEqual(end.limit > 0 ? [id] : []);
        }

        const { rows: after } = await db.query<{
          status: string;
          attempt: number;
          records_exported: number;
          run_after_ms: number | string | null;
          lease_ms: number | string | null;
          error_code: string | null;
        }>(
          `select status, attempt, records_exported, error_code,
                  sync_engine.ms_between(now(), run_after) as run_after_ms,
                  sync_engine.ms_between(now(), lease_expires_at) as lease_ms
           from public.sync_run_log where id = $1`,
          [id],
        );
        const row = after[0];
        // Nothing was parked: the clamps, not the isolation, handled every value.
        expect(row?.error_code).not.toBe("run_unprocessable");
        expect(row?.attempt).toBeGreaterThanOrEqual(0);
        expect(row?.records_exported).toBeGreaterThanOrEqual(0);
        if (row?.status === "pending" && end.kind === "fail") {
          // A retry is due between now and 10 years from now, whatever Retry-After or backoff said.
          expect(Number(row.run_after_ms)).toBeGreaterThanOrEqual(-1000);
          expect(Number(row.run_after_ms)).toBeLessThanOrEqual(TEN_YEARS_MS + 1000);
        }
        if (row?.lease_ms !== null && row?.lease_ms !== undefined) {
          expect(Number(row.lease_ms)).toBeLessThanOrEqual(TEN_YEARS_MS + 1000);
        }
        const { rows: pruned } = await db.query<{ n: number }>(
          "select sync_engine.prune_run_log(make_interval(days => $1)) as n",
          [c.pruneDays],
        );
        expect(pruned[0]?.n).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: RUNS[kind] },
    );
  }, 300_000);

  it("the scheduler steps or parks an integration whatever its stored next_run_at, and never twice", async () => {
    const org = await createOrg(db, "Schedules");
    const id = await addIntegration(db, org, "dynamics");
    await db.query("update public.organization_integrations set schedule_cron = null where id <> $1", [id]);
    await fc.assert(
      fc.asyncProperty(
        timestampText,
        fc.constantFrom("* * * * *", "0 2 * * *", "*/7 3-5 * * 1-5", "0 0 29 2 *"),
        async (nextRunAt, cron) => {
          await db.query(
            "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
          );
          await db.query("update public.organization_integrations set schedule_cron = $2 where id = $1", [
            id,
            cron,
          ]);
          await db.query(
            `update public.organization_integrations set next_run_at = ${tsSql("$2::text")} where id = $1`,
            [id, nextRunAt],
          );
          const now = new Date();
          await schedulerTick(db, now, { schedulerBatch: 500, catchUpWindowSeconds: 86_400 }, silentLogger);
          const { rows } = await db.query<{ due: boolean; parked: boolean }>(
            `select coalesce(next_run_at, '-infinity') <= $2 as due, next_run_at = 'infinity' as parked
             from public.organization_integrations where id = $1`,
            [id, now],
          );
          // Stepped: next_run_at is after now (or was already in the far future). Never left due,
          // which would make every tick redo it.
          expect(rows[0]?.due).toBe(false);
          expect(rows[0]?.parked === true && !nextRunAt.includes("infinity")).toBe(false);
          const { rows: alerts } = await db.query<{ n: number }>(
            "select count(*)::int as n from public.sync_alerts where integration_id = $1 and kind = 'parked'",
            [id],
          );
          expect(alerts[0]?.n).toBe(0);
        },
      ),
      { numRuns: Math.ceil(RUNS[kind] / 3) },
    );
  }, 300_000);
});

describe("planSchedule with extreme inputs", () => {
  it("terminates with a next period after now for any stored next_run_at, clock and catch-up window", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.date({ noInvalidDate: false }),
          fc.constantFrom(new Date(-8.64e15), new Date(8.64e15), new Date(Number.NaN), new Date(0)),
        ),
        fc.date({ min: new Date("1990-01-01"), max: new Date("2200-01-01"), noInvalidDate: true }),
        fc.integer({ min: 0, max: 31 * 86_400 }),
        fc.constantFrom("* * * * *", "0 2 * * *", "*/7 3-5 * * 1-5"),
        (nextRunAt, now, window, cron) => {
          const plan = planSchedule({
            cron,
            timezone: "Europe/Oslo",
            nextRunAt,
            now,
            catchUpWindowMs: window * 1000,
          });
          expect(plan.newNextRunAt.getTime()).toBeGreaterThan(now.getTime());
          expect(plan.missed.length).toBeLessThanOrEqual(100);
          expect(plan.missedUnrecorded).toBeGreaterThanOrEqual(0);
          if (plan.runPeriod)
            expect(now.getTime() - plan.runPeriod.getTime()).toBeLessThanOrEqual(window * 1000);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
