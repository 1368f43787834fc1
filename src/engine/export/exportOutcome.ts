/**
 * How a failed export attempt becomes a {@link RunOutcome}: the policy part of the export executor, kept
 * free of I/O so it can be read (and tested) on its own.
 */
import type { IntegrationError } from "../../integrations/errors.ts";
import type { RunOutcome } from "../types.ts";

/** Limits on free retries (snoozes) for rate-limit answers. */
export interface SnoozePolicy {
  /**
   * Consecutive rate-limit answers without a recorded batch that are retried without charging an
   * attempt. Default 20.
   */
  maxFreeSnoozes: number;
  /** Longest single wait in seconds, whatever the server asks for. Default 3600 (1 h). */
  maxSnoozeSeconds: number;
}

/**
 * Why 20 and 1 h: the n-th snooze in a row waits at least 2^(n-1) s (or the server's Retry-After /
 * Xledger's resetAt if longer), capped at 1 h. Twenty in a row therefore span at least ≈ 10.5 h
 * (1 + 2 + … + 2048 s ≈ 1.1 h, then 8 × 1 h); after that each further rate-limit answer charges an
 * attempt, so with the default 5 attempts a run that never gets a batch through ends `failed`
 * (code `rate_limited` / `burst_limit` / `insufficient_credits`) within roughly 15 h instead of
 * staying pending forever and blocking its integration. One recorded batch resets the count, so a
 * long export that is merely throttled now and then never runs out. The 1 h cap also means an
 * Xledger credit reset weeks away is re-checked hourly (one request) rather than trusted blindly.
 */
export const DEFAULT_SNOOZE_POLICY: Readonly<SnoozePolicy> = { maxFreeSnoozes: 20, maxSnoozeSeconds: 3600 };

/**
 * The outcome for a rate-limit answer that is the `inARow`-th since the run last recorded a batch.
 *
 * @example
 * snoozeOutcome(error, 1); // { kind: "retry", code: "rate_limited", retryAfterSeconds: 42, chargeAttempt: false, … }
 */
export function snoozeOutcome(
  error: IntegrationError,
  inARow: number,
  policy: SnoozePolicy = DEFAULT_SNOOZE_POLICY,
): RunOutcome {
  const n = Math.max(1, inARow);
  const escalation = 2 ** Math.min(n - 1, 30);
  const retryAfterSeconds = Math.min(
    policy.maxSnoozeSeconds,
    Math.max(error.retryAfterSeconds ?? 0, escalation),
  );
  const free = n <= policy.maxFreeSnoozes;
  return {
    kind: "retry",
    code: error.code,
    message: free
      ? error.message
      : `${error.message} (rate limited ${n} times in a row without progress; charging an attempt)`,
    retryAfterSeconds,
    chargeAttempt: !free,
  };
}

/**
 * The outcome for any other {@link IntegrationError}: retryable ones are retried (charging an attempt,
 * honouring a Retry-After), the rest fail the run with the error's code.
 *
 * @example
 * errorOutcome(new IntegrationError("unauthorized", "xledger: bad token")); // { kind: "failed", code: "unauthorized", … }
 */
export function errorOutcome(error: IntegrationError): RunOutcome {
  if (!error.retryable) return { kind: "failed", code: error.code, message: error.message };
  return {
    kind: "retry",
    code: error.code,
    message: error.message,
    ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
  };
}
