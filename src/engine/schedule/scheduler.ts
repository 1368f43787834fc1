// Over 300 lines: the tick's two paths (bulk plans, missed periods) and their isolation of a broken row share the planning.
import { type Db, isRowError, pgError } from "../../db/types.ts";
import type { WorkerConfig } from "../config.ts";
import type { EngineLogger } from "../observe/logger.ts";
import { type PlanResult, planSchedule } from "./schedulePlan.ts";

export interface TickResult {
  enqueued: number;
  /** Due integrations queued as schedule groups, enqueued by the workers' claims (sync_engine.apply_schedule_group). */
  queued: number;
  duplicate: number;
  skipped: number;
  missed: number;
  planned: number;
}

/** A distinct (cron, zone, next_run_at at ms) among the due integrations: one plan serves them all. */
interface ScheduleKey {
  cron: string;
  zone: string;
  next_run_at: Date | null;
}

interface Outcome {
  integration_id: string;
  org_id: string;
  integration_type: string;
  run_id: string | null;
  outcome: string | null;
}

// next_run_at for an integration whose schedule cannot be parsed: parked until the schedule is
// edited (the table's trigger resets next_run_at to null then).
const PARKED = "infinity";

// Plans per schedule_due_plans call: the plan arrays travel with every batch, so a tick with
// thousands of distinct schedules sends them in slices.
const PLANS_PER_CALL = 1000;

// Batches applied at once by one tick on PostgreSQL (each its own connection and transaction;
// each its own ids). 100,000 due on 2 shared cores: see docs/benchmarks.md. 4 at once cost 4× the
// backends' CPU (8.2 s against 2.1 s for 100,000, load 12) for 10 % less wall time: the batches
// then contend for the same index pages and WAL. PGlite has one connection, so there it is 1.
const PARALLEL_BATCHES = 2;

// Due rows; coalesce(…, '-infinity') matches organization_integrations_due_idx (one range scan).
// next_run_at is read at ms, the precision of the plans (JavaScript Dates) and of the
// stale-read check in SQL.
const DUE = `i.enabled and i.schedule_cron is not null
  and coalesce(i.next_run_at, '-infinity'::timestamptz) <= $1`;
// Due paused integrations: their periods are recorded as skipped ('disabled') by enqueue_run, one
// by one through schedule_periods (a pause is rare; the bulk path stays for enabled rows only).
const DUE_PAUSED = `not i.enabled and i.schedule_cron is not null
  and coalesce(i.next_run_at, '-infinity'::timestamptz) <= $1`;
// DUE and KEY_JOIN are written out again in sync_engine.queue_due_schedule_groups (migration
// 20261130200100), which reads the due rows of the plans in the database: change both together.
const KEY_JOIN = `k.cron = i.schedule_cron and k.zone = i.schedule_timezone
  and coalesce(k.expected, '-infinity') = coalesce(date_trunc('milliseconds', i.next_run_at), '-infinity')`;

/**
 * One scheduler tick: every due integration (enabled, with a cron, next_run_at ≤ now or unset)
 * is planned in TypeScript (croner, DST-correct) and applied in SQL under the integration rows'
 * locks, taken FOR NO KEY UPDATE SKIP LOCKED, so concurrent ticks from any number of workers split
 * the work instead of repeating it; idempotency keys make even a repeated period a no-op. FOR NO
 * KEY UPDATE (what an UPDATE of next_run_at needs), not FOR UPDATE: that would also block the
 * foreign-key checks of runs being inserted for these integrations, and a manual trigger holding
 * its advisory lock while waiting for that check deadlocked with the tick.
 *
 * Integrations due together mostly share a schedule, so the tick plans each distinct
 * (cron, zone, next_run_at) once (croner ≈ 0.1 ms a plan) and:
 * - plans without missed periods (the common case): their due ids are read once, in the database
 *   (`sync_engine.queue_due_schedule_groups`), which queues all but the first `schedulerBatch`
 *   (and every new schedule's) as schedule groups of `schedulerBatch` ids, applied by
 *   `claim_runs` when a worker has room (`queued` in the result), and returns those to
 *   `sync_engine.schedule_due_plan_ids`, which locks them (by primary key), enqueues and advances
 *   them;
 * - integrations with missed periods, and paused ones (each period recorded as skipped 'disabled'),
 *   go one by one to `sync_engine.schedule_periods`; an unparseable schedule parks its integrations.
 * Measured (bench/sections/scheduler.ts, 100,000 integrations due at once, PostgreSQL 15 on 2
 * shared cores): one round trip per integration took ≈ 60 s; see docs/benchmarks.md.
 */
