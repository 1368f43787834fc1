import type { SyncErrorCode, SyncErrorDetails } from "./errorCodes.ts";
import type { Locale } from "./types.ts";

type Texts = Record<SyncErrorCode, (d: SyncErrorDetails, locale: Locale) => string>;

/** "4 minutes" / "45 seconds", rounded up so a user never comes back too early. */
export function formatWait(seconds: number, locale: Locale): string {
  if (seconds >= 60) {
    const minutes = Math.ceil(seconds / 60);
    if (locale === "nb") return minutes === 1 ? "1 minutt" : `${minutes} minutter`;
    return minutes === 1 ? "1 minute" : `${minutes} minutes`;
  }
  const s = Math.max(1, Math.ceil(seconds));
  if (locale === "nb") return s === 1 ? "1 sekund" : `${s} sekunder`;
  return s === 1 ? "1 second" : `${s} seconds`;
}

const EN: Texts = {
  permission_denied: (d) =>
    d.operation === "reconcile"
      ? "You don't have permission to start a reconciliation. Only administrators and coordinators can."
      : d.operation === "finding"
        ? "You don't have permission to act on reconciliation findings. Only administrators and coordinators can."
        : "You don't have permission to start a sync. Only administrators and coordinators can.",
  org_scope_violation: () =>
    "Your session belongs to another organization. Sign in to this organization and try again.",
  unknown_integration_type: () => "This accounting system is not supported.",
  integration_not_configured: () => "This accounting system is not set up for your organization.",
  integration_disabled: () => "This integration is turned off for your organization.",
  sync_already_in_progress: (d) =>
    d.operation === "reconcile"
      ? "An export of this integration is running. Reconcile when it has finished."
      : "A sync is already running. Showing its progress.",
  rate_limited: (d, l) => {
    const what =
      d.operation === "reconcile"
        ? "A reconciliation of this integration was started less than 15 minutes ago."
        : "A sync was started less than 5 minutes ago.";
    return d.retryAfterSeconds === undefined
      ? `${what} Try again later.`
      : `${what} Try again in ${formatWait(d.retryAfterSeconds, l)}.`;
  },
  network_error: () => "Could not reach the server. Check your connection and try again.",
  unknown: () => "Something went wrong. Try again, and contact support if it keeps happening.",
  run_not_found: () => "That sync run was not found in your organization.",
  run_not_active: () => "That sync has already finished.",
  invalid_settings: () => "Some settings are unknown or of the wrong type.",
  invalid_schedule: (d) =>
    `The schedule is not a valid 5-field cron expression${d.reason ? `: ${d.reason}` : "."}`,
  invalid_timezone: () => "Unknown time zone. Choose one from the list.",
  invalid_config: (d) =>
    `The configuration is not valid${d.issues?.length ? `: ${d.issues.map((i) => `${i.path} ${i.message}`).join("; ")}` : "."}`,
  invalid_credentials: () => "The credentials are incomplete. Fill in every field.",
  health_passive: () => "Health monitoring is passive. Set it back to active to test the connection.",
  invalid_notification_target: () => "The notification target is not valid. Check the name, URL and events.",
  notification_target_not_found: () => "That notification target no longer exists.",
  invalid_period: (d) =>
    d.reason === "start_after_end"
      ? "The period is not valid: the start date is after the end date."
      : d.reason === "too_long"
        ? `The period is too long: a reconciliation covers at most ${d.maxDays ?? 366} days.`
        : "The period is not valid: give both a start and an end date, or neither for last month and this month.",
  reconciliation_already_in_progress: () => "A reconciliation of this integration is already running.",
  finding_not_found: () => "That finding was not found in your organization.",
  finding_not_open: () => "Someone has already acted on that finding.",
  finding_not_requeueable: () =>
    "Only a missing entry can be re-queued for export. Acknowledge other differences with a note.",
  finding_not_acknowledgeable: () =>
    "A missing entry is not acknowledged: re-queue it so the next export sends it.",
  invalid_note: () => "Write a note of 1 to 500 characters.",
};

