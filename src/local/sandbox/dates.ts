/**
 * Whether `text` is a real `YYYY-MM-DD` calendar date (`Date.parse` alone accepts 2026-02-30).
 *
 * @example
 * isCalendarDate("2026-02-28"); // true
 * isCalendarDate("2026-02-30"); // false
 */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/**
 * Now (or `at`) as Xledger stores `createdAt`/`modifiedAt`: Central European wall-clock time without an
 * offset, `YYYY-MM-DDTHH:mm:ss` (xledger/graphql-samples: "The Xledger modifiedAt datetimes are stored in
 * CET", `ISO_8601_DateTimeFormat = "yyyy-MM-ddTHH:mm:ss"`).
 *
 * @example
 * xledgerWallClock(new Date("2026-07-01T10:00:00Z")); // "2026-07-01T12:00:00"
 */
export function xledgerWallClock(at: Date = new Date()): string {
  // sv-SE writes "2026-07-01 12:00:00", which is ISO order already.
  return at.toLocaleString("sv-SE", { timeZone: "Europe/Oslo", hourCycle: "h23" }).replace(" ", "T");
}

/** Whether `text` is a `DateTimeString` as the official sample sends it (`yyyy-MM-ddTHH:mm:ss`). */
export function isWallClockDateTime(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(text) && isCalendarDate(text.slice(0, 10));
}
