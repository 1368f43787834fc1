/**
 * Maps Xledger's answers to {@link IntegrationError}. Xledger reports almost everything with HTTP 200 and
 * `{"errors":[{"code":"BAD_REQUEST.…","message":"…","extensions":{…}}]}`; `code` is a top-level field.
 */
import { IntegrationError } from "../errors.ts";

/** One entry of a GraphQL `errors` array as Xledger sends it. */
export interface XledgerGraphQLError {
  code?: string;
  message?: string;
  extensions?: Record<string, unknown>;
}

// Delays from the official xledger/graphql-samples retry loop (Webhooks-CSharp): it waits 5 s after a burst
// error and 1 s after a concurrency error; for credits it waits 20 min, with a TODO to use
// `extensions.resetAt` instead — which we do when it is present.
const BURST_RETRY_SECONDS = 5;
const CONCURRENCY_RETRY_SECONDS = 1;
const CREDITS_FALLBACK_RETRY_SECONDS = 20 * 60;

/**
 * Turns the first entry of a non-empty `errors` array into an {@link IntegrationError}.
 *
 * @example
 * throw xledgerError([{ code: "BAD_REQUEST.BURST_RATE_LIMIT_REACHED", message: "Too many requests" }]);
 */
export function xledgerError(
  errors: readonly XledgerGraphQLError[],
  status = 200,
  now: number = Date.now(),
): IntegrationError {
  const first = errors[0] ?? {};
  const code = first.code ?? stringField(first.extensions, "code");
  const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : "";
  const message = `xledger: ${first.message ?? "unknown GraphQL error"}${more}`;
  const base = code === undefined ? { status } : { status, remoteCode: code };
  switch (code) {
    case "BAD_REQUEST.BURST_RATE_LIMIT_REACHED":
      return new IntegrationError("burst_limit", message, {
        ...base,
        retryAfterSeconds: BURST_RETRY_SECONDS,
      });
    case "BAD_REQUEST.CONCURRENCY_LIMIT_REACHED":
      return new IntegrationError("concurrency_limit", message, {
        ...base,
        retryAfterSeconds: CONCURRENCY_RETRY_SECONDS,
      });
    case "BAD_REQUEST.INSUFFICIENT_CREDITS":
      return new IntegrationError("insufficient_credits", message, {
        ...base,
        retryAfterSeconds: creditsRetrySeconds(first.extensions, now),
      });
  }
  if (code?.startsWith("UNAUTHORIZED") || code?.startsWith("UNAUTHENTICATED")) {
    return new IntegrationError("unauthorized", message, base);
  }
  if (code?.startsWith("FORBIDDEN")) return new IntegrationError("forbidden", message, base);
  // Two Xledger answers carry no code at all, so the message is the only signal there is (the community
  // client's rule book matches the same two phrases): a malformed token and a server-side query timeout.
  const lower = (first.message ?? "").toLowerCase();
  if (lower.includes("bad format for api token")) return new IntegrationError("unauthorized", message, base);
  if (lower.includes("query timed out")) return new IntegrationError("timeout", message, base);
  return new IntegrationError("bad_request", message, base);
}

function creditsRetrySeconds(extensions: Record<string, unknown> | undefined, now: number): number {
  const resetAt = stringField(extensions, "resetAt");
  if (resetAt === undefined) return CREDITS_FALLBACK_RETRY_SECONDS;
  const at = Date.parse(resetAt);
  if (Number.isNaN(at)) return CREDITS_FALLBACK_RETRY_SECONDS;
  // Never 0: a reset "now" by the server's clock may still be in the future by ours.
  return Math.max(1, Math.ceil((at - now) / 1000));
}

function stringField(record: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === "string" ? value : undefined;
}
