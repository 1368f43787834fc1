/**
 * The one error type of the integrations boundary. The engine decides what to do with a failed call from
 * `code`, `retryable` and `retryAfterSeconds` alone — never from `message`, which is for logs and humans.
 */

/** Every way a call to an accounting system can fail, as seen by the engine. */
export type IntegrationErrorCode =
  /** HTTP 429 / Business Central throttling, or our own client-side request budget is spent. */
  | "rate_limited"
  /** Xledger `BAD_REQUEST.BURST_RATE_LIMIT_REACHED`: a short-term request burst limit. */
  | "burst_limit"
  /** Xledger `BAD_REQUEST.CONCURRENCY_LIMIT_REACHED`: too many requests in flight for this token. */
  | "concurrency_limit"
  /** Xledger `BAD_REQUEST.INSUFFICIENT_CREDITS`: the API credit quota is used up until it resets. */
  | "insufficient_credits"
  /** Credentials rejected (bad token, bad client secret, token refresh did not help). */
  | "unauthorized"
  /** Authenticated but not allowed (missing permission set / token scope). */
  | "forbidden"
  /** Our own deadline (AbortSignal.timeout) fired, or the server answered 408/504 or "query timed out". */
  | "timeout"
  /** The connection failed or was cut before a complete answer arrived (reset, refused, DNS). */
  | "network"
  /** The server failed (5xx) or answered with something we cannot parse. */
  | "server_error"
  /** The server rejected the request as invalid; sending it again will not help. */
  | "bad_request"
  /**
   * The adapter refused one voucher before sending it: a field the target system would refuse (an account
   * number longer than Business Central's Code[20], a currency the company does not book). `voucher` says
   * which; the engine sets that voucher aside and goes on.
   */
  | "invalid_voucher"
  /** A configured resource (company, journal) does not exist. */
  | "not_found"
  /** The adapter's `config` or `credentials` failed validation; nothing was sent. */
  | "invalid_config"
  /** The caller's AbortSignal fired (worker shutdown, run cancelled); not a failure of the remote system. */
  | "aborted"
  /**
   * A read-back (reconciliation) would need more requests than the budget it was given
   * (`ReconcileContext.maxRequests`, src/integrations/reconcile.ts); it stopped before exceeding it. Retryable:
   * the budget refills (Xledger's monthly allowance, Business Central's 5-minute window).
   */
  | "budget_exhausted";

/** Options for {@link IntegrationError}. */
export interface IntegrationErrorOptions {
  /** Whether trying the same call again later can succeed. Defaults from the code, see {@link isRetryableCode}. */
  retryable?: boolean;
  /** The server (or our budget) told us how long to wait, in seconds. */
  retryAfterSeconds?: number;
  /** HTTP status of the response that caused the error, when there was one. */
  status?: number;
  /** The remote system's own error code (e.g. `BAD_REQUEST.INSUFFICIENT_CREDITS`, `Internal_CompanyNotFound`). */
  remoteCode?: string;
  /** The underlying error, kept for logs. */
  cause?: unknown;
  /** The voucher the remote system refused, when the adapter can tell (`bad_request` from `export`). */
  voucher?: string;
}

const RETRYABLE_CODES: ReadonlySet<IntegrationErrorCode> = new Set<IntegrationErrorCode>([
  "rate_limited",
  "burst_limit",
  "concurrency_limit",
  "insufficient_credits",
  "timeout",
  "network",
  "server_error",
  "aborted",
  "budget_exhausted",
]);

/**
 * The codes that mean "the remote system is rationing us — slow down", not "something is broken":
 * the export snoozes on them without charging an attempt, the health monitor stops pinging (a ping
 * would burn the quota the syncs need).
 */
const RATE_LIMIT_CODES: ReadonlySet<string> = new Set<IntegrationErrorCode>([
  "rate_limited",
  "burst_limit",
  "concurrency_limit",
  "insufficient_credits",
]);

/**
 * Whether this code means the remote system is rationing us (see {@link RATE_LIMIT_CODES}).
 *
 * @example
 * isRateLimitCode("insufficient_credits"); // true
 * isRateLimitCode("server_error"); // false
 */
export function isRateLimitCode(code: string): code is IntegrationErrorCode {
  return RATE_LIMIT_CODES.has(code);
}

/**
 * Whether an error with this code is worth retrying when the thrower did not say otherwise.
 *
 * @example
 * isRetryableCode("server_error"); // true
 * isRetryableCode("unauthorized"); // false
 */
export function isRetryableCode(code: IntegrationErrorCode): boolean {
  return RETRYABLE_CODES.has(code);
}

/**
 * A failed call to an accounting system, with a code the engine can act on.
 *
 * @example
 * throw new IntegrationError("rate_limited", "Business Central answered 429", {
 *   status: 429,
 *   retryAfterSeconds: 30,
 * });
 */
export class IntegrationError extends Error {
  override readonly name = "IntegrationError";
  readonly code: IntegrationErrorCode;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly status: number | undefined;
  readonly remoteCode: string | undefined;
  readonly voucher: string | undefined;

  constructor(code: IntegrationErrorCode, message: string, options: IntegrationErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? isRetryableCode(code);
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.status = options.status;
    this.remoteCode = options.remoteCode;
    this.voucher = options.voucher;
  }
}

/**
 * Narrowing helper that also works across module copies (checks the shape, not the prototype).
 *
 * @example
 * try { await adapter.ping(ctx); } catch (e) { if (isIntegrationError(e) && e.retryable) backOff(e); }
 */
export function isIntegrationError(value: unknown): value is IntegrationError {
  return (
    value instanceof IntegrationError ||
    (value instanceof Error &&
      value.name === "IntegrationError" &&
      typeof (value as { code?: unknown }).code === "string" &&
      typeof (value as { retryable?: unknown }).retryable === "boolean")
  );
}
