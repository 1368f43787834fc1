import type { Integration, IntegrationType, Locale, OrgMember, SyncAlert } from "../../src/client/index.ts";

/** The dashboard's own words; the SDK and components carry theirs. */
export interface DashboardStrings {
  appName: string;
  language: string;
  signInTitle: string;
  email: string;
  password: string;
  signIn: string;
  signingIn: string;
  signInFailed: string;
  signOut: string;
  signedInAs: (email: string, role: string) => string;
  noOrg: string;
  loading: string;
  loadFailed: string;
  integrations: string;
  integrationName: Record<IntegrationType, string>;
  health: string;
  healthStatus: Record<Integration["healthStatus"], string>;
  healthMode: Record<Integration["healthMode"], string>;
  checked: string;
  schedule: string;
  noSchedule: string;
  timezone: string;
  nextRun: string;
  lastRun: string;
  never: string;
  disabled: string;
  statusOf: (name: string) => string;
  history: string;
  historyEmpty: string;
  col: { when: string; integration: string; trigger: string; who: string; drift: string; outcome: string };
  triggerType: { manual: string; scheduled: string };
  you: string;
  role: Record<OrgMember["role"], string>;
  alerts: string;
  alertsEmpty: string;
  alertKind: Record<SyncAlert["kind"], string>;
  severity: Record<SyncAlert["severity"], string>;
  resolved: string;
  records: (n: number) => string;
  /** A run of kind `reconcile` in the history. */
  reconciliation: string;
}

const EN: DashboardStrings = {
  appName: "Sync Scheduler",
  language: "Language",
  signInTitle: "Sign in",
  email: "Email",
  password: "Password",
  signIn: "Sign in",
  signingIn: "Signing in…",
  signInFailed: "Sign-in failed. Check the email and password.",
  signOut: "Sign out",
  signedInAs: (email, role) => `Signed in as ${email} (${role})`,
  noOrg: "Your account is not a member of any organization.",
  loading: "Loading…",
  loadFailed: "Could not load the dashboard.",
  integrations: "Integrations",
  integrationName: { xledger: "Xledger", dynamics: "Dynamics 365 Business Central" },
  health: "Health",
  healthStatus: { unknown: "Unknown", healthy: "Healthy", degraded: "Degraded", unhealthy: "Unhealthy" },
  healthMode: { active: "active checks", passive: "passive (from syncs)" },
  checked: "checked",
  schedule: "Schedule",
  noSchedule: "Manual only",
  timezone: "time zone",
  nextRun: "Next run",
  lastRun: "Last run",
  never: "Never",
  disabled: "Turned off",
  statusOf: (name) => `${name} sync status`,
  history: "Run history",
  historyEmpty: "No runs yet.",
  col: {
    when: "When",
    integration: "Integration",
    trigger: "Trigger",
    who: "Who",
    drift: "Drift",
    outcome: "Outcome",
  },
  triggerType: { manual: "Manual", scheduled: "Scheduled" },
  you: "You",
  role: { admin: "Administrator", coordinator: "Coordinator", peer_mentor: "Peer mentor", viewer: "Viewer" },
  alerts: "Alerts",
  alertsEmpty: "No drift or health alerts.",
  alertKind: {
    drift: "Schedule drift",
    health: "Health",
    missed: "Missed run",
    parked: "Stopped: needs attention",
    reconciliation: "Reconciliation differences",
  },
  severity: { info: "Info", warning: "Warning", critical: "Critical" },
  resolved: "resolved",
  records: (n) => (n === 1 ? "1 record" : `${n} records`),
  reconciliation: "reconciliation",
};

const NB: DashboardStrings = {
  appName: "Sync Scheduler",
  language: "Språk",
  signInTitle: "Logg inn",
  email: "E-post",
  password: "Passord",
  signIn: "Logg inn",
  signingIn: "Logger inn…",
  signInFailed: "Innloggingen mislyktes. Sjekk e-post og passord.",
  signOut: "Logg ut",
  signedInAs: (email, role) => `Logget inn som ${email} (${role})`,
  noOrg: "Kontoen din er ikke medlem av noen organisasjon.",
  loading: "Laster…",
  loadFailed: "Kunne ikke laste oversikten.",
  integrations: "Integrasjoner",
  integrationName: { xledger: "Xledger", dynamics: "Dynamics 365 Business Central" },
  health: "Helse",
  healthStatus: { unknown: "Ukjent", healthy: "Frisk", degraded: "Redusert", unhealthy: "Feil" },
  healthMode: { active: "aktive sjekker", passive: "passiv (fra synkroniseringer)" },
  checked: "sjekket",
  schedule: "Tidsplan",
  noSchedule: "Bare manuelt",
  timezone: "tidssone",
  nextRun: "Neste kjøring",
  lastRun: "Siste kjøring",
  never: "Aldri",
  disabled: "Slått av",
  statusOf: (name) => `Synkroniseringsstatus for ${name}`,
  history: "Kjørehistorikk",
  historyEmpty: "Ingen kjøringer ennå.",
  col: {
    when: "Når",
    integration: "Integrasjon",
    trigger: "Utløser",
    who: "Hvem",
    drift: "Avvik",
    outcome: "Resultat",
  },
  triggerType: { manual: "Manuell", scheduled: "Planlagt" },
  you: "Deg",
  role: { admin: "Administrator", coordinator: "Koordinator", peer_mentor: "Likeperson", viewer: "Leser" },
  alerts: "Varsler",
  alertsEmpty: "Ingen avviks- eller helsevarsler.",
  alertKind: {
    drift: "Avvik fra tidsplan",
    health: "Helse",
    missed: "Tapt kjøring",
    parked: "Stoppet: må sees på",
    reconciliation: "Avvik i avstemmingen",
  },
  severity: { info: "Info", warning: "Advarsel", critical: "Kritisk" },
  resolved: "løst",
  records: (n) => (n === 1 ? "1 post" : `${n} poster`),
  reconciliation: "avstemming",
};

/**
 * The dashboard strings for a locale.
 * @example dashboardStrings("nb").signIn // "Logg inn"
 */
export function dashboardStrings(locale: Locale): DashboardStrings {
  return locale === "nb" ? NB : EN;
}

/**
 * Signed drift in seconds with one decimal, e.g. "+3.2 s" ("+3,2 s" in Norwegian).
 * @example formatDrift(3200, "en") // "+3.2 s"
 */
export function formatDrift(ms: number | null, locale: Locale): string {
  if (ms === null) return "—";
  const seconds = new Intl.NumberFormat(locale === "nb" ? "nb-NO" : "en-GB", {
    maximumFractionDigits: 1,
    minimumFractionDigits: 1,
    signDisplay: "always",
  }).format(ms / 1000);
  return `${seconds} s`;
}
