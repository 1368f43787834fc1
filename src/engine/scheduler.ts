import type { Db } from "../db/types.ts";
import type { WorkerConfig } from "./config.ts";
import type { EngineLogger } from "./logger.ts";
import { planSchedule } from "./schedulePlan.ts";

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
 * is planned in TypeScript and applied by `sync_engine.schedule_periods` — under the integration
 * rows' locks taken with SKIP LOCKED, so concurrent ticks from any number of workers split the
 * work instead of repeating it; idempotency keys make even a repeated period a no-op.
 */
export async function schedulerTick(
  db: Db,
  now: Date,
  config: Pick<WorkerConfig, "schedulerBatch" | "catchUpWindowSeconds">,
  log: EngineLogger,
): Promise<TickResult> {
  const total: TickResult = { enqueued: 0, duplicate: 0, skipped: 0, missed: 0, planned: 0 };
  for (;;) {
    const batch = await db.transaction(async (tx) => {
      const { rows } = await tx.query<DueIntegration>(
        `select i.id, i.org_id, i.integration_type, i.schedule_cron, i.schedule_timezone, i.next_run_at
         from public.organization_integrations i
         where i.enabled and i.schedule_cron is not null and (i.next_run_at is null or i.next_run_at <= $1)
         order by i.next_run_at nulls first
         limit $2
         for no key update skip locked`,
        [now, config.schedulerBatch],
      );
      for (const integration of rows) {
        let plan: ReturnType<typeof planSchedule>;
        try {
          plan = planSchedule({
            cron: integration.schedule_cron,
            timezone: integration.schedule_timezone,
            nextRunAt: integration.next_run_at,
            now,
            catchUpWindowMs: config.catchUpWindowSeconds * 1000,
          });
        } catch (error) {
          log.error({
            event: "schedule_invalid",
            integration_id: integration.id,
            org_id: integration.org_id,
            cron: integration.schedule_cron,
            error: String(error),
          });
          await tx.query("update public.organization_integrations set next_run_at = $2 where id = $1", [
            integration.id,
            PARKED,
          ]);
          continue;
        }
        const { rows: outcomes } = await tx.query<{ run_id: string; outcome: string }>(
          "select * from sync_engine.schedule_periods($1, $2, $3, $4::timestamptz[], $5)",
          [integration.id, integration.next_run_at, plan.runPeriod, plan.missed, plan.newNextRunAt],
        );
        total.planned++;
        for (const o of outcomes) {
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
        }
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
    if (batch < config.schedulerBatch) return total;
  }
}
