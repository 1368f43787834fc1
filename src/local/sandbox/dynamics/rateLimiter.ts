/**
 * Business Central's server-side throttle: at most 6,000 OData requests per user/service principal in a
 * 5-minute sliding window, then `429` with `Retry-After` (operational-limits-online.md).
 */

/** Limit settings; the defaults are BC online's. */
export interface RateLimit {
  requests: number;
  windowSeconds: number;
}

export const BC_RATE_LIMIT: Readonly<RateLimit> = { requests: 6_000, windowSeconds: 300 };

/**
 * Sliding-window counter per client.
 *
 * @example
 * const limiter = new SlidingWindowLimiter(BC_RATE_LIMIT);
 * const wait = limiter.admit("sandbox-client"); // undefined = admitted, else seconds to wait
 */
export class SlidingWindowLimiter {
  readonly #limit: RateLimit;
  #hits = new Map<string, number[]>();

  constructor(limit: RateLimit) {
    this.#limit = limit;
  }

  /** Admits one request for `client`, or returns the seconds until a slot frees. */
  admit(client: string, now: number = Date.now()): number | undefined {
    const windowMs = this.#limit.windowSeconds * 1000;
    const hits = (this.#hits.get(client) ?? []).filter((t) => t > now - windowMs);
    if (hits.length >= this.#limit.requests) {
      this.#hits.set(client, hits);
      return Math.max(1, Math.ceil(((hits[0] ?? now) + windowMs - now) / 1000));
    }
    hits.push(now);
    this.#hits.set(client, hits);
    return undefined;
  }

  reset(): void {
    this.#hits.clear();
  }
}
