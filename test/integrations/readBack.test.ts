/** The read-back helpers: money as two-decimal text without floats, the period check, the request allowance. */
import { describe, expect, it } from "vitest";
import { formatCents } from "../../src/integrations/money.ts";
import {
  canonicalIds,
  checkPeriod,
  decimalText,
  numberCents,
  withRequestAllowance,
} from "../../src/integrations/readBack.ts";
import type { ReconcileContext } from "../../src/integrations/reconcile.ts";
import type { RequestPurpose } from "../../src/integrations/types.ts";
import { integrationError } from "./fixtures.ts";

describe("read-back helpers", () => {
  it.each([
    ["101", "101.00"],
    ["101.5", "101.50"],
    ["-12.5", "-12.50"],
    ["0.004", "0.00"],
    ["-0.004", "0.00"],
    ["101.005", "101.01"],
    ["-101.005", "-101.01"],
    ["99999999999999.994999", "99999999999999.99"],
    ["123456789012345.125", "123456789012345.13"],
  ])("decimalText(%s) = %s", (input, expected) => {
    expect(decimalText(input)).toBe(expected);
  });

  it("refuses what is not a decimal", () => {
    for (const bad of ["", "1,5", "1e3", "abc", "--1"]) expect(decimalText(bad)).toBeUndefined();
  });

  it("turns BC's JSON numbers into cents and cents into text", () => {
    expect(numberCents(101.1)).toBe(10110);
    expect(numberCents(-0.29)).toBe(-29);
    expect(numberCents(1.005)).toBe(100); // 1.005 is 1.00499… as a double; BC sends two decimals anyway
    expect(formatCents(-1250)).toBe("-12.50");
    expect(formatCents(7)).toBe("0.07");
    expect(formatCents(-7)).toBe("-0.07");
    expect(formatCents(0)).toBe("0.00");
  });

  it("keeps only uuids, canonical and de-duplicated", () => {
    const id = "0b9c6a4e-1f2d-4c3b-8a5e-6d7f8091a2b3";
    expect(canonicalIds([id.toUpperCase(), ` ${id}`, "x", "0B9C6A4E1F2D4C3B8A5E6D7F8091A2B3"])).toEqual([id]);
  });

  it("checks periods", async () => {
    expect(() => checkPeriod({ start: "2026-01-01", end: "2026-01-01" }, "t")).not.toThrow();
    for (const period of [
      { start: "2026-02-01", end: "2026-01-31" },
      { start: "2026-02-30", end: "2026-03-01" },
      { start: "2026-1-1", end: "2026-01-31" },
    ]) {
      const error = await integrationError(Promise.resolve().then(() => checkPeriod(period, "t")));
      expect(error.code).toBe("bad_request");
    }
  });

  it("lets maxRequests reconcile requests through and stops the next one unsent", async () => {
    const seen: RequestPurpose[] = [];
    const ctx = withRequestAllowance(
      { signal: new AbortController().signal, maxRequests: 2, onRequest: (p) => seen.push(p) },
      "t",
    );
    ctx.onRequest?.("reconcile");
    ctx.onRequest?.("token");
    ctx.onRequest?.("reconcile");
    const error = await integrationError(Promise.resolve().then(() => ctx.onRequest?.("reconcile")));
    expect(error).toMatchObject({ code: "budget_exhausted", retryable: true });
    expect(seen).toEqual(["reconcile", "token", "reconcile"]);
    // Fractional budgets round down, negative and NaN ones allow nothing.
    for (const maxRequests of [1.9, -3, Number.NaN]) {
      const used: RequestPurpose[] = [];
      const limited = withRequestAllowance(
        { signal: new AbortController().signal, maxRequests, onRequest: (p) => used.push(p) },
        "t",
      );
      const allowed = maxRequests === 1.9 ? 1 : 0;
      for (let i = 0; i < allowed; i++) limited.onRequest?.("reconcile");
      const over = await integrationError(Promise.resolve().then(() => limited.onRequest?.("reconcile")));
      expect(over.code).toBe("budget_exhausted");
      expect(used).toHaveLength(allowed);
    }
    const zero = withRequestAllowance(
      { signal: new AbortController().signal, maxRequests: 0 } as ReconcileContext,
      "t",
    );
    expect((await integrationError(Promise.resolve().then(() => zero.onRequest?.("reconcile")))).code).toBe(
      "budget_exhausted",
    );
  });
});
