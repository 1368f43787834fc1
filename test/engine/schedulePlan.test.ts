import { describe, expect, it } from "vitest";
import { planSchedule } from "../../src/engine/schedule/schedulePlan.ts";

const day = 86_400_000;
const iso = (d: Date | null) => d?.toISOString() ?? null;

describe("planSchedule (croner, Europe/Oslo)", () => {
  it("starts a new schedule at its next period instead of running at once", () => {
    const p = planSchedule({
      cron: "0 2 * * *",
      timezone: "Europe/Oslo",
      nextRunAt: null,
      now: new Date("2026-11-29T12:00:00Z"),
      catchUpWindowMs: day,
    });
    expect(p).toEqual({
      runPeriod: null,
      missed: [],
      missedUnrecorded: 0,
      newNextRunAt: new Date("2026-11-30T01:00:00Z"),
    });
  });

  it("runs a due period and moves to the next one", () => {
    const p = planSchedule({
      cron: "0 2 * * *",
      timezone: "Europe/Oslo",
      nextRunAt: new Date("2026-11-30T01:00:00Z"),
      now: new Date("2026-11-30T01:00:05Z"),
      catchUpWindowMs: day,
    });
    expect(iso(p.runPeriod)).toBe("2026-11-30T01:00:00.000Z");
    expect(p.missed).toEqual([]);
    expect(iso(p.newNextRunAt)).toBe("2026-12-01T01:00:00.000Z");
  });

  it("spring forward (29 March 2026, 02:00→03:00): a 02:30 job runs once, at 03:00 local", () => {
    const p = planSchedule({
      cron: "30 2 * * *",
      timezone: "Europe/Oslo",
      nextRunAt: new Date("2026-03-28T01:30:00Z"), // 02:30 CET on the 28th
      now: new Date("2026-03-28T01:30:00Z"),
      catchUpWindowMs: day,
    });
    expect(iso(p.runPeriod)).toBe("2026-03-28T01:30:00.000Z");
    // 02:30 does not exist on the 29th; the period is 03:00 CEST = 01:00Z, then 02:30 CEST = 00:30Z.
    expect(iso(p.newNextRunAt)).toBe("2026-03-29T01:00:00.000Z");
    const next = planSchedule({
      cron: "30 2 * * *",
      timezone: "Europe/Oslo",
      nextRunAt: p.newNextRunAt,
      now: new Date("2026-03-29T01:00:00Z"),
      catchUpWindowMs: day,
    });
    expect(iso(next.newNextRunAt)).toBe("2026-03-30T00:30:00.000Z");
  });

  it("fall back (25 October 2026, 03:00→02:00): a 02:30 job runs once, not twice", () => {
    const p = planSchedule({
      cron: "30 2 * * *",
      timezone: "Europe/Oslo",
      nextRunAt: new Date("2026-10-25T00:30:00Z"), // first 02:30, CEST
      now: new Date("2026-10-25T01:45:00Z"), // after the second 02:30 (CET = 01:30Z)
      catchUpWindowMs: day,
    });
    expect(iso(p.runPeriod)).toBe("2026-10-25T00:30:00.000Z");
    expect(p.missed).toEqual([]);
    expect(iso(p.newNextRunAt)).toBe("2026-10-26T01:30:00.000Z");
  });

  it("after downtime runs only the latest missed period and lists the earlier ones", () => {
    const p = planSchedule({
      cron: "0 * * * *",
      timezone: "Europe/Oslo",
      nextRunAt: new Date("2026-11-29T08:00:00Z"),
      now: new Date("2026-11-29T11:20:00Z"),
      catchUpWindowMs: day,
    });
    expect(iso(p.runPeriod)).toBe("2026-11-29T11:00:00.000Z");
    expect(p.missed.map(iso)).toEqual([
      "2026-11-29T08:00:00.000Z",
      "2026-11-29T09:00:00.000Z",
      "2026-11-29T10:00:00.000Z",
    ]);
    expect(iso(p.newNextRunAt)).toBe("2026-11-29T12:00:00.000Z");
  });

  it("skips even the latest period when it is older than the catch-up window", () => {
    const p = planSchedule({
      cron: "0 2 * * *",
      timezone: "Europe/Oslo",
      nextRunAt: new Date("2026-11-20T01:00:00Z"),
      now: new Date("2026-11-29T12:00:00Z"),
      catchUpWindowMs: 3_600_000,
    });
    expect(p.runPeriod).toBeNull();
    expect(p.missed).toHaveLength(10);
  });

  it("records at most 100 missed periods and counts the rest", () => {
    const p = planSchedule({
      cron: "* * * * *",
      timezone: "UTC",
      nextRunAt: new Date("2026-11-29T00:00:00Z"),
      now: new Date("2026-11-29T03:00:00Z"),
      catchUpWindowMs: day,
    });
    expect(p.missed).toHaveLength(100);
    expect(p.missedUnrecorded).toBe(181 - 1 - 100);
    expect(iso(p.missed[99] ?? null)).toBe("2026-11-29T02:59:00.000Z");
  });

  it("throws on an invalid expression or zone", () => {
    const base = { nextRunAt: null, now: new Date(), catchUpWindowMs: day };
    expect(() => planSchedule({ ...base, cron: "not a cron", timezone: "Europe/Oslo" })).toThrow();
    expect(() => planSchedule({ ...base, cron: "0 2 * * *", timezone: "Mars/Olympus" })).toThrow();
  });
});
