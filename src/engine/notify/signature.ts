/**
 * Webhook signatures (docs/notifications.md): `X-Sync-Signature: t=<unix seconds>,v1=<hex>` where
 * hex = HMAC-SHA256(secret, `${t}.${body}`) — the scheme Stripe documents for its webhooks. The
 * timestamp is inside the MAC, so a receiver that rejects old timestamps (default tolerance 5 min)
 * rejects replays; the delivery id (`X-Sync-Delivery-Id`, also `Idempotency-Key`) deduplicates the
 * at-least-once retries. Web Crypto only: runs in Node, Deno and browsers.
 */

const encoder = new TextEncoder();

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The signature header value for a body sent at `timestamp` (unix seconds).
 *
 * @example
 * const header = await signWebhook("whsec_…", body, Math.floor(Date.now() / 1000)); // "t=1764460800,v1=5f2c…"
 */
export async function signWebhook(secret: string, body: string, timestamp: number): Promise<string> {
  return `t=${timestamp},v1=${await hmacHex(secret, `${timestamp}.${body}`)}`;
}

export type SignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: "malformed" | "mismatch" | "stale" };

/**
 * Verifies a received body against its `X-Sync-Signature` header, as a receiver should: the MAC
 * over the exact bytes received, compared in constant time, and a timestamp within the tolerance.
 *
 * @example
 * const check = await verifyWebhook(secret, req.headers.get("x-sync-signature"), await req.text());
 * if (!check.ok) return new Response(null, { status: 400 });
 */
export async function verifyWebhook(
  secret: string,
  header: string | null | undefined,
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): Promise<SignatureCheck> {
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? "");
  if (!m) return { ok: false, reason: "malformed" };
  const timestamp = Number(m[1]);
  const expected = await hmacHex(secret, `${timestamp}.${body}`);
  const given = m[2] ?? "";
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  if (diff !== 0) return { ok: false, reason: "mismatch" };
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return { ok: false, reason: "stale" };
  return { ok: true, timestamp };
}
