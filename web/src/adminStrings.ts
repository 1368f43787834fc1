import type { Locale, NotificationEvent } from "../../src/client/index.ts";

/** The words of the admin parts of the dashboard: settings, credentials, notifications, audit, chart. */
export interface AdminStrings {
  settings: string;
  settingsOf: (name: string) => string;
  onlyAdmins: string;
  status: string;
  running: string;
  paused: string;
  pause: string;
  resume: string;
  pausedNote: string;
  scheduleCron: string;
  scheduleHelp: string;
  manualOnly: string;
  timezone: string;
  preview: string;
  previewIn: (zone: string) => string;
  yourTime: (zone: string) => string;
  previewInvalid: string;
  saveSchedule: string;
  saved: string;
  saving: string;
  credentials: string;
  credentialsStored: (when: string) => string;
  credentialsMissing: string;
  credentialsNeverShown: string;
  credentialFields: Record<string, string>;
  saveCredentials: string;
  testConnection: string;
  testRequested: string;
  testResult: (ok: boolean, when: string, error: string | null) => string;
  healthMode: string;
  healthModeActive: string;
  healthModePassive: string;
  resumeHealth: string;
  cancel: string;
  cancelling: string;
  cancelDenied: string;
  nextRunIn: (zone: string) => string;
  notifications: string;
  notificationsHelp: string;
  targetName: string;
  targetUrl: string;
  targetEvents: string;
  addTarget: string;
  deleteTarget: string;
  secretOnce: string;
  noTargets: string;
  event: Record<NotificationEvent, string>;
  deliveries: string;
  noDeliveries: string;
  deliveryStatus: Record<"pending" | "delivered" | "failed", string>;
  attempts: (n: number) => string;
  audit: string;
  noAudit: string;
  auditAction: Record<string, string>;
  chart: (name: string) => string;
  chartSummary: (runs: number, failed: number) => string;
  duration: string;
  records: string;
  failedMarker: string;
}

const EN: AdminStrings = {
  settings: "Settings",
  settingsOf: (name) => `${name} settings`,
  onlyAdmins: "Only administrators can change settings. Ask an administrator of your organization.",
  status: "Status",
  running: "Running on schedule",
  paused: "Paused",
  pause: "Pause",
  resume: "Resume",
  pausedNote: "While paused, scheduled runs are skipped (and shown as skipped) and Sync now is refused.",
  scheduleCron: "Schedule (cron: minute hour day month weekday)",
  scheduleHelp: "Empty for manual only. Example: 0 2 * * * is every day at 02:00.",
  manualOnly: "Manual only: no scheduled runs.",
  timezone: "Time zone",
  preview: "Next five runs",
  previewIn: (zone) => `in ${zone}`,
  yourTime: (zone) => `your time (${zone})`,
  previewInvalid: "Not a valid schedule yet.",
  saveSchedule: "Save schedule",
  saved: "Saved.",
  saving: "Saving…",
  credentials: "Credentials",
  credentialsStored: (when) => `Stored (last changed ${when}). Enter new values to replace them.`,
  credentialsMissing: "No credentials stored.",
  credentialsNeverShown: "Stored secrets are never shown again.",
  credentialFields: { token: "API token", client_id: "Client ID", client_secret: "Client secret" },
  saveCredentials: "Save credentials",
  testConnection: "Test connection",
  testRequested: "Test requested; the result appears here within a minute.",
  testResult: (ok, when, error) =>
    ok ? `Connection OK (${when}).` : `Connection failed (${when}): ${error ?? "unknown error"}`,
  healthMode: "Health monitoring",
  healthModeActive: "Active: the connection is checked regularly.",
  healthModePassive: "Passive: health follows sync outcomes (checks were stopped, e.g. after rate limits).",
  resumeHealth: "Resume active monitoring",
  cancel: "Cancel",
  cancelling: "Cancelling…",
  cancelDenied: "Only administrators and coordinators can cancel a sync.",
  nextRunIn: (zone) => `your time, ${zone}`,
  notifications: "Notifications",
  notificationsHelp:
    "Webhooks receive drift, failed runs, health changes and rejected vouchers, signed with the target's secret (HMAC-SHA256).",
  targetName: "Name",
  targetUrl: "Webhook URL",
  targetEvents: "Events",
  addTarget: "Add webhook",
  deleteTarget: "Delete",
  secretOnce: "Signing secret (shown once, copy it now):",
  noTargets: "No notification targets.",
  event: {
    drift: "Schedule drift",
    run_failed: "Failed run",
    health_changed: "Health changed",
    vouchers_rejected: "Vouchers rejected",
    reconciliation_differences: "Reconciliation differences",
  },
  deliveries: "Delivery log",
  noDeliveries: "Nothing sent yet.",
  deliveryStatus: { pending: "Retrying", delivered: "Delivered", failed: "Gave up" },
  attempts: (n) => (n === 1 ? "1 attempt" : `${n} attempts`),
  audit: "Admin changes",
  noAudit: "No changes yet.",
  auditAction: {
    configure: "Changed settings",
    set_credentials: "Changed credentials",
    resume_health: "Resumed health monitoring",
    test_connection: "Tested the connection",
    notification_target_save: "Saved a webhook",
    notification_target_delete: "Deleted a webhook",
  },
  chart: (name) => `${name}: recent runs`,
  chartSummary: (runs, failed) => `${runs} runs, ${failed} failed`,
  duration: "Duration",
  records: "Records",
  failedMarker: "failed",
};