export async function schedulerTick(
  db: Db,
  now: Date,
  config: Pick<WorkerConfig, "schedulerBatch" | "catchUpWindowSeconds">,
  log: EngineLogger,
): Promise<TickResult> {
  const total: TickResult = { enqueued: 0, queued: 0, duplicate: 0, skipped: 0, missed: 0, planned: 0 };
  const count = (o: Outcome) => {
    // enqueued | duplicate (period already handled) | skipped (overlap, paused) | missed; null: no period yet
    if (o.outcome === "enqueued") total.enqueued++;
    else if (o.outcome === "duplicate") total.duplicate++;
    else if (o.outcome === "skipped") total.skipped++;
    else if (o.outcome === "missed") total.missed++;
    if (o.outcome === null) return;
    log.info({
      event: "scheduled_period",
      integration_id: o.integration_id,
      org_id: o.org_id,
      integration: o.integration_type,
      run_id: o.run_id,
      outcome: o.outcome,
    });
  };

  // A next_run_at before 1970 (or −infinity) is not a period anyone planned: typed in by hand or
  // restored from a bad backup. Drivers do not even agree on it (PGlite reads 0001-01-01 as 2001),
  // so the stale-read match would never find the row again and it would stay due forever. It
  // starts over as a new schedule (next period from now). Uses organization_integrations_due_idx.
  const { rowCount: reset } = await db.query(
    `update public.organization_integrations i set next_run_at = null
     where ((${DUE}) or (${DUE_PAUSED}))
       and coalesce(i.next_run_at, '-infinity'::timestamptz) < '1970-01-01T00:00:00Z'
       and i.next_run_at is not null`,
    [now],
  );
  if (reset > 0)
    log.warn({ event: "schedule_restarted", integrations: reset, reason: "next_run_at before 1970" });

  const { rows: keys } = await db.query<ScheduleKey & { paused: boolean }>(
    `select i.schedule_cron as cron, i.schedule_timezone as zone,
            date_trunc('milliseconds', i.next_run_at) as next_run_at, false as paused
     from public.organization_integrations i
     where ${DUE}
     group by 1, 2, 3
     union all
     select i.schedule_cron, i.schedule_timezone, date_trunc('milliseconds', i.next_run_at), true
     from public.organization_integrations i
     where ${DUE_PAUSED}
     group by 1, 2, 3`,
    [now],
  );
  const bulk: Array<{ key: ScheduleKey; plan: PlanResult }> = [];
  const oneByOne: Array<{ key: ScheduleKey; plan: PlanResult | Error }> = [];
  for (const key of keys) {
    let plan: PlanResult | Error;
    try {
      plan = planSchedule({
        cron: key.cron,
        timezone: key.zone,
        nextRunAt: key.next_run_at,
        now,
        catchUpWindowMs: config.catchUpWindowSeconds * 1000,
      });
    } catch (error) {
      plan = error instanceof Error ? error : new Error(String(error));
    }
    if (plan instanceof Error || plan.missed.length > 0 || key.paused) oneByOne.push({ key, plan });
    else bulk.push({ key, plan });
  }

  for (const { key, plan } of oneByOne) {
    total.planned += await scheduleOneByOne(db, now, config, log, key, plan, count);
  }

  for (let start = 0; start < bulk.length; start += PLANS_PER_CALL) {
    const slice = bulk.slice(start, start + PLANS_PER_CALL);
    const plans = [
      slice.map((b) => b.key.cron),
      slice.map((b) => b.key.zone),
      slice.map((b) => b.key.next_run_at),
    ];
    // The due ids of these plans are read once, in the database (one range scan of
    // organization_integrations_due_idx); each batch then locks its own ids by primary key.
    // Batches that each walked the due index from its start re-read every row earlier batches had
    // moved (their old versions stay in the index while other transactions' snapshots can see
    // them): ≈ 10 million tuples for 100,000 due (docs/benchmarks.md "Scheduler profile"). A plan
    // that still has a schedule group is left to it: its integrations are queued already.
    //
    // The first batch of periods to run, and every new schedule (no run, only a next_run_at),
    // are written by this tick; the rest is queued as groups of one batch each, which the
    // workers' claims apply as they have room (docs/architecture.md §5.3): writing 100,000 runs
    // here took 6.6–8.8 s of the 2 cores the workers need, for runs that could not start sooner
    // anyway. Groups of a whole batch (500), not 100: with 100 the workers drained 100,000 at
    // 2,400 runs/s instead of 4,000 (one claim transaction, with its commit flush, per group).
    // The split and the groups are made in SQL (sync_engine.queue_due_schedule_groups): reading
    // 100,000 ids here and sending 99,500 back took ≈ 0.46 s, during which the workers had
    // nothing to claim.
    const batch = Math.max(1, config.schedulerBatch);
    const { rows: queuedRows } = await db.query<{ step_ids: string[]; groups: number; integrations: number }>(
      "select * from sync_engine.queue_due_schedule_groups($1, $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7, $8)",
      [
        now,
        ...plans,
        slice.map((b) => b.plan.runPeriod),
        slice.map((b) => b.plan.newNextRunAt),
        batch,
        batch,
      ],
    );
    const { step_ids: ids = [], groups = 0, integrations: queued = 0 } = queuedRows[0] ?? {};
    if (queued > 0) {
      total.queued += queued;
      total.planned += queued;
      log.info({ event: "schedule_queued", integrations: queued, groups });
    }
    let next = 0;
    const loop = async () => {
      while (next < ids.length) {
        const chunk = ids.slice(next, next + batch);
        next += batch;
        let rows: Outcome[];
        try {
          // One statement, its own transaction: the function's row and advisory locks last one batch.
          ({ rows } = await db.query<Outcome>(
            "select * from sync_engine.schedule_due_plan_ids($1, $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])",
            [now, chunk, ...plans, slice.map((b) => b.plan.runPeriod), slice.map((b) => b.plan.newNextRunAt)],
          ));
        } catch (error) {
          // One integration's row failed the whole batch: step this batch's integrations one at
          // a time, parking the one that fails, then go on with the next batch.
          if (!isRowError(error)) throw error;
          log.warn({ event: "schedule_batch_isolated", error: String(error) });
          const r = await scheduleIsolated(
            db,
            now,
            { schedulerBatch: chunk.length },
            log,
            slice,
            count,
            chunk,
          );
          total.planned += r.planned;
          continue;
        }
        total.planned += rows.length;
        for (const o of rows) count(o);
      }
    };
    const parallel = db.kind === "postgres" ? PARALLEL_BATCHES : 1;
    await Promise.all(Array.from({ length: parallel }, loop));
  }
  return total;
}

