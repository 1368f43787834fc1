/**
 * How posted Business Central G/L rows get their entry ids back (src/integrations/dynamics/reconcile.ts
 * attributePosted): a G/L entry keeps the voucher's documentNumber, not our per-line reference.
 */
import { describe, expect, it } from "vitest";
import { documentNumberFor } from "../../src/integrations/dynamics/journalLine.ts";
import { attributePosted, type GLRow } from "../../src/integrations/dynamics/reconcile.ts";

const A = "0b9c6a4e-1f2d-4c3b-8a5e-6d7f8091a2b3";
const B = "1b9c6a4e-1f2d-4c3b-8a5e-6d7f8091a2b3";
const expected = [
  { id: A, voucherNumber: "V1", account: "1010", amount: "100.00" },
  { id: B, voucherNumber: "V1", account: "2010", amount: "-100.00" },
];
const doc = documentNumberFor("V1");
let next = 1;
const row = (account: string, amount: number, postingDate = "2026-01-05"): GLRow => ({
  id: `gl-${next}`,
  entryNumber: next++,
  documentNumber: doc,
  accountNumber: account,
  postingDate,
  debitAmount: Math.max(amount, 0),
  creditAmount: Math.max(-amount, 0),
});
const attribute = (rows: GLRow[], balancing?: string) =>
  attributePosted(new Map([[doc, rows]]), expected, balancing).map((l) => [l.entryId, l.account, l.amount]);

describe("posted line attribution", () => {
  it("matches untouched lines by account and signed amount, whatever the row order", () => {
    expect(attribute([row("2010", -100), row("1010", 100)]).sort()).toEqual([
      [A, "1010", "100.00"],
      [B, "2010", "-100.00"],
    ]);
  });

  it("reports an edited amount on the line of the same account, an edited account on the line of the same amount", () => {
    expect(attribute([row("1010", 150), row("2010", -150)]).sort()).toEqual([
      [A, "1010", "150.00"],
      [B, "2010", "-150.00"],
    ]);
    expect(attribute([row("3010", -100), row("1010", 100)]).sort()).toEqual([
      [A, "1010", "100.00"],
      [B, "3010", "-100.00"],
    ]);
  });

  it("gives a row beyond the voucher's lines to the line of its account, so it shows as a second line", () => {
    const lines = attribute([row("1010", 100), row("2010", -100), row("1010", 100), row("2010", -100)]);
    expect(lines.filter(([id]) => id === A)).toHaveLength(2);
    expect(lines.filter(([id]) => id === B)).toHaveLength(2);
  });

  it("drops counter-postings on the balancing account, and skips documents with no expected lines", () => {
    expect(
      attribute([row("1010", 100), row("9990", -100), row("2010", -100), row("9990", 100)], "9990"),
    ).toHaveLength(2);
    expect(
      attributePosted(new Map([["SYNC-000000000000000", [row("1010", 1)]]]), expected, undefined),
    ).toEqual([]);
  });
});
