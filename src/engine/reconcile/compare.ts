/**
 * The comparison of a reconciliation (docs/reconciliation.md "Comparison"): what we exported versus what the
 * accounting system holds for our references. Pure — no I/O, no clock — so every rule is tested on its own.
 * Money is compared and summed in integer cents (BigInt), never as floats.
 */
import { cents, formatCents } from "../../integrations/money.ts";
import type { ActualLine, PostingPeriod } from "../../integrations/reconcile.ts";

/** One entry exported to the integration (ledger_entries ⋈ ledger_entry_exports), as the SQL hands it over. */
export interface ExportedEntryRow {
  entryId: string;
  voucherNumber: string;
  /** `YYYY-MM-DD`. */
  entryDate: string;
  account: string;
  /** Two decimals, signed (`"-12.50"`). */
  amount: string;
  currency: string;
  /** The external id recorded when it was exported. */
  externalId: string;
}

export type FindingKind = "missing" | "extra" | "amount_mismatch" | "account_mismatch" | "date_mismatch";

/** The jsonb of `reconciliation_findings.expected` / `.actual` (keys known on that side only). */
export interface FindingSide {
  account: string;
  amount: string;
  currency: string | null;
  posting_date: string;
  voucher_number?: string;
  external_id: string;
  state?: "journal" | "posted";
}

/** One row for `sync_engine.record_reconciliation`'s `p_findings`. */
export interface Finding {
  ledger_entry_id: string | null;
  kind: FindingKind;
  expected: FindingSide | null;
  actual: FindingSide | null;
}

/** One row for `p_totals`: per month and account (and currency), our total versus theirs. */
export interface TotalRow {
  period_month: string;
  account: string;
  currency: string;
  our_total: string;
  their_total: string;
  our_entries: number;
  their_entries: number;
}

export interface CompareInput {
  period: PostingPeriod;
  /** Exported entries dated in the period. */
  expected: readonly ExportedEntryRow[];
  /** Every line {@link import("../../integrations/reconcile.ts").ReconcileReader.readPeriod} returned. */
  inPeriod: readonly ActualLine[];
  /** Lines `findByReference` returned for expected entries that readPeriod did not. */
  elsewhere: readonly ActualLine[];
  /**
   * Exported entries dated OUTSIDE the period that lines in the period refer to (posted into this period
   * from another): a date_mismatch each, not an extra.
   */
  outOfPeriod: readonly ExportedEntryRow[];
}

export interface CompareResult {
  findings: Finding[];
  totals: TotalRow[];
  /** Expected entries compared (the run's `progress.checked`). */
  checked: number;
}

/**
 * Compares one period. Per expected entry: no line anywhere → `missing`; lines only outside the period →
 * `date_mismatch`; a line posted in another month than the entry's date → `date_mismatch`; account differs
 * → `account_mismatch`; amount differs → `amount_mismatch` (both may be reported for one entry); every
 * line beyond the first for one reference → `extra` (a duplicate). A line in the period whose reference
 * is not an entry we exported → `extra`. "The first" is a line that matches exactly when there is one, so
 * a duplicate with another amount is the extra, not a mismatch of the original.
 *
 * @example
 * const { findings, totals } = compareReconciliation({ period, expected, inPeriod, elsewhere: [], outOfPeriod: [] });
 */
export function compareReconciliation(input: CompareInput): CompareResult {
  const findings: Finding[] = [];
  const byEntry = groupByEntry(input.inPeriod);
  const elsewhere = groupByEntry(input.elsewhere);
  const known = new Map<string, ExportedEntryRow>();
  for (const e of input.expected) known.set(e.entryId, e);
  const outside = new Map<string, ExportedEntryRow>();
  for (const e of input.outOfPeriod) outside.set(e.entryId, e);

  for (const entry of input.expected) {
    const lines = byEntry.get(entry.entryId) ?? [];
    if (lines.length > 0) {
      findings.push(...compareEntry(entry, lines));
      continue;
    }
    const found = elsewhere.get(entry.entryId) ?? [];
    if (found.length === 0) {
      findings.push({
        ledger_entry_id: entry.entryId,
        kind: "missing",
        expected: expectedSide(entry),
        actual: null,
      });
      continue;
    }
    // Found, but only outside the period: booked to another period. Further lines are duplicates.
    const [first, ...rest] = pickFirst(entry, found);
    findings.push({
      ledger_entry_id: entry.entryId,
      kind: "date_mismatch",
      expected: expectedSide(entry),
      actual: actualSide(first as ActualLine),
    });
    for (const line of rest) findings.push(extra(entry.entryId, line));
  }

  for (const [entryId, lines] of byEntry) {
    if (known.has(entryId)) continue;
    const entry = outside.get(entryId);
    if (entry === undefined) {
      for (const line of lines) findings.push(extra(entryId, line));
      continue;
    }
    // One of ours, dated outside the period but booked inside it.
    const [first, ...rest] = pickFirst(entry, lines);
    findings.push({
      ledger_entry_id: entryId,
      kind: "date_mismatch",
      expected: expectedSide(entry),
      actual: actualSide(first as ActualLine),
    });
    for (const line of rest) findings.push(extra(entryId, line));
  }

  return { findings, totals: totalsOf(input, known, outside), checked: input.expected.length };
}