/** Integrations of one schedule key whose plan has missed periods, or cannot be made; returns how many were planned. */
async function scheduleOneByOne(
  db: Db,
  now: Date,
  config: Pick<WorkerConfig, "schedulerBatch">,
  log: EngineLogger,
  key: ScheduleKey,
  plan: PlanResult | Error,
  count: (o: Outcome) => void,
): Promise<number> {
  let planned = 0;
  for (;;) {
    let batch: number;
    try {
      batch = await scheduleBatchOneByOne(db, now, config, log, key, plan, count, () => planned++);
    } catch (error) {
      if (!isRowError(error)) throw error;
      log.warn({ event: "schedule_batch_isolated", error: String(error) });
      const r = await scheduleIsolated(db, now, config, log, [{ key, plan }], count);
      planned += r.planned;
      if (r.progress === 0) return planned;
      batch = r.seen;
    }
    if (batch < config.schedulerBatch) return planned;
  }
}

/** One transaction of {@link scheduleOneByOne}: up to `schedulerBatch` integrations of one key. */
async function scheduleBatchOneByOne(
  db: Db,
  now: Date,
  config: Pick<WorkerConfig, "schedulerBatch">,
  log: EngineLogger,
  key: ScheduleKey,
  plan: PlanResult | Error,
  count: (o: Outcome) => void,
  onPlanned: () => void,
): Promise<number> {
  // Outcomes are reported once the transaction has committed: a later row's error rolls the whole
  // batch back (and the caller steps it one by one), so counting inside would count runs that never
  // existed.
  const outcomes: Outcome[] = [];
  let planned = 0;
  const seen = await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; org_id: string; integration_type: string }>(
      `select i.id, i.org_id, i.integration_type
         from public.organization_integrations i
         join (values ($2::text, $3::text, $4::timestamptz)) as k (cron, zone, expected) on ${KEY_JOIN}
         where (${DUE}) or (${DUE_PAUSED})
         limit $5
         for no key update of i skip locked`,
      [now, key.cron, key.zone, key.next_run_at, config.schedulerBatch],
    );
    for (const integration of rows) {
      if (plan instanceof Error) {
        log.error({
          event: "schedule_invalid",
          integration_id: integration.id,
          org_id: integration.org_id,
          cron: key.cron,
          error: String(plan),
        });
        await tx.query("update public.organization_integrations set next_run_at = $2 where id = $1", [
          integration.id,
          PARKED,
        ]);
        continue;
      }
      const { rows: periods } = await tx.query<{ run_id: string; outcome: string }>(
        "select * from sync_engine.schedule_periods($1, $2, $3, $4::timestamptz[], $5)",
        [integration.id, key.next_run_at, plan.runPeriod, plan.missed, plan.newNextRunAt],
      );
      planned++;
      for (const o of periods)
        outcomes.push({ ...integration, integration_id: integration.id, ...o } as Outcome);
      if (plan.missedUnrecorded > 0) {
        log.warn({
          event: "schedule_missed_unrecorded",
          integration_id: integration.id,
          count: plan.missedUnrecorded,
        });
      }
    }
    return rows.length;
  });
  for (let i = 0; i < planned; i++) onPlanned();
  for (const o of outcomes) count(o);
  return seen;
}

