import { Cron } from "croner";

export interface PlanInput {
  cron: string;
  timezone: string;
  /** The stored next period start; null for a new or changed schedule. */
  nextRunAt: Date | null;
  now: Date;
  /** The latest missed period still runs if it is at most this old (ms). */
  catchUpWindowMs: number;
  /** At most this many earlier missed periods are recorded individually (newest first kept). */
  maxMissedRecorded?: number;
}

export interface PlanResult {
  /** The period to enqueue now, or null. */
  runPeriod: Date | null;
  /** Earlier periods to record as skipped (reason missed), oldest first. */
  missed: Date[];
  /** Missed periods beyond maxMissedRecorded, only counted. */
  missedUnrecorded: number;
  /** The next period start after now. */
  newNextRunAt: Date;
}

// Periods walked forward one by one before switching to walking back from now (see planSchedule):
// ≈ 0.2 s at croner's ≈ 0.2 ms a step; a per-minute cron after 16 hours of downtime is 1,000.
const MAX_WALK = 1000;

/**
 * Decides what a scheduler tick does for one integration. Pure and runtime-neutral: croner
 * computes periods in the integration's IANA time zone, DST-correct (a 02:30 job on Europe/Oslo's
 * spring-forward day runs once at 03:00 local; on fall-back day once, at the first 02:30).
 * @example planSchedule({ cron: "0 2 * * *", timezone: "Europe/Oslo", nextRunAt, now: new Date(), catchUpWindowMs: 86_400_000 })
 * @throws Error when the cron expression or time zone is invalid.
 */
export function planSchedule(input: PlanInput): PlanResult {
  const cron = new Cron(input.cron, { timezone: input.timezone, paused: true });
  const after = (d: Date): Date => {
    const next = cron.nextRun(d);
    if (!next) throw new Error(`cron "${input.cron}" has no future occurrence`);
    return next;
  };
  if (input.nextRunAt === null) {
    // A new schedule starts with its next period; it does not run "now" retroactively.
    return { runPeriod: null, missed: [], missedUnrecorded: 0, newNextRunAt: after(input.now) };
  }
  const nowMs = input.now.getTime();
  const max = input.maxMissedRecorded ?? 100;
  // A value JavaScript cannot represent (−infinity, before 271821 BC) or from before 1970 is not
  // a period anyone planned; it is treated like a walk that was cut short.
  const start =
    Number.isFinite(input.nextRunAt.getTime()) && input.nextRunAt.getTime() >= 0 ? input.nextRunAt : null;
  // Walk forward from the stored period, at most MAX_WALK steps: croner takes ≈ 0.2 ms a step in
  // a time zone, so a per-minute cron a year behind (525,600 periods) walked in full held the tick
  // for ≈ 100 s. Past MAX_WALK the newest periods are found walking back from now instead, and
  // missedUnrecorded becomes a lower bound.
  let due: Date[] = [];
  let counted = 0;
  let period: Date | null = start;
  while (period !== null && period.getTime() <= nowMs && counted < MAX_WALK) {
    counted++;
    due.push(period);
    if (due.length > max + 1) due.shift();
    period = after(period);
  }
  if (period === null || period.getTime() <= nowMs) {
    // previousRuns excludes a run exactly at its reference: + 1 ms makes "≤ now".
    due = cron
      .previousRuns(max + 1, new Date(nowMs + 1))
      .filter((d) => start === null || d.getTime() >= start.getTime())
      .reverse();
    counted = Math.max(counted, due.length);
    period = after(input.now);
  }
  const newNextRunAt = period;
  if (counted === 0) return { runPeriod: null, missed: [], missedUnrecorded: 0, newNextRunAt };
  const latest = due[due.length - 1] as Date;
  const runLatest = input.now.getTime() - latest.getTime() <= input.catchUpWindowMs;
  const missedAll = runLatest ? due.slice(0, -1) : due;
  const missed = missedAll.slice(-max);
  return {
    runPeriod: runLatest ? latest : null,
    missed,
    missedUnrecorded: counted - (runLatest ? 1 : 0) - missed.length,
    newNextRunAt,
  };
}
