/**
 * What both adapters' read-back (src/integrations/reconcile.ts) share: the request allowance that stops a
 * call before it exceeds `ctx.maxRequests`, the period check, and money as two-decimal text without floats.
 */
import { IntegrationError } from "./errors.ts";
import { cents, formatCents } from "./money.ts";
import type { PostingPeriod, ReconcileContext } from "./reconcile.ts";
import type { RequestPurpose } from "./types.ts";

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DECIMAL = /^-?\d+(?:\.\d*)?$/;

/**
 * A copy of `ctx` whose `onRequest("reconcile")` throws `budget_exhausted` instead of letting request
 * number `maxRequests + 1` leave. Adapters report a request just before sending it, so the throw stops it
 * unsent: a call never makes more than `maxRequests` counted requests. Other purposes pass through.
 *
 * @example
 * const limited = withRequestAllowance(ctx, "xledger");
 * await client.query(…, limited); // throws IntegrationError("budget_exhausted") once the budget is spent
 */
export function withRequestAllowance<C extends ReconcileContext>(ctx: C, what: string): C {
  const raw = ctx.maxRequests;
  if (raw === undefined || raw === Number.POSITIVE_INFINITY) return ctx;
  // A budget computed from shares (allowance × share − used) may be fractional or negative: whole requests
  // only, never below zero; NaN (a broken computation) allows nothing rather than everything.
  const max = Number.isNaN(raw) ? 0 : Math.max(0, Math.floor(raw));
  let used = 0;
  const outer = ctx.onRequest;
  return {
    ...ctx,
    onRequest: (purpose: RequestPurpose) => {
      if (purpose === "reconcile") {
        if (used >= max) {
          throw new IntegrationError(
            "budget_exhausted",
            `${what}: reading back needs more than the ${max} requests it was given`,
          );
        }
        used += 1;
      }
      outer?.(purpose);
    },
  };
}

/**
 * Refuses a period that is not two calendar dates in order (`bad_request`, not retryable, nothing sent).
 *
 * @example
 * checkPeriod({ start: "2026-01-01", end: "2026-02-28" }, "xledger"); // ok
 */
export function checkPeriod(period: PostingPeriod, what: string): void {
  if (!isCalendarDate(period.start) || !isCalendarDate(period.end) || period.start > period.end) {
    throw new IntegrationError(
      "bad_request",
      `${what}: period ${JSON.stringify(period)} is not two YYYY-MM-DD dates with start <= end`,
      { retryable: false },
    );
  }
}

function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (m === null) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === text;
}

/**
 * The ledger entry ids worth looking up: canonical lower-case uuids, de-duplicated; anything else can never
 * have been exported (both adapters refuse a non-uuid id on export).
 *
 * @example
 * canonicalIds(["0B9C6A4E-1F2D-4C3B-8A5E-6D7F8091A2B3", "x"]); // ["0b9c6a4e-1f2d-4c3b-8a5e-6d7f8091a2b3"]
 */
export function canonicalIds(ids: readonly string[]): string[] {
  return [...new Set(ids.filter((id) => UUID.test(id.trim())).map((id) => id.trim().toLowerCase()))];
}

/** Whether `text` is a uuid (either case); returns its canonical lower-case form or `undefined`. */
export function canonicalId(text: string): string | undefined {
  const t = text.trim();
  return UUID.test(t) ? t.toLowerCase() : undefined;
}

/**
 * A JSON number amount (Business Central's Edm.Decimal) as cents, rounded half away from zero. BC amounts
 * carry at most two decimals for LCY; doubles hold every such value of up to 15 digits closely enough that
 * the rounding lands on the right cent.
 *
 * @example
 * numberCents(101.1); // 10110
 */
export function numberCents(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value) * 100);
}

/**
 * A decimal string (Xledger's Decimal, up to 6 decimals) as two-decimal text, rounded half away from zero
 * with integer arithmetic; `undefined` when it is not a decimal.
 *
 * @example
 * decimalText("101.005"); // "101.01"
 * decimalText("-7"); // "-7.00"
 */
export function decimalText(value: string): string | undefined {
  return DECIMAL.test(value.trim()) ? formatCents(cents(value)) : undefined;
}
