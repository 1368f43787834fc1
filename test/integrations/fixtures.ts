/** Shared test data and helpers for adapter tests against the sandbox. */
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { type IntegrationError, isIntegrationError } from "../../src/integrations/errors.ts";
import type { AdapterContext, ExportEntry } from "../../src/integrations/types.ts";

/** A fresh context with a signal nobody aborts. */
export function ctx(): AdapterContext {
  return { signal: new AbortController().signal };
}

/** `n` distinct ledger entries with valid amounts, two lines per voucher (vouchers unique per call). */
export function entries(n: number, overrides: Partial<ExportEntry> = {}): ExportEntry[] {
  const prefix = randomUUID().slice(0, 8).toUpperCase();
  return Array.from({ length: n }, (_, i) => ({
    id: randomUUID(),
    voucherNumber: `${prefix}-${Math.floor(i / 2)}`,
    entryDate: "2026-01-31",
    account: "1010",
    amount: `${100 + i}.${String(i % 100).padStart(2, "0")}`,
    currency: "NOK",
    description: `Entry ${i}`,
    ...overrides,
  }));
}

/** Awaits a rejection and returns it as an IntegrationError (fails the test otherwise). */
export async function integrationError(promise: Promise<unknown>): Promise<IntegrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "expected the call to fail").toBeDefined();
  if (!isIntegrationError(error)) throw new Error(`expected an IntegrationError, got ${String(error)}`);
  return error;
}
