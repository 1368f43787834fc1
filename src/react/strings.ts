import type { Locale, RunStatus } from "../client/index.ts";

/** The components' own words, English and Norwegian bokmål. Error texts come from the SDK. */
export interface ComponentStrings {
  syncNow: string;
  syncInProgress: string;
  syncing: string;
  status: Record<RunStatus, string>;
  noRun: string;
  loadingRun: string;
  runNotFound: string;
  records: (n: number) => string;
  started: string;
  finished: string;
  queued: string;
  error: string;
  availableAgainAt: (time: string) => string;
  readOnly: string;
}

const EN: ComponentStrings = {
  syncNow: "Sync now",
  syncInProgress: "Sync in progress",
  syncing: "Syncing…",
  status: {
    pending: "Pending",
    running: "Running",
    succeeded: "Succeeded",
    failed: "Failed",
    cancelled: "Cancelled",
    skipped: "Skipped",
  },
  noRun: "No sync has run yet.",
  loadingRun: "Loading sync status…",
  runNotFound: "This sync run could not be found.",
  records: (n) => (n === 1 ? "1 record exported" : `${n} records exported`),
  started: "Started",
  finished: "Finished",
  queued: "Queued",
  error: "Error",
  availableAgainAt: (time) => `"Sync now" can be pressed again at ${time}.`,
  readOnly: "Only administrators and coordinators can start a sync.",
};

const NB: ComponentStrings = {
  syncNow: "Synkroniser nå",
  syncInProgress: "Synkronisering pågår",
  syncing: "Synkroniserer…",
  status: {
    pending: "Venter",
    running: "Kjører",
    succeeded: "Fullført",
    failed: "Mislyktes",
    cancelled: "Avbrutt",
    skipped: "Hoppet over",
  },
  noRun: "Ingen synkronisering har kjørt ennå.",
  loadingRun: "Henter status…",
  runNotFound: "Fant ikke denne synkroniseringen.",
  records: (n) => (n === 1 ? "1 post eksportert" : `${n} poster eksportert`),
  started: "Startet",
  finished: "Ferdig",
  queued: "I kø",
  error: "Feil",
  availableAgainAt: (time) => `«Synkroniser nå» kan trykkes igjen kl. ${time}.`,
  readOnly: "Bare administratorer og koordinatorer kan starte en synkronisering.",
};

/**
 * The component strings for a locale.
 * @example componentStrings("nb").status.succeeded // "Fullført"
 */
export function componentStrings(locale: Locale): ComponentStrings {
  return locale === "nb" ? NB : EN;
}

/** BCP 47 tag for Intl formatting. */
export function intlLocale(locale: Locale): string {
  return locale === "nb" ? "nb-NO" : "en-GB";
}

/**
 * A timestamp as local date and time in the locale's style.
 * @example formatTime("2026-11-29T12:00:00Z", "nb") // "29.11.2026, 13:00:00"
 */
export function formatTime(
  iso: string | null,
  locale: Locale,
  style: "datetime" | "time" = "datetime",
): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  return new Intl.DateTimeFormat(
    intlLocale(locale),
    style === "time" ? { timeStyle: "medium" } : { dateStyle: "short", timeStyle: "medium" },
  ).format(date);
}
