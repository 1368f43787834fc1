/**
 * Xledger's `DateTimeString`: a wall-clock time without offset, `yyyy-MM-ddTHH:mm:ss`, in Central European
 * time. Source: the official sample converts UTC to CET before filtering (`Dates.UtcToCET`,
 * `ISO_8601_DateTimeFormat = "yyyy-MM-ddTHH:mm:ss"` in xledger/graphql-samples `Webhooks-CSharp/Utils/Dates.cs`,
 * "The Xledger modifiedAt datetimes are stored in CET" in `ProjectSyncer.cs`).
 */

// .NET's "Central European Standard Time" observes summer time, like Europe/Oslo (Xledger is Norwegian).
const ZONE = "Europe/Oslo";

const FORMAT = new Intl.DateTimeFormat("en-GB", {
  timeZone: ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/**
 * Formats an instant as Xledger's Central European wall-clock `DateTimeString`.
 *
 * @example
 * xledgerDateTime(new Date("2026-01-15T12:00:00Z")); // "2026-01-15T13:00:00"
 */
export function xledgerDateTime(at: Date): string {
  const part = Object.fromEntries(FORMAT.formatToParts(at).map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day}T${part.hour}:${part.minute}:${part.second}`;
}
