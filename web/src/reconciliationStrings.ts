import type { FindingKind, FindingStatus, Locale } from "../../src/client/index.ts";

/** The words of the reconciliation section and the reconcile schedule setting, English and bokmål. */
export interface ReconciliationStrings {
  heading: string;
  intro: string;
  regionOf: (name: string) => string;
  never: string;
  reconcileNow: string;
  reconciling: string;
  readOnly: string;
  period: (from: string, to: string) => string;
  reconciledAt: (time: string) => string;
  differences: (n: number) => string;
  inProgress: string;
  failed: (message: string) => string;
  checked: (n: number) => string;
  linesRead: (n: number) => string;
  downloadCsv: string;
  findingsOf: (name: string) => string;
  noFindings: string;
  showing: (shown: number, total: number) => string;
  findingsHidden: string;
  col: {
    kind: string;
    voucher: string;
    account: string;
    date: string;
    exported: string;
    theirs: string;
    status: string;
    action: string;
  };
  kind: Record<FindingKind, string>;
  status: Record<FindingStatus, string>;
  requeue: string;
  note: string;
  acknowledge: string;
  actionFailed: (message: string) => string;
  scheduleLegend: string;
  scheduleLabel: string;
  scheduleHelp: string;
  scheduleOff: string;
  saveSchedule: string;
  nextReconcile: string;
}

const EN: ReconciliationStrings = {
  heading: "Reconciliation",
  intro:
    "What the accounting system holds for our references, read back and compared with what was exported, per period and account. Missing entries can be re-queued for export; other differences are acknowledged with a note.",
  regionOf: (name) => `${name} reconciliation`,
  never: "Not reconciled yet.",
  reconcileNow: "Reconcile now",
  reconciling: "Reconciling…",
  readOnly: "Only administrators and coordinators can start a reconciliation.",
  period: (from, to) => `${from} – ${to}`,
  reconciledAt: (time) => `Reconciled ✓ at ${time}`,
  differences: (n) => (n === 1 ? "1 difference" : `${n} differences`),
  inProgress: "Reconciliation in progress",
  failed: (message) => `Reconciliation failed: ${message}`,
  checked: (n) => (n === 1 ? "1 entry compared" : `${n} entries compared`),
  linesRead: (n) => (n === 1 ? "1 line read back" : `${n} lines read back`),
  downloadCsv: "Download CSV",
  findingsOf: (name) => `${name} findings`,
  noFindings: "No differences in the latest reconciliation.",
  showing: (shown, total) => `Showing the newest ${shown} of ${total} differences; the CSV has them all.`,
  findingsHidden: "Findings are shown to administrators and coordinators.",
  col: {
    kind: "Difference",
    voucher: "Voucher",
    account: "Account",
    date: "Date",
    exported: "Exported",
    theirs: "In the accounting system",
    status: "Status",
    action: "Action",
  },
  kind: {
    missing: "Missing",
    extra: "Extra (not exported by us)",
    amount_mismatch: "Amount differs",
    account_mismatch: "Account differs",
    date_mismatch: "Posted to another period",
  },
  status: { open: "Open", requeued: "Re-queued", acknowledged: "Acknowledged" },
  requeue: "Re-queue",
  note: "Note",
  acknowledge: "Acknowledge",
  actionFailed: (message) => `Could not change the finding: ${message}`,
  scheduleLegend: "Reconciliation",
  scheduleLabel: "Reconciliation schedule (cron)",
  scheduleHelp:
    "Empty: no scheduled reconciliation. 0 3 * * * (the default) reads back every day at 03:00, in the time zone above.",
  scheduleOff: "No scheduled reconciliation.",
  saveSchedule: "Save reconciliation schedule",
  nextReconcile: "Next reconciliation",
};

const NB: ReconciliationStrings = {
  heading: "Avstemming",
  intro:
    "Det regnskapssystemet har for våre referanser, lest tilbake og sammenlignet med det som ble eksportert, per periode og konto. Manglende poster kan legges i eksportkøen igjen; andre avvik kvitteres ut med en merknad.",
  regionOf: (name) => `Avstemming for ${name}`,
  never: "Ikke avstemt ennå.",
  reconcileNow: "Avstem nå",
  reconciling: "Avstemmer…",
  readOnly: "Bare administratorer og koordinatorer kan starte en avstemming.",
  period: (from, to) => `${from} – ${to}`,
  reconciledAt: (time) => `Avstemt ✓ ${time}`,
  differences: (n) => (n === 1 ? "1 avvik" : `${n} avvik`),
  inProgress: "Avstemming pågår",
  failed: (message) => `Avstemmingen mislyktes: ${message}`,
  checked: (n) => (n === 1 ? "1 post sammenlignet" : `${n} poster sammenlignet`),
  linesRead: (n) => (n === 1 ? "1 linje lest tilbake" : `${n} linjer lest tilbake`),
  downloadCsv: "Last ned CSV",
  findingsOf: (name) => `Avvik for ${name}`,
  noFindings: "Ingen avvik i siste avstemming.",
  showing: (shown, total) => `Viser de ${shown} nyeste av ${total} avvik; CSV-filen har alle.`,
  findingsHidden: "Avvik vises for administratorer og koordinatorer.",
  col: {
    kind: "Avvik",
    voucher: "Bilag",
    account: "Konto",
    date: "Dato",
    exported: "Eksportert",
    theirs: "I regnskapssystemet",
    status: "Status",
    action: "Handling",
  },
  kind: {
    missing: "Mangler",
    extra: "Ekstra (ikke eksportert av oss)",
    amount_mismatch: "Beløp avviker",
    account_mismatch: "Konto avviker",
    date_mismatch: "Bokført i annen periode",
  },
  status: { open: "Åpen", requeued: "I kø igjen", acknowledged: "Kvittert ut" },
  requeue: "Legg i kø igjen",
  note: "Merknad",
  acknowledge: "Kvitter ut",
  actionFailed: (message) => `Kunne ikke endre avviket: ${message}`,
  scheduleLegend: "Avstemming",
  scheduleLabel: "Tidsplan for avstemming (cron)",
  scheduleHelp:
    "Tom: ingen planlagt avstemming. 0 3 * * * (standard) leser tilbake hver dag kl. 03:00, i tidssonen over.",
  scheduleOff: "Ingen planlagt avstemming.",
  saveSchedule: "Lagre tidsplan for avstemming",
  nextReconcile: "Neste avstemming",
};

/**
 * The reconciliation strings for a locale.
 * @example reconciliationStrings("nb").reconcileNow // "Avstem nå"
 */
export function reconciliationStrings(locale: Locale): ReconciliationStrings {
  return locale === "nb" ? NB : EN;
}
