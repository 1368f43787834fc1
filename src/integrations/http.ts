/**
 * The one place adapters touch `fetch`: adds the per-call deadline and turns transport failures into
 * coded {@link IntegrationError}s. Web-standard APIs only, so it runs unchanged in Node and Deno.
 */
import { IntegrationError } from "./errors.ts";

/** What {@link send} needs besides the request itself. */
export interface SendOptions {
  /** The caller's signal (run cancelled, worker draining). */
  signal: AbortSignal;
  /** Deadline for the whole exchange, response body included. */
  timeoutMs: number;
  /** Short label for error messages, e.g. `"xledger graphql"`. */
  what: string;
}

/** A response whose body has been read completely under the deadline. */
export interface ReadResponse {
  status: number;
  headers: Headers;
  /** Raw body text ("" when empty). */
  text: string;
}

/**
 * Performs one HTTP exchange under `AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])` and reads the
 * body before returning, so a connection cut mid-body is reported as `network`, not as a parse error later.
 *
 * @example
 * const res = await send("https://example.test/x", { method: "GET" }, { signal, timeoutMs: 30_000, what: "ping" });
 */
export async function send(url: string, init: RequestInit, options: SendOptions): Promise<ReadResponse> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, deadline]);
  try {
    const response = await fetch(url, { ...init, signal });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    throw transportError(error, options, deadline);
  }
}

function transportError(error: unknown, options: SendOptions, deadline: AbortSignal): IntegrationError {
  if (options.signal.aborted) {
    // The caller gave up (cancel, shutdown): the remote system did nothing wrong, so this is retryable later.
    return new IntegrationError("aborted", `${options.what}: aborted by caller`, { cause: error });
  }
  if (deadline.aborted) {
    return new IntegrationError(
      "timeout",
      `${options.what}: no complete answer within ${options.timeoutMs} ms`,
      {
        cause: error,
      },
    );
  }
  // fetch rejects with a TypeError for refused/reset connections and DNS failures (undici and Deno alike).
  const detail = error instanceof Error ? errorChain(error) : String(error);
  return new IntegrationError("network", `${options.what}: ${detail}`, { cause: error });
}

function errorChain(error: Error): string {
  const parts = [error.message];
  let cause: unknown = error.cause;
  // Three levels is enough for undici's TypeError → SocketError → code chain.
  for (let i = 0; i < 3 && cause instanceof Error; i++) {
    parts.push(cause.message);
    cause = cause.cause;
  }
  return parts.join(": ");
}

/**
 * Parses a `Retry-After` header (delta-seconds or HTTP-date) into whole seconds, or `undefined`.
 *
 * @example
 * parseRetryAfter("120"); // 120
 * parseRetryAfter(null); // undefined
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * Parses a JSON body, mapping garbage to a retryable `server_error` (proxies answer HTML on 502s).
 *
 * @example
 * const body = parseJson(res, "business central");
 */
export function parseJson(response: ReadResponse, what: string): unknown {
  if (response.text === "") return undefined;
  try {
    return JSON.parse(response.text) as unknown;
  } catch (error) {
    throw new IntegrationError(
      "server_error",
      `${what}: HTTP ${response.status} with a body that is not JSON`,
      {
        status: response.status,
        cause: error,
      },
    );
  }
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Parses an error body that may not be JSON at all (a proxy's HTML page, an empty 502): the
 * error's status decides what happened, the body only adds detail, so a body that does not parse
 * is undefined rather than a second error.
 *
 * @example
 * const errors = (lenientJson(response.text) as { errors?: unknown[] } | undefined)?.errors;
 */
export function lenientJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
