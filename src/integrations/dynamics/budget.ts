/**
 * A client-side sliding-window request budget, so one adapter instance never trips Business Central's
 * server-side limit of 6,000 OData requests per 5-minute sliding window per service principal
 * (operational-limits-online.md).
 */
import { IntegrationError } from "../errors.ts";

/** Budget size. */
export interface RequestBudgetOptions {
  /** Requests allowed per window. */
  limit: number;
  /** Window length in seconds. */
  windowSeconds: number;
  now?: () => number;
}

// 5,000 of the 6,000 allowed: the limit is per service principal, not per process, so the other 1,000 are
// headroom for health pings, other worker processes that share the app registration, and
// manual API use, before anyone sees a 429.
export const DEFAULT_BUDGET: Readonly<RequestBudgetOptions> = { limit: 5_000, windowSeconds: 300 };

/**
 * Counts requests in a sliding window and refuses the one that would exceed it.
 *
 * @example
 * const budget = new RequestBudget(DEFAULT_BUDGET);
 * budget.take(); // throws IntegrationError("rate_limited", …, { retryAfterSeconds }) when spent
 */
export class RequestBudget {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  /** Timestamps of the requests inside the window, oldest first. */
  #stamps: number[] = [];

  constructor(options: RequestBudgetOptions) {
    this.#limit = options.limit;
    this.#windowMs = options.windowSeconds * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Records one request, or throws a retryable `rate_limited` error saying when a slot frees up. */
  take(): void {
    const now = this.#now();
    const cutoff = now - this.#windowMs;
    let drop = 0;
    while (drop < this.#stamps.length && (this.#stamps[drop] ?? now) <= cutoff) drop++;
    if (drop > 0) this.#stamps = this.#stamps.slice(drop);
    if (this.#stamps.length >= this.#limit) {
      const oldest = this.#stamps[0] ?? now;
      const retryAfterSeconds = Math.max(1, Math.ceil((oldest + this.#windowMs - now) / 1000));
      throw new IntegrationError(
        "rate_limited",
        `business central: client budget of ${this.#limit} requests per ${this.#windowMs / 1000} s spent`,
        { retryAfterSeconds },
      );
    }
    this.#stamps.push(now);
  }
}