const NB: Texts = {
  permission_denied: (d) =>
    d.operation === "reconcile"
      ? "Du har ikke tilgang til å starte en avstemming. Bare administratorer og koordinatorer kan det."
      : d.operation === "finding"
        ? "Du har ikke tilgang til å behandle avvik fra avstemmingen. Bare administratorer og koordinatorer kan det."
        : "Du har ikke tilgang til å starte en synkronisering. Bare administratorer og koordinatorer kan det.",
  org_scope_violation: () =>
    "Økten din tilhører en annen organisasjon. Logg inn i denne organisasjonen og prøv igjen.",
  unknown_integration_type: () => "Dette regnskapssystemet støttes ikke.",
  integration_not_configured: () => "Dette regnskapssystemet er ikke satt opp for organisasjonen din.",
  integration_disabled: () => "Denne integrasjonen er slått av for organisasjonen din.",
  sync_already_in_progress: (d) =>
    d.operation === "reconcile"
      ? "En eksport fra denne integrasjonen pågår. Avstem når den er ferdig."
      : "En synkronisering pågår allerede. Viser fremdriften.",
  rate_limited: (d, l) => {
    const what =
      d.operation === "reconcile"
        ? "En avstemming av denne integrasjonen ble startet for mindre enn 15 minutter siden."
        : "En synkronisering ble startet for mindre enn 5 minutter siden.";
    return d.retryAfterSeconds === undefined
      ? `${what} Prøv igjen senere.`
      : `${what} Prøv igjen om ${formatWait(d.retryAfterSeconds, l)}.`;
  },
  network_error: () => "Fikk ikke kontakt med serveren. Sjekk tilkoblingen og prøv igjen.",
  unknown: () => "Noe gikk galt. Prøv igjen, og kontakt brukerstøtte hvis det fortsetter.",
  run_not_found: () => "Fant ikke denne synkroniseringen i organisasjonen din.",
  run_not_active: () => "Denne synkroniseringen er allerede ferdig.",
  invalid_settings: () => "Noen innstillinger er ukjente eller har feil type.",
  invalid_schedule: (d) =>
    `Tidsplanen er ikke et gyldig cron-uttrykk med 5 felt${d.reason ? `: ${d.reason}` : "."}`,
  invalid_timezone: () => "Ukjent tidssone. Velg en fra listen.",
  invalid_config: (d) =>
    `Konfigurasjonen er ikke gyldig${d.issues?.length ? `: ${d.issues.map((i) => `${i.path} ${i.message}`).join("; ")}` : "."}`,
  invalid_credentials: () => "Påloggingsopplysningene er ufullstendige. Fyll ut alle feltene.",
  health_passive: () => "Helseovervåkingen er passiv. Sett den tilbake til aktiv for å teste tilkoblingen.",
  invalid_notification_target: () => "Varslingsmottakeren er ikke gyldig. Sjekk navn, URL og hendelser.",
  notification_target_not_found: () => "Denne varslingsmottakeren finnes ikke lenger.",
  invalid_period: (d) =>
    d.reason === "start_after_end"
      ? "Perioden er ikke gyldig: startdatoen er etter sluttdatoen."
      : d.reason === "too_long"
        ? `Perioden er for lang: en avstemming dekker høyst ${d.maxDays ?? 366} dager.`
        : "Perioden er ikke gyldig: oppgi både start- og sluttdato, eller ingen av dem for forrige og denne måneden.",
  reconciliation_already_in_progress: () => "En avstemming av denne integrasjonen pågår allerede.",
  finding_not_found: () => "Fant ikke dette avviket i organisasjonen din.",
  finding_not_open: () => "Noen har allerede behandlet dette avviket.",
  finding_not_requeueable: () =>
    "Bare en manglende post kan legges i eksportkøen igjen. Kvitter ut andre avvik med en merknad.",
  finding_not_acknowledgeable: () =>
    "En manglende post kvitteres ikke ut: legg den i eksportkøen igjen, så sender neste eksport den.",
  invalid_note: () => "Skriv en merknad på 1 til 500 tegn.",
};

const TEXTS: Record<Locale, Texts> = { en: EN, nb: NB };

/**
 * The user-facing text for an error code in a locale (English or Norwegian bokmål).
 * @example syncErrorMessage("rate_limited", "nb", { retryAfterSeconds: 240 })
 * // → "En synkronisering ble startet for mindre enn 5 minutter siden. Prøv igjen om 4 minutter."
 */
export function syncErrorMessage(
  code: SyncErrorCode,
  locale: Locale,
  details: SyncErrorDetails = {},
): string {
  const texts = TEXTS[locale] ?? EN;
  return (texts[code] ?? texts.unknown)(details, locale);
}
