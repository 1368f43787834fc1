/** The pure comparison of a reconciliation (src/engine/reconcile/compare.ts), rule by rule. */
import { describe, expect, it } from "vitest";
import { compareReconciliation, type ExportedEntryRow } from "../../src/engine/reconcile/compare.ts";
import { cents, formatCents } from "../../src/integrations/money.ts";
import type { ActualLine } from "../../src/integrations/reconcile.ts";

const period = { start: "2026-10-01", end: "2026-11-30" };
const entry = (n: number, over: Partial<ExportedEntryRow> = {}): ExportedEntryRow => ({
  entryId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  voucherNumber: `V${Math.ceil(n / 2)}`,
  entryDate: "2026-11-05",
  account: "3000",
  amount: "100.00",
  currency: "NOK",
  externalId: `ext-${n}`,
  ...over,
});
const line = (e: ExportedEntryRow, over: Partial<ActualLine> = {}): ActualLine => ({
  entryId: e.entryId,
  externalId: `line-${e.externalId}`,
  state: "journal",
  account: e.account,
  amount: e.amount,
  currency: e.currency,
  postingDate: e.entryDate,
  ...over,
});
const run = (
  expected: ExportedEntryRow[],
  inPeriod: ActualLine[],
  elsewhere: ActualLine[] = [],
  outOfPeriod: ExportedEntryRow[] = [],
) => compareReconciliation({ period, expected, inPeriod, elsewhere, outOfPeriod });
const kinds = (r: ReturnType<typeof run>) =>
  r.findings.map((f) => `${f.kind}:${f.ledger_entry_id?.slice(-2) ?? "null"}`);

describe("compareReconciliation", () => {
  it("a clean period has no findings, and totals agree per month and account", () => {
    const a = entry(1);
    const b = entry(2, { account: "1920", amount: "-100.00" });
    const c = entry(3, { entryDate: "2026-10-31", amount: "12.5" });
    const r = run([a, b, c], [line(a), line(b), line(c, { amount: "12.50" })]);
    expect(r.findings).toEqual([]);
    expect(r.checked).toBe(3);
    expect(r.totals).toEqual([
      {
        period_month: "2026-10-01",
        account: "3000",
        currency: "NOK",
        our_total: "12.50",
        their_total: "12.50",
        our_entries: 1,
        their_entries: 1,
      },
      {
        period_month: "2026-11-01",
        account: "1920",
        currency: "NOK",
        our_total: "-100.00",
        their_total: "-100.00",
        our_entries: 1,
        their_entries: 1,
      },
      {
        period_month: "2026-11-01",
        account: "3000",
        currency: "NOK",
        our_total: "100.00",
        their_total: "100.00",
        our_entries: 1,
        their_entries: 1,
      },
    ]);
  });

  it("missing when nowhere; date_mismatch when found only outside the period", () => {
    const a = entry(1);
    const b = entry(2);
    const r = run([a, b], [], [line(b, { postingDate: "2026-12-01", state: "posted" })]);
    expect(kinds(r)).toEqual(["missing:01", "date_mismatch:02"]);
    expect(r.findings[0]?.actual).toBeNull();
    expect(r.findings[0]?.expected).toEqual({
      account: "3000",
      amount: "100.00",
      currency: "NOK",
      posting_date: "2026-11-05",
      voucher_number: "V1",
      external_id: "ext-1",
    });
    expect(r.findings[1]?.actual).toMatchObject({ posting_date: "2026-12-01", state: "posted" });
  });

  it("account and amount mismatches are both reported for one entry; another month in the period is a date_mismatch", () => {
    const a = entry(1);
    const b = entry(2);
    const r = run(
      [a, b],
      [line(a, { account: "3001", amount: "99.99" }), line(b, { postingDate: "2026-10-02" })],
    );
    expect(kinds(r)).toEqual(["account_mismatch:01", "amount_mismatch:01", "date_mismatch:02"]);
    // Another day in the same month is not a finding.
    expect(run([a], [line(a, { postingDate: "2026-11-28" })]).findings).toEqual([]);
  });

  it("a duplicate is an extra for each line beyond the first; the exact match counts as the first", () => {
    const a = entry(1);
    const r = run(
      [a],
      [
        line(a, { externalId: "z-dup", amount: "50.00" }),
        line(a, { externalId: "a-orig" }),
        line(a, { externalId: "m-dup" }),
      ],
    );
    expect(kinds(r)).toEqual(["extra:01", "extra:01"]);
    expect(r.findings.map((f) => f.actual?.external_id)).toEqual(["m-dup", "z-dup"]);
    expect(r.findings[0]?.expected).toBeNull();
    expect(r.totals[0]).toMatchObject({
      our_total: "100.00",
      their_total: "250.00",
      our_entries: 1,
      their_entries: 3,
    });
  });

  it("a line whose reference is not an entry we exported is an extra; one of ours dated outside the period is a date_mismatch", () => {
    const a = entry(1);
    const stranger = entry(7);
    const early = entry(8, { entryDate: "2026-09-30" });
    const r = run(
      [a],
      [line(a), line(stranger, { currency: null }), line(early, { postingDate: "2026-10-01" })],
      [],
      [early],
    );
    expect(kinds(r)).toEqual(["extra:07", "date_mismatch:08"]);
    // No currency and not ours: '' in the totals; ours without currency: the entry's.
    expect(r.totals.map((t) => [t.period_month, t.currency, t.their_total])).toEqual([
      ["2026-10-01", "NOK", "100.00"],
      ["2026-11-01", "", "100.00"],
      ["2026-11-01", "NOK", "100.00"],
    ]);
  });

  it("money in integer cents: parse and format", () => {
    expect(cents("101")).toBe(10100n);
    expect(cents("-12.5")).toBe(-1250n);
    expect(cents("0.005")).toBe(1n);
    expect(cents("-0.07")).toBe(-7n);
    expect(formatCents(-1250n)).toBe("-12.50");
    expect(formatCents(7n)).toBe("0.07");
    expect(() => cents("12,50")).toThrow(/not an amount/);
    // 0.1 + 0.2 in floats is 0.30000000000000004; in cents it is 30.
    expect(formatCents(cents("0.1") + cents("0.2"))).toBe("0.30");
  });
});
