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