const NB: AdminStrings = {
  settings: "Innstillinger",
  settingsOf: (name) => `Innstillinger for ${name}`,
  onlyAdmins: "Bare administratorer kan endre innstillinger. Spør en administrator i organisasjonen din.",
  status: "Status",
  running: "Kjører etter tidsplan",
  paused: "Satt på pause",
  pause: "Sett på pause",
  resume: "Gjenoppta",
  pausedNote:
    "Under pause hoppes planlagte kjøringer over (og vises som hoppet over), og Synkroniser nå avvises.",
  scheduleCron: "Tidsplan (cron: minutt time dag måned ukedag)",
  scheduleHelp: "Tom for bare manuell. Eksempel: 0 2 * * * er hver dag kl. 02:00.",
  manualOnly: "Bare manuelt: ingen planlagte kjøringer.",
  timezone: "Tidssone",
  preview: "De neste fem kjøringene",
  previewIn: (zone) => `i ${zone}`,
  yourTime: (zone) => `din tid (${zone})`,
  previewInvalid: "Ikke en gyldig tidsplan ennå.",
  saveSchedule: "Lagre tidsplan",
  saved: "Lagret.",
  saving: "Lagrer…",
  credentials: "Påloggingsopplysninger",
  credentialsStored: (when) => `Lagret (sist endret ${when}). Fyll inn nye verdier for å erstatte dem.`,
  credentialsMissing: "Ingen påloggingsopplysninger lagret.",
  credentialsNeverShown: "Lagrede hemmeligheter vises aldri igjen.",
  credentialFields: { token: "API-token", client_id: "Klient-ID", client_secret: "Klienthemmelighet" },
  saveCredentials: "Lagre påloggingsopplysninger",
  testConnection: "Test tilkoblingen",
  testRequested: "Test bestilt; resultatet vises her innen et minutt.",
  testResult: (ok, when, error) =>
    ok ? `Tilkoblingen virker (${when}).` : `Tilkoblingen feilet (${when}): ${error ?? "ukjent feil"}`,
  healthMode: "Helseovervåking",
  healthModeActive: "Aktiv: tilkoblingen sjekkes jevnlig.",
  healthModePassive:
    "Passiv: helsen følger resultatet av synkroniseringer (sjekkene stoppet, f.eks. etter kvotegrenser).",
  resumeHealth: "Gjenoppta aktiv overvåking",
  cancel: "Avbryt",
  cancelling: "Avbryter…",
  cancelDenied: "Bare administratorer og koordinatorer kan avbryte en synkronisering.",
  nextRunIn: (zone) => `din tid, ${zone}`,
  notifications: "Varsler",
  notificationsHelp:
    "Webhooks mottar avvik, feilede kjøringer, helseendringer og avviste bilag, signert med mottakerens hemmelighet (HMAC-SHA256).",
  targetName: "Navn",
  targetUrl: "Webhook-URL",
  targetEvents: "Hendelser",
  addTarget: "Legg til webhook",
  deleteTarget: "Slett",
  secretOnce: "Signeringshemmelighet (vises én gang, kopier den nå):",
  noTargets: "Ingen varslingsmottakere.",
  event: {
    drift: "Avvik fra tidsplan",
    run_failed: "Feilet kjøring",
    health_changed: "Helseendring",
    vouchers_rejected: "Avviste bilag",
    reconciliation_differences: "Avvik i avstemmingen",
  },
  deliveries: "Leveringslogg",
  noDeliveries: "Ingenting sendt ennå.",
  deliveryStatus: { pending: "Prøver igjen", delivered: "Levert", failed: "Ga opp" },
  attempts: (n) => (n === 1 ? "1 forsøk" : `${n} forsøk`),
  audit: "Administratorendringer",
  noAudit: "Ingen endringer ennå.",
  auditAction: {
    configure: "Endret innstillinger",
    set_credentials: "Endret påloggingsopplysninger",
    resume_health: "Gjenopptok helseovervåking",
    test_connection: "Testet tilkoblingen",
    notification_target_save: "Lagret en webhook",
    notification_target_delete: "Slettet en webhook",
  },
  chart: (name) => `${name}: siste kjøringer`,
  chartSummary: (runs, failed) => `${runs} kjøringer, ${failed} feilet`,
  duration: "Varighet",
  records: "Poster",
  failedMarker: "feilet",
};

/** @example adminStrings("nb").pause // "Sett på pause" */
export function adminStrings(locale: Locale): AdminStrings {
  return locale === "nb" ? NB : EN;
}
