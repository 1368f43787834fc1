import { type IntegrationType, runFromRow, type SyncRun } from "./types.ts";

/*
 * What a reconciliation run leaves behind, as a client reads it (docs/reconciliation.md): the run
 * itself (`sync_run_log` with kind 'reconcile' and its period in `progress`), one finding per entry
 * that differs (`reconciliation_findings`), and per month and account our total against theirs
 * (`reconciliation_totals`). Amounts stay text with two decimals: no float ever holds money here.
 */

/** How an exported entry differs from what the accounting system holds. */
export type FindingKind = "missing" | "extra" | "amount_mismatch" | "account_mismatch" | "date_mismatch";

/** `open` until someone re-queues it (`missing` only) or acknowledges it with a note. */
export type FindingStatus = "open" | "requeued" | "acknowledged";

/** One side of a finding: what we exported (`expected`) or what the accounting system holds (`actual`). */
export interface FindingLine {
  account: string | null;
  /** Signed, two decimals (`"101.00"`). */
  amount: string | null;
  currency: string | null;
  /** `YYYY-MM-DD`. */
  postingDate: string | null;
  voucherNumber: string | null;
  /** The accounting system's id of the line. */
  externalId: string | null;
  /** `journal` (not yet posted) or `posted`. */
  state: string | null;
}

/** One row of `public.reconciliation_findings`. */
export interface ReconciliationFinding {
  id: string;
  runId: string;
  orgId: string;
  integrationType: IntegrationType;
  /** Null for an `extra` line whose reference is not one of our entries. */
  ledgerEntryId: string | null;
  kind: FindingKind;
  /** Null for `extra`. */
  expected: FindingLine | null;
  /** Null for `missing`. */
  actual: FindingLine | null;
  foundAt: string;
  status: FindingStatus;
  actedBy: string | null;
  actedAt: string | null;
  note: string | null;
}

/** One row of `public.reconciliation_totals`: a month and account, our total against theirs. */
export interface ReconciliationTotal {
  runId: string;
  orgId: string;
  integrationType: IntegrationType;
  /** First day of the month, `YYYY-MM-DD`. */
  periodMonth: string;
  account: string;
  currency: string;
  /** Two decimals, e.g. `"1250.00"`. */
  ourTotal: string;
  theirTotal: string;
  ourEntries: number;
  theirEntries: number;
}

/** A reconciliation run with its period and counts (from the run's `progress`). */
export interface Reconciliation {
  run: SyncRun;
  /** `YYYY-MM-DD`; null until the engine has recorded the period. */
  periodStart: string | null;
  periodEnd: string | null;
  /** Expected entries compared. */
  checked: number;
  /** Findings the run recorded. */
  findings: number;
  /** API requests the read-back made (updated after each page while it runs). */
  requests: number;
  /** Lines read back from the accounting system so far (updated after each page). */
  linesRead: number;
}

export const FINDING_COLUMNS =
  "id,run_id,org_id,integration_type,ledger_entry_id,kind,expected,actual,found_at,status,acted_by,acted_at,note";

export const TOTAL_COLUMNS =
  "run_id,org_id,integration_type,period_month,account,currency,our_total,their_total,our_entries,their_entries";

type Row = Record<string, unknown>;

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * Integer cents of a decimal given as text (`"-12.5"`) or as the number PostgREST's JSON makes of a
 * `numeric` (`-12.5`), parsed from its decimal digits so `0.1 + 0.2` never happens; null when not a
 * number with at most two decimals.
 * @example toCents("1234.5") // 123450
 */
export function toCents(value: unknown): number | null {
  if (typeof value !== "string" && typeof value !== "number") return null;
  // String(number) is the shortest text that reads back as the same double: "101.1", not 101.0999….
  const m = /^\s*(-)?(\d+)(?:\.(\d{0,2})0*)?\s*$/.exec(String(value));
  if (!m) return null;
  const cents = Number(m[2]) * 100 + Number((m[3] ?? "").padEnd(2, "0"));
  return m[1] && cents !== 0 ? -cents : cents;
}

/**
 * Cents as text with two decimals and `.` (`-1234.50`).
 * @example formatCents(-123450) // "-1234.50"
 */
export function formatCents(cents: number): string {
  const abs = Math.abs(cents);
  return `${cents < 0 ? "-" : ""}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

const money = (v: unknown): string | null => {
  const cents = toCents(v);
  return cents === null ? text(v) : formatCents(cents);
};

function lineFromJson(v: unknown): FindingLine | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const o = v as Row;
  return {
    account: text(o.account),
    amount: money(o.amount),
    currency: text(o.currency),
    postingDate: text(o.posting_date),
    voucherNumber: text(o.voucher_number),
    externalId: text(o.external_id),
    state: text(o.state),
  };
}

/**
 * Maps a `reconciliation_findings` row to a {@link ReconciliationFinding}.
 * @example const findings = rows.map(findingFromRow);
 */
export function findingFromRow(row: Row): ReconciliationFinding {
  return {
    id: String(row.id),
    runId: String(row.run_id),
    orgId: String(row.org_id),
    integrationType: String(row.integration_type) as IntegrationType,
    ledgerEntryId: text(row.ledger_entry_id),
    kind: String(row.kind) as FindingKind,
    expected: lineFromJson(row.expected),
    actual: lineFromJson(row.actual),
    foundAt: String(row.found_at),
    status: String(row.status) as FindingStatus,
    actedBy: text(row.acted_by),
    actedAt: text(row.acted_at),
    note: text(row.note),
  };
}

/**
 * Maps a `reconciliation_totals` row to a {@link ReconciliationTotal}.
 * @example const totals = rows.map(totalFromRow);
 */
export function totalFromRow(row: Row): ReconciliationTotal {
  return {
    runId: String(row.run_id),
    orgId: String(row.org_id),
    integrationType: String(row.integration_type) as IntegrationType,
    periodMonth: String(row.period_month).slice(0, 10),
    account: String(row.account ?? ""),
    currency: String(row.currency ?? ""),
    ourTotal: money(row.our_total) ?? "0.00",
    theirTotal: money(row.their_total) ?? "0.00",
    ourEntries: Number(row.our_entries ?? 0),
    theirEntries: Number(row.their_entries ?? 0),
  };
}

/**
 * Maps a `sync_run_log` row of kind 'reconcile' (with `progress`) to a {@link Reconciliation}.
 * @example const latest = reconciliationFromRow(rows[0]);
 */
export function reconciliationFromRow(row: Row): Reconciliation {
  const p = typeof row.progress === "object" && row.progress !== null ? (row.progress as Row) : {};
  const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : Number(v ?? 0) || 0);
  return {
    run: runFromRow(row),
    periodStart: text(p.period_start),
    periodEnd: text(p.period_end),
    checked: count(p.checked),
    findings: count(p.findings),
    requests: count(p.requests),
    linesRead: count(p.lines_read),
  };
}
