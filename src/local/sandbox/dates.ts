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
