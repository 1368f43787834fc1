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

// Periods walked one by one before jumping to the catch-up window (see planSchedule).
const MAX_WALK = 100_000;

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
  // Periods before `floor` are past the catch-up window: they can only be missed.
  const floor = new Date(input.now.getTime() - Math.max(input.catchUpWindowMs, 0) - 1);
  const due: Date[] = [];
  // A stored value JavaScript cannot represent (−infinity, or before 271821 BC) walks from the
  // catch-up window; what came before it is not counted.
  let period = Number.isFinite(input.nextRunAt.getTime()) ? input.nextRunAt : after(floor);
  // Bounded walk: a per-minute cron after a week of downtime is ~10k periods; past MAX_WALK (a
  // per-minute cron ≈ 69 days) the walk jumps to the catch-up window, so a next_run_at from years
  // ago costs one tick ≈ 0.1 s instead of holding it for hours. missedUnrecorded is then a lower bound.
  let counted = 0;
  while (period.getTime() <= input.now.getTime()) {
    if (counted >= MAX_WALK && period.getTime() < floor.getTime()) {
      period = after(floor);
      if (period.getTime() > input.now.getTime()) break;
    }
    counted++;
    due.push(period);
    if (due.length > 1000) due.shift();
    period = after(period);
  }
  const newNextRunAt = period;
  if (counted === 0) return { runPeriod: null, missed: [], missedUnrecorded: 0, newNextRunAt };
  const latest = due[due.length - 1] as Date;
  const runLatest = input.now.getTime() - latest.getTime() <= input.catchUpWindowMs;
  const missedAll = runLatest ? due.slice(0, -1) : due;
  const max = input.maxMissedRecorded ?? 100;
  const missed = missedAll.slice(-max);
  return {
    runPeriod: runLatest ? latest : null,
    missed,
    missedUnrecorded: counted - (runLatest ? 1 : 0) - missed.length,
    newNextRunAt,
  };
}
