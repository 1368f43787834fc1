import { isRateLimitCode } from "../../integrations/errors.ts";

/**
 * Health-check policy, pure and runtime-neutral: whether to ping at all, how often, how to back off,
 * what a result means, when to stop pinging and when to start again (docs/engine.md "Health monitor",
 * docs/architecture.md §5.4).
 *
 * Pings cost quota. Xledger includes 5,000 GraphQL requests a month and charges for each one beyond
 * (UK help centre "How to Use the Xledger GraphQL API Economically"); a ping every 15 minutes would be
 * 2,880 a month, 58 % of it. So pings get a budget — a share of the integration's monthly allowance,
 * 5 % by default (250 Xledger pings) — spread evenly over what is left of the month, and any recent
 * proof of health (a successful ping or a run that exported something) stands in for a ping.
 * Business Central's limit is a rate (6,000 requests per 5 minutes per user), not a monthly allowance,
 * so its pings only keep the 15-minute floor.
 */
export const MIN_HEALTH_INTERVAL_MS = 15 * 60_000;
/** Default share of the monthly allowance health pings may spend. */
export const DEFAULT_PING_SHARE = 0.05;

export type HealthStatus = "unknown" | "healthy" | "degraded" | "unhealthy";
export type HealthMode = "active" | "passive";

export interface HealthDecision {
  status: HealthStatus;
  mode: HealthMode;
  nextCheckAt: Date;
  /** With mode passive: when the integration may return to active by itself. */
  passiveUntil: Date | null;
}

/** What the ping budget of one integration allows right now. */
export interface PingSpacing {
  /** Time between pings that spends what is left of this month's budget evenly (≥ the configured interval). */
  spacingMs: number;
  /** Set when this month's budget is spent: no ping before this (the first instant of next month, UTC). */
  exhaustedUntil: Date | null;
  /** This month's budget, `null` when the API has no monthly allowance. */
  budget: number | null;
}

/**
 * Spreads this month's remaining ping budget over the rest of the month. Budget = ⌊allowance · share⌋
 * (5,000 · 5 % = 250); with L pings left and T until the month ends the spacing is
 * max(interval, month length / budget, T / L): never faster than the month's fair share, and slower when
 * more was spent than pro rata, so however the month started — new integration, failures, pings spent by
 * an earlier release — its total can never exceed the budget. Months are UTC calendar months, as the
 * tally counts them.
 * @example pingSpacing({ now, intervalMs: 900_000, monthlyAllowance: 5000, share: 0.05, pingsThisMonth: 0 })
 */
export function pingSpacing(input: {
  now: Date;
  intervalMs: number;
  monthlyAllowance: number | null;
  share: number;
  pingsThisMonth: number;
}): PingSpacing {
  const interval = Math.max(input.intervalMs, MIN_HEALTH_INTERVAL_MS);
  if (input.monthlyAllowance === null) return { spacingMs: interval, exhaustedUntil: null, budget: null };
  const budget = Math.floor(input.monthlyAllowance * input.share);
  const left = budget - input.pingsThisMonth;
  const monthEnd = nextMonthUtc(input.now);
  if (left <= 0) return { spacingMs: interval, exhaustedUntil: monthEnd, budget };
  // The month's fair share (31 days / 250 = 2 h 58.6 min) is a floor: budget a busy integration did not
  // need is not saved up and spent in a burst at the month's end.
  const fair = Math.ceil((monthEnd.getTime() - monthStartUtc(input.now).getTime()) / budget);
  const spread = Math.ceil((monthEnd.getTime() - input.now.getTime()) / left);
  return { spacingMs: Math.max(interval, fair, spread), exhaustedUntil: null, budget };
}

/** Ping now, or not before `nextCheckAt` (fresh evidence of health, or the month's budget is spent). */
export type HealthPlan =
  | { kind: "ping"; spacingMs: number }
  | { kind: "defer"; nextCheckAt: Date; reason: "evidence" | "budget" };

/**
 * Whether a due integration is pinged. Evidence younger than the spacing is as good as a ping, so an
 * integration that exports more often than that is never pinged; the next check moves to one spacing
 * after the evidence, and a new export moves it again.
 * @example planHealthCheck({ now, intervalMs: 900_000, monthlyAllowance: 5000, share: 0.05, pingsThisMonth: 3, evidenceAt: null })
 */
export function planHealthCheck(input: {
  now: Date;
  intervalMs: number;
  monthlyAllowance: number | null;
  share: number;
  pingsThisMonth: number;
  evidenceAt: Date | null;
}): HealthPlan {
  const { spacingMs, exhaustedUntil } = pingSpacing(input);
  const evidence = input.evidenceAt?.getTime();
  if (evidence !== undefined && input.now.getTime() - evidence < spacingMs) {
    return { kind: "defer", nextCheckAt: new Date(evidence + spacingMs), reason: "evidence" };
  }
  if (exhaustedUntil !== null) return { kind: "defer", nextCheckAt: exhaustedUntil, reason: "budget" };
  return { kind: "ping", spacingMs };
}

/**
 * What one ping outcome means. `failuresBefore` is the consecutive failure count before it; `spacingMs`
 * (default the interval) is the budget's spacing from {@link planHealthCheck}. Backoff after k consecutive
 * failures: spacing · 2^k, capped (but never below the spacing, so failures never spend more than the
 * budget). A rationed ping goes passive for the quiet period, or until the API's own retry time if later.
 * @example decideHealth({ ok: false, errorCode: "server_error", failuresBefore: 0, now, intervalMs: 900_000, backoffCapMs: 21_600_000 })
 */
export function decideHealth(input: {
  ok: boolean;
  errorCode?: string | undefined;
  retryAfterSeconds?: number | undefined;
  failuresBefore: number;
  now: Date;
  intervalMs: number;
  spacingMs?: number | undefined;
  backoffCapMs: number;
  /** How long a rationed integration stays passive at least; default 1 hour. */
  quietMs?: number | undefined;
}): HealthDecision {
  const spacing = Math.max(input.spacingMs ?? input.intervalMs, input.intervalMs, MIN_HEALTH_INTERVAL_MS);
  const at = input.now.getTime();
  if (input.ok) {
    return { status: "healthy", mode: "active", nextCheckAt: new Date(at + spacing), passiveUntil: null };
  }
  const failures = input.failuresBefore + 1;
  const delay = Math.min(Math.max(input.backoffCapMs, spacing), spacing * 2 ** failures);
  // Rationed (isRateLimitCode): pinging more would burn the quota the syncs need.
  if (input.errorCode !== undefined && isRateLimitCode(input.errorCode)) {
    const quiet = Math.max(input.quietMs ?? 3_600_000, (input.retryAfterSeconds ?? 0) * 1000);
    return {
      status: "degraded",
      mode: "passive",
      nextCheckAt: new Date(at + Math.max(delay, quiet)),
      passiveUntil: new Date(at + quiet),
    };
  }
  return {
    // One failure is a blip (degraded); three in a row is unhealthy.
    status: failures >= 3 ? "unhealthy" : "degraded",
    mode: "active",
    nextCheckAt: new Date(at + delay),
    passiveUntil: null,
  };
}

function monthStartUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

function nextMonthUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}
