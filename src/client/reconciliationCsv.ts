import {
  type FindingKind,
  formatCents,
  type ReconciliationFinding,
  type ReconciliationTotal,
  toCents,
} from "./reconciliation.ts";

/** The report's columns, in order (docs/reconciliation.md "The CSV report"). */
export const RECONCILIATION_CSV_HEADER = [
  "period",
  "account",
  "currency",
  "our_total",
  "their_total",
  "difference",
  "our_entries",
  "their_entries",
  "findings",
] as const;

// The order kinds are listed in within a row's findings cell: the ones an accountant acts on first.
const KIND_ORDER: FindingKind[] = [
  "missing",
  "extra",
  "amount_mismatch",
  "account_mismatch",
  "date_mismatch",
];

/**
 * RFC 4180 §2: a field with a comma, a double quote, CR or LF is enclosed in double quotes, a quote
 * inside doubled. A text field starting with `=`, `+`, `-`, `@`, TAB or CR is prefixed with `'` so a
 * spreadsheet shows it instead of evaluating it (OWASP, "CSV Injection") — accounts and currencies
 * come from the accounting system, not only from us. Numbers never get the prefix.
 */
function field(value: string, kind: "text" | "number" = "text"): string {
  const safe = kind === "text" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

interface Row {
  month: string;
  account: string;
  currency: string;
  our: number | null;
  their: number | null;
  ourEntries: number | null;
  theirEntries: number | null;
  kinds: Map<FindingKind, number>;
}

/** The month, account and currency a finding belongs to: our side, or theirs for an `extra`. */
function findingKey(f: ReconciliationFinding): { month: string; account: string; currency: string | null } {
  const line = (f.kind === "extra" ? f.actual : f.expected) ?? f.actual ?? f.expected;
  return {
    month: (line?.postingDate ?? f.foundAt).slice(0, 7),
    account: line?.account ?? "",
    currency: line?.currency ?? null,
  };
}

const byAccount = new Intl.Collator("en", { numeric: true }).compare;

/**
 * The month-end report an accountant attaches to the close: one record per month, account and
 * currency with our total, theirs, the difference (ours − theirs) and the entry counts, and the
 * findings of the run counted by kind on the row of the month and account they concern (a finding
 * on no totals row gets a row of its own with empty totals). RFC 4180: CRLF line ends, a header
 * record, every record the same nine fields; amounts with two decimals and `.` whatever the locale.
 * Pure: the dashboard's "Download CSV" and a script produce the same bytes.
 * @example
 * const csv = reconciliationCsv(await repo.listReconciliationTotals(orgId, { runId }),
 *                               await repo.listReconciliationFindings(orgId, { runId }));
 * // period,account,currency,our_total,their_total,difference,our_entries,their_entries,findings
 * // 2026-11,6300,NOK,1250.00,1000.00,250.00,3,2,1 missing
 */
export function reconciliationCsv(
  totals: readonly ReconciliationTotal[],
  findings: readonly ReconciliationFinding[] = [],
): string {
  const rows = new Map<string, Row>();
  const keyOf = (month: string, account: string, currency: string) =>
    `${month}\u0000${account}\u0000${currency}`;
  for (const t of totals) {
    const month = t.periodMonth.slice(0, 7);
    const key = keyOf(month, t.account, t.currency);
    const row = rows.get(key);
    const our = toCents(t.ourTotal) ?? 0;
    const their = toCents(t.theirTotal) ?? 0;
    // Two rows for one key (two runs passed in) add up rather than one hiding the other.
    if (row) {
      row.our = (row.our ?? 0) + our;
      row.their = (row.their ?? 0) + their;
      row.ourEntries = (row.ourEntries ?? 0) + t.ourEntries;
      row.theirEntries = (row.theirEntries ?? 0) + t.theirEntries;
    } else
      rows.set(key, {
        month,
        account: t.account,
        currency: t.currency,
        our,
        their,
        ourEntries: t.ourEntries,
        theirEntries: t.theirEntries,
        kinds: new Map(),
      });
  }
  for (const f of findings) {
    const k = findingKey(f);
    // A line that reports no currency (Business Central's company currency) joins its month and account.
    let row =
      k.currency === null
        ? [...rows.values()].find((r) => r.month === k.month && r.account === k.account)
        : rows.get(keyOf(k.month, k.account, k.currency));
    if (!row) {
      row = {
        month: k.month,
        account: k.account,
        currency: k.currency ?? "",
        our: null,
        their: null,
        ourEntries: null,
        theirEntries: null,
        kinds: new Map(),
      };
      rows.set(keyOf(row.month, row.account, row.currency), row);
    }
    row.kinds.set(f.kind, (row.kinds.get(f.kind) ?? 0) + 1);
  }
  const sorted = [...rows.values()].sort(
    (a, b) =>
      a.month.localeCompare(b.month) ||
      byAccount(a.account, b.account) ||
      a.currency.localeCompare(b.currency),
  );
  const amount = (cents: number | null) => (cents === null ? "" : formatCents(cents));
  const count = (n: number | null) => (n === null ? "" : String(n));
  const lines = [RECONCILIATION_CSV_HEADER.join(",")];
  for (const r of sorted) {
    const difference = r.our === null || r.their === null ? null : r.our - r.their;
    const kinds = KIND_ORDER.filter((k) => r.kinds.has(k))
      .map((k) => `${r.kinds.get(k)} ${k}`)
      .join("; ");
    lines.push(
      [
        field(r.month, "number"),
        field(r.account),
        field(r.currency),
        field(amount(r.our), "number"),
        field(amount(r.their), "number"),
        field(amount(difference), "number"),
        field(count(r.ourEntries), "number"),
        field(count(r.theirEntries), "number"),
        field(kinds),
      ].join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}
