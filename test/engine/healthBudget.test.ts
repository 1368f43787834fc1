/**
 * The health monitor's ping budget, driven with a fake clock: the pure policy over a simulated month
 * (idle, busy, failing, late-starting integrations), printing the figures docs/engine.md quotes.
 */
import { describe, expect, it } from "vitest";
import {
  decideHealth,
  MIN_HEALTH_INTERVAL_MS,
  pingSpacing,
  planHealthCheck,
} from "../../src/engine/health/healthPolicy.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const XLEDGER = { monthlyAllowance: 5_000, share: 0.05 };

interface Simulation {
  /** Start and end of the simulated stretch. */
  from: Date;
  to: Date;
  /** Whether the integration has a successful export at this instant (checked every tick). */
  exportsAt?: (t: Date) => boolean;
  /** Whether a ping at this instant fails, and with what code. */
  pingFails?: (t: Date) => string | undefined;
  /** Pings already spent this month before `from`. */
  pingsBefore?: number;
  /** The newest evidence of health before `from` (e.g. last month's last export). */
  evidenceBefore?: Date;
  monthlyAllowance?: number | null;
}

/**
 * Runs the monitor's decisions the way runHealthChecks does, one tick a minute (healthCheckSeconds 60):
 * a due integration is either deferred or pinged, and each outcome decides the next check.
 */
function simulate(sim: Simulation) {
  const tick = MIN;
  let nextCheckAt = sim.from.getTime();
  let pingsThisMonth = sim.pingsBefore ?? 0;
  let month = sim.from.getUTCMonth();
  let evidenceAt: number | null = sim.evidenceBefore?.getTime() ?? null;
  let failures = 0;
  let mode: "active" | "passive" = "active";
  let passiveUntil: number | null = null;
  const pings: number[] = [];
  let deferrals = 0;
  for (let t = sim.from.getTime(); t < sim.to.getTime(); t += tick) {
    const now = new Date(t);
    if (now.getUTCMonth() !== month) {
      month = now.getUTCMonth();
      pingsThisMonth = 0;
    }
    if (sim.exportsAt?.(now)) evidenceAt = t;
    if (mode === "passive") {
      if (passiveUntil !== null && t >= passiveUntil) {
        mode = "active";
        nextCheckAt = t;
      } else continue;
    }
    if (t < nextCheckAt) continue;
    const plan = planHealthCheck({
      now,
      intervalMs: 15 * MIN,
      monthlyAllowance: sim.monthlyAllowance === undefined ? XLEDGER.monthlyAllowance : sim.monthlyAllowance,
      share: XLEDGER.share,
      pingsThisMonth,
      evidenceAt: evidenceAt === null ? null : new Date(evidenceAt),
    });
    if (plan.kind === "defer") {
      deferrals++;
      nextCheckAt = plan.nextCheckAt.getTime();
      continue;
    }
    pings.push(t);
    pingsThisMonth++;
    const code = sim.pingFails?.(now);
    const decision = decideHealth({
      ok: code === undefined,
      errorCode: code,
      failuresBefore: failures,
      now,
      intervalMs: 15 * MIN,
      spacingMs: plan.spacingMs,
      backoffCapMs: 6 * HOUR,
      quietMs: HOUR,
    });
    failures = code === undefined ? 0 : failures + 1;
    if (code === undefined) evidenceAt = t;
    mode = decision.mode;
    passiveUntil = decision.passiveUntil?.getTime() ?? null;
    nextCheckAt = decision.nextCheckAt.getTime();
  }
  const gaps = pings.slice(1).map((p, i) => p - (pings[i] as number));
  return { pings: pings.length, deferrals, maxGapHours: gaps.length ? Math.max(...gaps) / HOUR : null };
}

const march = { from: new Date("2026-03-01T00:00:00Z"), to: new Date("2026-04-01T00:00:00Z") };
const february = { from: new Date("2026-02-01T00:00:00Z"), to: new Date("2026-03-01T00:00:00Z") };