/**
 * The slow path after a batch failed on one row's data: up to `schedulerBatch` due integrations of
 * these plans, each stepped in its own transaction; one that still fails is parked
 * (`sync_engine.park_integration`: next_run_at infinity until its schedule is edited, a critical
 * `parked` alert, code `schedule_unprocessable`). `progress` counts integrations stepped or parked:
 * 0 means only unparkable rows are left, and the caller stops instead of looping on them.
 */
async function scheduleIsolated(
  db: Db,
  now: Date,
  config: Pick<WorkerConfig, "schedulerBatch">,
  log: EngineLogger,
  plans: ReadonlyArray<{ key: ScheduleKey; plan: PlanResult | Error }>,
  count: (o: Outcome) => void,
  ids: readonly string[] | null = null,
): Promise<{ planned: number; progress: number; seen: number }> {
  const keyOf = (cron: string, zone: string, at: Date | null) =>
    `${cron}\u0000${zone}\u0000${at?.getTime() ?? ""}`;
  const byKey = new Map(plans.map((p) => [keyOf(p.key.cron, p.key.zone, p.key.next_run_at), p]));
  const { rows } = await db.query<{
    id: string;
    org_id: string;
    integration_type: string;
    cron: string;
    zone: string;
    next_run_at: Date | null;
  }>(
    `select i.id, i.org_id, i.integration_type, i.schedule_cron as cron, i.schedule_timezone as zone,
            date_trunc('milliseconds', i.next_run_at) as next_run_at
     from public.organization_integrations i
     join unnest($2::text[], $3::text[], $4::timestamptz[]) as k (cron, zone, expected) on ${KEY_JOIN}
     where ((${DUE}) or (${DUE_PAUSED}))
       and ($6::uuid[] is null or i.id = any ($6::uuid[]))
     order by i.id
     limit $5`,
    [
      now,
      plans.map((p) => p.key.cron),
      plans.map((p) => p.key.zone),
      plans.map((p) => p.key.next_run_at),
      config.schedulerBatch,
      ids,
    ],
  );
  let planned = 0;
  let progress = 0;
  for (const integration of rows) {
    const entry = byKey.get(keyOf(integration.cron, integration.zone, integration.next_run_at));
    if (!entry) continue;
    try {
      await scheduleBatchOneByOneRow(db, log, integration, entry.key, entry.plan, count);
      planned++;
      progress++;
    } catch (error) {
      if (!isRowError(error)) throw error;
      const message = `${error instanceof Error ? error.message : String(error)} (SQLSTATE ${pgError(error)?.code})`;
      log.error({
        event: "schedule_unprocessable",
        integration_id: integration.id,
        org_id: integration.org_id,
        error: message,
      });
      try {
        await db.query("select sync_engine.park_integration($1, $2, $3)", [
          integration.id,
          "schedule_unprocessable",
          `The scheduler could not step this integration: ${message}`,
        ]);
        progress++;
      } catch (parkError) {
        log.error({
          event: "schedule_park_failed",
          integration_id: integration.id,
          error: String(parkError),
        });
      }
    }
  }
  return { planned, progress, seen: rows.length };
}

/** One integration stepped in its own transaction (the isolated path). */
async function scheduleBatchOneByOneRow(
  db: Db,
  log: EngineLogger,
  integration: { id: string; org_id: string; integration_type: string },
  key: ScheduleKey,
  plan: PlanResult | Error,
  count: (o: Outcome) => void,
): Promise<void> {
  if (plan instanceof Error) {
    log.error({
      event: "schedule_invalid",
      integration_id: integration.id,
      cron: key.cron,
      error: String(plan),
    });
    await db.query("update public.organization_integrations set next_run_at = $2 where id = $1", [
      integration.id,
      PARKED,
    ]);
    return;
  }
  const outcomes = await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ run_id: string; outcome: string }>(
      "select * from sync_engine.schedule_periods($1, $2, $3, $4::timestamptz[], $5)",
      [integration.id, key.next_run_at, plan.runPeriod, plan.missed, plan.newNextRunAt],
    );
    return rows;
  });
  for (const o of outcomes) count({ ...integration, integration_id: integration.id, ...o });
}
