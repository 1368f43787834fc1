import { Cron } from "croner";
import type { Locale } from "../../src/client/index.ts";

/**
 * A cron expression in words when it is a plain daily time ("0 2 * * *" → "Daily at 02:00"),
 * else null (the caller shows the expression itself).
 * @example describeCron("30 2 * * *", "nb") // "Daglig kl. 02:30"
 */
export function describeCron(cron: string, locale: Locale): string | null {
  const m = /^(\d{1,2})\s+(\d{1,2})\s+\*\s+\*\s+\*$/.exec(cron.trim());
  if (!m) return null;
  const time = `${(m[2] ?? "").padStart(2, "0")}:${(m[1] ?? "").padStart(2, "0")}`;
  return locale === "nb" ? `Daglig kl. ${time}` : `Daily at ${time}`;
}

/**
 * The next `count` run times of a schedule in its zone (croner, the scheduler's own parser), or
 * null when the expression is not a schedule croner can run. The server's check
 * (`configure_integration`) is the authority; this is the preview.
 * @example nextRuns("0 2 * * *", "Europe/Oslo", 5)?.length // 5
 */
export function nextRuns(cron: string, timezone: string, count = 5, from = new Date()): Date[] | null {
  if (cron.trim().split(/\s+/).length !== 5) return null;
  try {
    return new Cron(cron.trim(), { timezone, paused: true }).nextRuns(count, from);
  } catch {
    return null;
  }
}

/** The viewer's own IANA zone, e.g. "Europe/Oslo". */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** IANA zones the browser knows, with `extra` (the stored zone) kept even if the list lacks it. */
export function timeZones(extra: string): string[] {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return zones.includes(extra) ? zones : [extra, ...zones];
}

/**
 * A date in a given zone, e.g. "Mon 30.11.2026, 02:00" — weekday included since schedules are often weekly.
 * @example formatInZone(new Date(), "America/New_York", "en")
 */
export function formatInZone(date: Date, timeZone: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === "nb" ? "nb-NO" : "en-GB", {
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
  }).format(date);
}