describe("ping budget (pure policy)", () => {
  it("spreads 5 % of 5,000 evenly over the month: 250 pings, one every 2 h 58.6 min in a 31-day month", () => {
    const s = pingSpacing({ now: march.from, intervalMs: 15 * MIN, ...XLEDGER, pingsThisMonth: 0 });
    expect(s).toEqual({ spacingMs: Math.ceil((31 * 24 * HOUR) / 250), exhaustedUntil: null, budget: 250 });
    expect(s.spacingMs / MIN).toBeCloseTo(178.56, 2);
  });

  it("never pings once the month's budget is spent, until the next month", () => {
    const plan = planHealthCheck({
      now: new Date("2026-03-20T10:00:00Z"),
      intervalMs: 15 * MIN,
      ...XLEDGER,
      pingsThisMonth: 250,
      evidenceAt: null,
    });
    expect(plan).toEqual({ kind: "defer", nextCheckAt: new Date("2026-04-01T00:00:00Z"), reason: "budget" });
  });

  it("fresh evidence replaces a ping; stale evidence does not", () => {
    const now = new Date("2026-03-10T12:00:00Z");
    const spacing = pingSpacing({ now, intervalMs: 15 * MIN, ...XLEDGER, pingsThisMonth: 90 }).spacingMs;
    const fresh = new Date(now.getTime() - 30 * MIN);
    expect(
      planHealthCheck({ now, intervalMs: 15 * MIN, ...XLEDGER, pingsThisMonth: 90, evidenceAt: fresh }),
    ).toEqual({ kind: "defer", nextCheckAt: new Date(fresh.getTime() + spacing), reason: "evidence" });
    const stale = new Date(now.getTime() - spacing - 1);
    expect(
      planHealthCheck({ now, intervalMs: 15 * MIN, ...XLEDGER, pingsThisMonth: 90, evidenceAt: stale }).kind,
    ).toBe("ping");
  });

  it("Business Central has no monthly allowance: the 15-minute floor only", () => {
    expect(
      pingSpacing({
        now: march.from,
        intervalMs: MIN,
        monthlyAllowance: null,
        share: 0.05,
        pingsThisMonth: 9_999,
      }),
    ).toEqual({ spacingMs: MIN_HEALTH_INTERVAL_MS, exhaustedUntil: null, budget: null });
  });

  it("backoff after failures never pings faster than the budget allows", () => {
    const spacingMs = 3 * HOUR;
    const d = decideHealth({
      ok: false,
      errorCode: "server_error",
      failuresBefore: 5,
      now: march.from,
      intervalMs: 15 * MIN,
      spacingMs,
      backoffCapMs: HOUR,
    });
    expect(d.nextCheckAt.getTime() - march.from.getTime()).toBe(spacingMs);
  });

  it("a rationed ping goes passive for the quiet period, or until the API's retry time if later", () => {
    const base = {
      ok: false,
      failuresBefore: 0,
      now: march.from,
      intervalMs: 15 * MIN,
      backoffCapMs: 6 * HOUR,
    };
    const burst = decideHealth({ ...base, errorCode: "burst_limit", retryAfterSeconds: 5, quietMs: HOUR });
    expect([burst.mode, burst.passiveUntil]).toEqual(["passive", new Date(march.from.getTime() + HOUR)]);
    const credits = decideHealth({
      ...base,
      errorCode: "insufficient_credits",
      retryAfterSeconds: 30 * 3600,
      quietMs: HOUR,
    });
    expect(credits.passiveUntil).toEqual(new Date(march.from.getTime() + 30 * HOUR));
    expect(decideHealth({ ...base, errorCode: "timeout" })).toMatchObject({
      mode: "active",
      passiveUntil: null,
    });
  });
});

describe("a simulated month of an Xledger integration stays within the ping budget (≤ 5 % of 5,000)", () => {
  const budget = 250;
  const figures: Record<string, unknown> = {};

  it("idle (nothing exported): spends the budget evenly, never more", () => {
    const r = simulate(march);
    figures.idle_march = r;
    expect(r.pings).toBeLessThanOrEqual(budget);
    expect(r.pings).toBeGreaterThanOrEqual(budget - 2);
    expect(r.maxGapHours).toBeLessThan(3.1);
    const feb = simulate(february);
    figures.idle_february = feb;
    expect(feb.pings).toBeLessThanOrEqual(budget);
  });

  it("busy (an export every hour): never pinged", () => {
    const r = simulate({
      ...march,
      evidenceBefore: new Date("2026-02-28T23:05:00Z"),
      exportsAt: (t) => t.getUTCMinutes() === 5,
    });
    figures.busy_hourly = r;
    expect(r.pings).toBe(0);
    expect(r.deferrals).toBeGreaterThan(0);
  });

  it("daily export at 02:00: the export stands in for that day's ping, within budget", () => {
    const r = simulate({ ...march, exportsAt: (t) => t.getUTCHours() === 2 && t.getUTCMinutes() === 0 });
    figures.daily_export = r;
    expect(r.pings).toBeLessThanOrEqual(budget);
    expect(r.deferrals).toBe(31);
  });

  it("failing for the first week (API down), then healthy: still within budget", () => {
    const r = simulate({ ...march, pingFails: (t) => (t.getUTCDate() <= 7 ? "server_error" : undefined) });
    figures.failing_first_week = r;
    expect(r.pings).toBeLessThanOrEqual(budget);
  });

  it("rationed (burst limit every other ping): passive periods, still within budget", () => {
    let n = 0;
    const r = simulate({ ...march, pingFails: () => (n++ % 2 === 0 ? "burst_limit" : undefined) });
    figures.rationed = r;
    expect(r.pings).toBeLessThanOrEqual(budget);
  });

  it("200 pings already spent when the month is two-thirds gone: at most 50 more", () => {
    const r = simulate({ from: new Date("2026-03-21T00:00:00Z"), to: march.to, pingsBefore: 200 });
    figures.late_start = r;
    expect(r.pings).toBeLessThanOrEqual(50);
    expect(r.pings).toBeGreaterThanOrEqual(48);
    console.log("ping budget simulation (Xledger, 5 % of 5,000 = 250 pings/month):", JSON.stringify(figures));
  });
});
