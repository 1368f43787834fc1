import type { Db } from "../db/types.ts";
import type { WorkerConfig } from "./config.ts";
import type { EngineLogger } from "./logger.ts";
import { type PlanResult, planSchedule } from "./schedulePlan.ts";

interface DueIntegration {
  id: string;
  org_id: string;
  integration_type: string;
  schedule_cron: string;
  schedule_timezone: string;
  next_run_at: Date | null;
}

export interface TickResult {
  enqueued: number;
  duplicate: number;
  skipped: number;
  missed: number;
  planned: number;
}

// next_run_at for an integration whose schedule cannot be parsed: parked until the schedule is
// edited (the table's trigger resets next_run_at to null then).
const PARKED = "infinity";

/**
 * Rows are locked FOR NO KEY UPDATE (what an UPDATE of next_run_at needs): FOR UPDATE would also
 * block the foreign-key checks of runs being inserted for these integrations, and a manual
 * trigger holding its advisory lock while waiting for that check deadlocked with the tick.
 *
 * One scheduler tick: every due integration (enabled, with a cron, next_run_at ≤ now or unset)
 * is planned in TypeScript and applied in SQL — under the integration rows' locks taken with
 * SKIP LOCKED, so concurrent ticks from any number of workers split the work instead of
 * repeating it; idempotency keys make even a repeated period a no-op.
 *
 * Per batch, integrations without missed periods (the common case) go to
 * `sync_engine.schedule_due_periods` in one call; those with missed periods go one by one to
 * `sync_engine.schedule_periods`. Plans are memoized per (cron, zone, next_run_at) within a
 * tick: integrations due together mostly share a schedule, and croner costs ≈ 0.1 ms a plan.
 * Measured (bench/sections/scheduler.ts, 100,000 integrations due at once, PostgreSQL 15 on 2
 * shared cores): one round trip per integration took ≈ 60 s; batched and memoized, see
 * docs/benchmarks.md.
 */
export async function schedulerTick(
  db: Db,
  now: Date,
  config: Pick<WorkerConfig, "schedulerBatch" | "catchUpWindowSeconds">,
  log: EngineLogger,
): Promise<TickResult> {
  const total: TickResult = { enqueued: 0, duplicate: 0, skipped: 0, missed: 0, planned: 0 };
  const plans = new Map<string, PlanResult | Error>();
  const planFor = (i: DueIntegration): PlanResult | Error => {
    const key = `${i.schedule_cron}\u0000${i.schedule_timezone}\u0000${i.next_run_at?.getTime() ?? "new"}`;
    let plan = plans.get(key);
    if (!plan) {
      try {
        plan = planSchedule({
          cron: i.schedule_cron,
          timezone: i.schedule_timezone,
          nextRunAt: i.next_run_at,
          now,
          catchUpWindowMs: config.catchUpWindowSeconds * 1000,
        });
      } catch (error) {
        plan = error instanceof Error ? error : new Error(String(error));
      }
      plans.set(key, plan);
    }
    return plan;
  };
  const count = (integration: DueIntegration, o: { run_id: string; outcome: string }) => {
    // enqueued | duplicate (period already handled) | skipped (overlap) | missed
    if (o.outcome === "enqueued") total.enqueued++;
    else if (o.outcome === "duplicate") total.duplicate++;
    else if (o.outcome === "skipped") total.skipped++;
    else if (o.outcome === "missed") total.missed++;
    log.info({
      event: "scheduled_period",
      integration_id: integration.id,
      org_id: integration.org_id,
      integration: integration.integration_type,
      run_id: o.run_id,
      outcome: o.outcome,
    });
  };
  for (;;) {
    const batch = await db.transaction(async (tx) => {
      // coalesce(…, '-infinity') matches organization_integrations_due_idx: one range scan.
      const { rows } = await tx.query<DueIntegration>(
        `select i.id, i.org_id, i.integration_type, i.schedule_cron, i.schedule_timezone, i.next_run_at
         from public.organization_integrations i
         where i.enabled and i.schedule_cron is not null
           and coalesce(i.next_run_at, '-infinity'::timestamptz) <= $1
         order by coalesce(i.next_run_at, '-infinity'::timestamptz)
         limit $2
         for no key update skip locked`,
        [now, config.schedulerBatch],
      );
      const simple: Array<{ integration: DueIntegration; plan: PlanResult }> = [];
      for (const integration of rows) {
        const plan = planFor(integration);
        if (plan instanceof Error) {
          log.error({
            event: "schedule_invalid",
            integration_id: integration.id,
            org_id: integration.org_id,
            cron: integration.schedule_cron,
            error: String(plan),
          });
          await tx.query("update public.organization_integrations set next_run_at = $2 where id = $1", [
            integration.id,
            PARKED,
          ]);
          continue;
        }
        total.planned++;
        if (plan.missed.length === 0) {
          simple.push({ integration, plan });
          continue;
        }
        const { rows: outcomes } = await tx.query<{ run_id: string; outcome: string }>(
          "select * from sync_engine.schedule_periods($1, $2, $3, $4::timestamptz[], $5)",
          [integration.id, integration.next_run_at, plan.runPeriod, plan.missed, plan.newNextRunAt],
        );
        for (const o of outcomes) count(integration, o);
        if (plan.missedUnrecorded > 0) {
          log.warn({
            event: "schedule_missed_unrecorded",
            integration_id: integration.id,
            count: plan.missedUnrecorded,
          });
        }
      }
      if (simple.length > 0) {
        const byId = new Map(simple.map((s) => [s.integration.id, s.integration]));
        const { rows: outcomes } = await tx.query<{
          integration_id: string;
          run_id: string;
          outcome: string;
        }>(
          "select * from sync_engine.schedule_due_periods($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[])",
          [
            simple.map((s) => s.integration.id),
            simple.map((s) => s.integration.next_run_at),
            simple.map((s) => s.plan.runPeriod),
            simple.map((s) => s.plan.newNextRunAt),
          ],
        );
        for (const o of outcomes) {
          const integration = byId.get(o.integration_id);
          if (integration) count(integration, o);
        }
      }
      return rows.length;
    });
    if (batch < config.schedulerBatch) return total;
  }
}