function compareEntry(entry: ExportedEntryRow, lines: readonly ActualLine[]): Finding[] {
  const out: Finding[] = [];
  const [first, ...rest] = pickFirst(entry, lines);
  const line = first as ActualLine;
  const expected = expectedSide(entry);
  const actual = actualSide(line);
  if (monthOf(line.postingDate) !== monthOf(entry.entryDate)) {
    out.push({ ledger_entry_id: entry.entryId, kind: "date_mismatch", expected, actual });
  }
  if (line.account !== entry.account) {
    out.push({ ledger_entry_id: entry.entryId, kind: "account_mismatch", expected, actual });
  }
  if (cents(line.amount) !== cents(entry.amount)) {
    out.push({ ledger_entry_id: entry.entryId, kind: "amount_mismatch", expected, actual });
  }
  for (const duplicate of rest) out.push(extra(entry.entryId, duplicate));
  return out;
}

/** The lines in a stable order, an exact match (account and amount) first when there is one. */
function pickFirst(entry: ExportedEntryRow, lines: readonly ActualLine[]): ActualLine[] {
  const sorted = [...lines].sort(
    (a, b) =>
      rank(entry, a) - rank(entry, b) ||
      (a.state === b.state ? 0 : a.state === "posted" ? -1 : 1) ||
      compareText(a.externalId, b.externalId),
  );
  return sorted;
}

function rank(entry: ExportedEntryRow, line: ActualLine): number {
  return line.account === entry.account && cents(line.amount) === cents(entry.amount) ? 0 : 1;
}

function extra(entryId: string, line: ActualLine): Finding {
  return { ledger_entry_id: entryId, kind: "extra", expected: null, actual: actualSide(line) };
}

function expectedSide(e: ExportedEntryRow): FindingSide {
  return {
    account: e.account,
    amount: formatCents(cents(e.amount)),
    currency: e.currency,
    posting_date: e.entryDate,
    voucher_number: e.voucherNumber,
    external_id: e.externalId,
  };
}

function actualSide(l: ActualLine): FindingSide {
  return {
    account: l.account,
    amount: formatCents(cents(l.amount)),
    currency: l.currency,
    posting_date: l.postingDate,
    external_id: l.externalId,
    state: l.state,
  };
}

function groupByEntry(lines: readonly ActualLine[]): Map<string, ActualLine[]> {
  const map = new Map<string, ActualLine[]>();
  for (const line of lines) {
    const id = line.entryId.toLowerCase();
    const list = map.get(id);
    if (list) list.push(line);
    else map.set(id, [line]);
  }
  return map;
}

/** Per (month, account, currency): our entries by entry date, their lines (in the period) by posting date. */
function totalsOf(
  input: CompareInput,
  known: ReadonlyMap<string, ExportedEntryRow>,
  outside: ReadonlyMap<string, ExportedEntryRow>,
): TotalRow[] {
  interface Acc {
    month: string;
    account: string;
    currency: string;
    our: bigint;
    their: bigint;
    ourN: number;
    theirN: number;
  }
  const rows = new Map<string, Acc>();
  const at = (month: string, account: string, currency: string): Acc => {
    const key = `${month}\u0000${account}\u0000${currency}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = { month, account, currency, our: 0n, their: 0n, ourN: 0, theirN: 0 };
      rows.set(key, row);
    }
    return row;
  };
  for (const e of input.expected) {
    const row = at(monthOf(e.entryDate), e.account, e.currency);
    row.our += cents(e.amount);
    row.ourN++;
  }
  for (const l of input.inPeriod) {
    // A line without a currency is in the entry's currency when it is one of ours (the company currency
    // the export sent it in), else unknown ('').
    const entry = known.get(l.entryId.toLowerCase()) ?? outside.get(l.entryId.toLowerCase());
    const row = at(monthOf(l.postingDate), l.account, l.currency ?? entry?.currency ?? "");
    row.their += cents(l.amount);
    row.theirN++;
  }
  return [...rows.values()]
    .sort(
      (a, b) =>
        compareText(a.month, b.month) ||
        compareText(a.account, b.account) ||
        compareText(a.currency, b.currency),
    )
    .map((r) => ({
      period_month: r.month,
      account: r.account,
      currency: r.currency,
      our_total: formatCents(r.our),
      their_total: formatCents(r.their),
      our_entries: r.ourN,
      their_entries: r.theirN,
    }));
}

/** `YYYY-MM-01` of a `YYYY-MM-DD`. */
function monthOf(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
