/**
 * Counts an integration's API requests by purpose: each one at once in the metrics
 * (`sync_external_api_requests_total`), and in `public.api_request_tally` when flushed — after each
 * recorded batch, after a failed attempt and after each ping, so a crash loses at most one batch's count.
 */
import type { Queryable } from "../../db/types.ts";
import type { RequestPurpose } from "../../integrations/types.ts";
import type { EngineMetrics } from "./metrics.ts";

/**
 * One integration's unflushed request counts.
 *
 * @example
 * const tally = new RequestTally(integrationId, "xledger", metrics);
 * await adapter.ping({ signal, onRequest: tally.onRequest });
 * await tally.flush(db);
 */
export class RequestTally {
  readonly #integrationId: string;
  readonly #integrationType: string;
  readonly #metrics: EngineMetrics;
  #pending: Partial<Record<RequestPurpose, number>> = {};

  constructor(integrationId: string, integrationType: string, metrics: EngineMetrics) {
    this.#integrationId = integrationId;
    this.#integrationType = integrationType;
    this.#metrics = metrics;
  }

  /** Pass as `AdapterContext.onRequest`. */
  readonly onRequest = (purpose: RequestPurpose): void => {
    this.#pending[purpose] = (this.#pending[purpose] ?? 0) + 1;
    this.#metrics.apiRequest(this.#integrationType, purpose);
  };

  /** Adds the unflushed counts to the monthly tally (one statement; nothing when there are none). */
  async flush(db: Queryable, at?: Date): Promise<void> {
    const counts = this.#pending;
    if (Object.keys(counts).length === 0) return;
    this.#pending = {};
    try {
      await db.query("select sync_engine.count_api_requests($1, $2, coalesce($3::timestamptz, now()))", [
        this.#integrationId,
        JSON.stringify(counts),
        at ?? null,
      ]);
    } catch (error) {
      // Put them back: the next flush tries again.
      for (const [purpose, n] of Object.entries(counts) as [RequestPurpose, number][]) {
        this.#pending[purpose] = (this.#pending[purpose] ?? 0) + n;
      }
      throw error;
    }
  }
}
