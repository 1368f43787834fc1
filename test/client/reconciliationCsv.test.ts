import { describe, expect, it } from "vitest";
import {
  type FindingLine,
  formatCents,
  RECONCILIATION_CSV_HEADER,
  type ReconciliationFinding,
  type ReconciliationTotal,
  reconciliationCsv,
  toCents,
} from "../../src/client/index.ts";

const total = (o: Partial<ReconciliationTotal>): ReconciliationTotal => ({
  runId: "r",
  orgId: "o",
  integrationType: "dynamics",
  periodMonth: "2026-11-01",
  account: "6300",
  currency: "NOK",
  ourTotal: "0.00",
  theirTotal: "0.00",
  ourEntries: 0,
  theirEntries: 0,
  ...o,
});
const line = (o: Partial<FindingLine>): FindingLine => ({
  account: "6300",
  amount: "10.00",
  currency: "NOK",
  postingDate: "2026-11-15",
  voucherNumber: "V-1",
  externalId: null,
  state: "journal",
  ...o,
});
const finding = (o: Partial<ReconciliationFinding>): ReconciliationFinding => ({
  id: "f",
  runId: "r",
  orgId: "o",
  integrationType: "dynamics",
  ledgerEntryId: "e",
  kind: "missing",
  expected: line({}),
  actual: null,
  foundAt: "2026-11-30T03:00:00Z",
  status: "open",
  actedBy: null,
  actedAt: null,
  note: null,
  ...o,
});

/** Splits RFC 4180 text into records of fields (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let value = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        value += '"';
        i++;
      } else if (c === '"') quoted = false;
      else value += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      record.push(value);
      value = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      record.push(value);
      records.push(record);
      record = [];
      value = "";
      i++;
    } else value += c;
  }
  if (value !== "" || record.length > 0) throw new Error("last record not terminated by CRLF");
  return records;
}

describe("reconciliationCsv", () => {
  it("writes a header and one record per month, account and currency: totals, difference (ours − theirs), entries and findings by kind", () => {
    const csv = reconciliationCsv(
      [
        total({
          account: "3000",
          ourTotal: "-1250.00",
          theirTotal: "-1250.00",
          ourEntries: 3,
          theirEntries: 3,
        }),
        total({
          account: "6300",
          ourTotal: "1250.00",
          theirTotal: "1000.10",
          ourEntries: 3,
          theirEntries: 2,
        }),
        total({
          periodMonth: "2026-10-01",
          account: "6300",
          ourTotal: "5.00",
          theirTotal: "5.00",
          ourEntries: 1,
          theirEntries: 1,
        }),
      ],
      [
        finding({ kind: "missing", expected: line({ amount: "249.90" }) }),
        finding({ kind: "amount_mismatch", actual: line({ amount: "11.00" }) }),
      ],
    );
    expect(csv.endsWith("\r\n")).toBe(true);
    expect(csv.replaceAll("\r\n", "").includes("\n")).toBe(false);
    expect(parseCsv(csv)).toEqual([
      [...RECONCILIATION_CSV_HEADER],
      ["2026-10", "6300", "NOK", "5.00", "5.00", "0.00", "1", "1", ""],
      ["2026-11", "3000", "NOK", "-1250.00", "-1250.00", "0.00", "3", "3", ""],
      ["2026-11", "6300", "NOK", "1250.00", "1000.10", "249.90", "3", "2", "1 missing; 1 amount_mismatch"],
    ]);
  });

  it("orders accounts as numbers, and puts a finding on no totals row on a row of its own with empty totals", () => {
    const csv = reconciliationCsv(
      [total({ account: "10000" }), total({ account: "9000" })],
      [
        // An extra line is filed under their side (account 7777, December), not ours.
        finding({
          kind: "extra",
          ledgerEntryId: null,
          expected: null,
          actual: line({ account: "7777", postingDate: "2026-12-01" }),
        }),
        // No currency (Business Central's company currency): joins its month and account.
        finding({ kind: "date_mismatch", expected: line({ account: "9000", currency: null }) }),
      ],
    );
    expect(parseCsv(csv).slice(1)).toEqual([
      ["2026-11", "9000", "NOK", "0.00", "0.00", "0.00", "0", "0", "1 date_mismatch"],
      ["2026-11", "10000", "NOK", "0.00", "0.00", "0.00", "0", "0", ""],
      ["2026-12", "7777", "NOK", "", "", "", "", "", "1 extra"],
    ]);
  });

  it("quotes fields with commas, quotes and line breaks (RFC 4180) and defuses spreadsheet formulas in text", () => {
    const csv = reconciliationCsv([
      total({ account: 'Bank, "main"' }),
      total({ account: '=HYPERLINK("http://x")' }),
      total({ account: "line\nbreak", ourTotal: "-3.00" }),
    ]);
    const records = parseCsv(csv).slice(1);
    expect(records.map((r) => r[1])).toEqual(['\'=HYPERLINK("http://x")', 'Bank, "main"', "line\nbreak"]);
    expect(csv).toContain('"Bank, ""main"""');
    // A negative amount is a number, not a formula: no prefix.
    expect(records[2]?.[3]).toBe("-3.00");
    for (const r of records) expect(r).toHaveLength(RECONCILIATION_CSV_HEADER.length);
  });

  it("adds up two rows of one month and account, and computes in cents so no float error shows", () => {
    const csv = reconciliationCsv([
      total({ ourTotal: "0.10", theirTotal: "0.30", ourEntries: 1, theirEntries: 1 }),
      total({ ourTotal: "0.20", theirTotal: "0", ourEntries: 1, theirEntries: 0 }),
    ]);
    expect(parseCsv(csv)[1]).toEqual(["2026-11", "6300", "NOK", "0.30", "0.30", "0.00", "2", "1", ""]);
    expect(reconciliationCsv([])).toBe(`${RECONCILIATION_CSV_HEADER.join(",")}\r\n`);
  });
});

describe("cents", () => {
  it("reads decimals from text and from PostgREST's JSON numbers exactly, and writes two decimals with a point", () => {
    expect(toCents("1234.5")).toBe(123450);
    expect(toCents(-12.5)).toBe(-1250);
    expect(toCents(0.1 + 0.2)).toBe(null); // 0.30000000000000004 is not an amount
    expect(toCents(101.1)).toBe(10110);
    expect(toCents("1.999")).toBe(null);
    expect(toCents("-0.00")).toBe(0);
    expect(toCents("abc")).toBe(null);
    expect(formatCents(-123450)).toBe("-1234.50");
    expect(formatCents(5)).toBe("0.05");
    expect(formatCents(-5)).toBe("-0.05");
  });
});
