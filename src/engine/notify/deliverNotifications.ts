/**
 * The outbox's deliverer (docs/notifications.md): claims due deliveries (SKIP LOCKED, leased),
 * POSTs each signed body, and records the attempt; SQL decides delivered / retry with full-jitter
 * backoff / failed after the last attempt. At least once: a crash after the POST and before the
 * record means the lease expires and the body is sent again, under the same delivery id.
 */
import type { Db } from "../../db/types.ts";
import type { EngineLogger } from "../observe/logger.ts";
import { signWebhook } from "./signature.ts";

export interface DeliverOptions {
  /** Deliveries claimed per round; default 20. */
  limit?: number;
  /** One POST's deadline; default 10 s (a slow receiver must not hold the lease of 60 s). */
  timeoutMs?: number;
  /** Retry backoff base and cap (full jitter on base · 2^(attempt-1)); defaults 30 s and 1 h. */
  backoffBaseSeconds?: number;
  backoffCapSeconds?: number;
  fetch?: typeof fetch;
  /** Unix-seconds clock for the signature's timestamp; default Date.now. */
  now?: () => number;
}

interface Claimed {
  id: string;
  attempt: number;
  url: string;
  kind: string;
  secret: string;
  payload: Record<string, unknown>;
}

/** One delivery round; returns how many deliveries were attempted. */
export async function deliverNotifications(
  db: Db,
  log: EngineLogger,
  options: DeliverOptions = {},
): Promise<number> {
  const { rows } = await db.query<Claimed>("select * from sync_engine.claim_notifications($1, $2)", [
    options.limit ?? 20,
    60,
  ]);
  const doFetch = options.fetch ?? fetch;
  await Promise.all(
    rows.map(async (d) => {
      // Slack incoming webhooks accept only their own fields; the generic body carries everything.
      const body = JSON.stringify(d.kind === "slack" ? { text: d.payload.text } : d.payload);
      const timestamp = Math.floor((options.now?.() ?? Date.now()) / 1000);
      const started = performance.now();
      let status: number | null = null;
      let error: string | null = null;
      try {
        const response = await doFetch(d.url, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            "User-Agent": "sync-scheduler-webhooks/1",
            "X-Sync-Event": String(d.payload.event ?? ""),
            "X-Sync-Delivery-Id": d.id,
            "Idempotency-Key": d.id,
            "X-Sync-Attempt": String(d.attempt),
            "X-Sync-Signature": await signWebhook(d.secret, body, timestamp),
          },
          body,
          redirect: "manual",
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        status = response.status;
        if (status < 200 || status > 299) error = `HTTP ${status}`;
        await response.body?.cancel().catch(() => {});
      } catch (e) {
        error =
          e instanceof Error && e.name === "TimeoutError" ? "timeout" : `network: ${String(e).slice(0, 200)}`;
      }
      const outcome = await db.query<{ s: string | null }>(
        "select sync_engine.record_notification_attempt($1, $2, $3, $4, $5, $6, $7) as s",
        [
          d.id,
          d.attempt,
          status,
          error,
          Math.round(performance.now() - started),
          options.backoffBaseSeconds ?? 30,
          options.backoffCapSeconds ?? 3600,
        ],
      );
      log.info({
        event: "notification_attempt",
        delivery_id: d.id,
        attempt: d.attempt,
        http_status: status,
        error,
        outcome: outcome.rows[0]?.s ?? "lost_lease",
      });
    }),
  );
  return rows.length;
}
