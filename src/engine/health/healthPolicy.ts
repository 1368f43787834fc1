import { isRateLimitCode } from "../../integrations/errors.ts";

/**
 * Health-check policy, pure and runtime-neutral (docs/architecture.md §5.4): how often to ping, how to back off,
 * what a result means, when to stop pinging. Xledger bills every GraphQL request against a
 * monthly allowance (5,000 included): one ping per 15 minutes is 2,880 a month, so the minimum
 * interval is enforced, not just defaulted.
 */
export const MIN_HEALTH_INTERVAL_MS = 15 * 60_000;

export type HealthStatus = "unknown" | "healthy" | "degraded" | "unhealthy";
export type HealthMode = "active" | "passive";

export interface HealthDecision {
  status: HealthStatus;
  mode: HealthMode;
  nextCheckAt: Date;
}

/**
 * What one ping outcome means. `failuresBefore` is the consecutive failure count before it.
 * Backoff after k consecutive failures: interval · 2^k, capped (15 min → 30 → 60 → … → cap).
 * @example decideHealth({ ok: false, errorCode: "server_error", failuresBefore: 0, now, intervalMs: 900_000, backoffCapMs: 21_600_000 })
 */
export function decideHealth(input: {
  ok: boolean;
  errorCode?: string | undefined;
  failuresBefore: number;
  now: Date;
  intervalMs: number;
  backoffCapMs: number;
}): HealthDecision {
  const interval = Math.max(input.intervalMs, MIN_HEALTH_INTERVAL_MS);
  if (input.ok) {
    return { status: "healthy", mode: "active", nextCheckAt: new Date(input.now.getTime() + interval) };
  }
  const failures = input.failuresBefore + 1;
  const delay = Math.min(Math.max(input.backoffCapMs, interval), interval * 2 ** failures);
  // Rationed (isRateLimitCode): pinging more would burn the quota the syncs need.
  const quota = input.errorCode !== undefined && isRateLimitCode(input.errorCode);
  return {
    // One failure is a blip (degraded); three in a row (≈ 1 h 45 min with backoff) is unhealthy.
    status: quota ? "degraded" : failures >= 3 ? "unhealthy" : "degraded",
    mode: quota ? "passive" : "active",
    nextCheckAt: new Date(input.now.getTime() + delay),
  };
}
