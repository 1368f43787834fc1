/**
 * Maps Business Central HTTP answers (status + OData error body `{"error":{"code","message"}}`) to
 * {@link IntegrationError}. Status decides retryability; the OData code refines `not_found`.
 */
import { IntegrationError } from "../errors.ts";
import { parseRetryAfter } from "../http.ts";

/** The OData error body Business Central sends. */
export interface ODataErrorBody {
  error?: { code?: unknown; message?: unknown };
}

// BC's own codes for a missing company / record; it reports some of them with 400, not 404.
const NOT_FOUND_CODES = new Set([
  "Internal_CompanyNotFound",
  "Internal_RecordNotFound",
  "BadRequest_NotFound",
]);

/**
 * Builds the error for a non-2xx Business Central answer.
 *
 * @example
 * throw dynamicsError(429, new Headers({ "retry-after": "30" }), { error: { code: "TooManyRequests", message: "…" } });
 */
export function dynamicsError(
  status: number,
  headers: Headers,
  body: unknown,
  now: number = Date.now(),
): IntegrationError {
  const odata = (body as ODataErrorBody | undefined)?.error;
  const remoteCode = typeof odata?.code === "string" ? odata.code : undefined;
  const detail = typeof odata?.message === "string" ? `: ${odata.message}` : "";
  const message = `business central: HTTP ${status}${remoteCode === undefined ? "" : ` ${remoteCode}`}${detail}`;
  const retryAfterSeconds = parseRetryAfter(headers.get("retry-after"), now);
  const options = {
    status,
    ...(remoteCode === undefined ? {} : { remoteCode }),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
  if (remoteCode !== undefined && NOT_FOUND_CODES.has(remoteCode)) {
    return new IntegrationError("not_found", message, options);
  }
  switch (status) {
    case 401:
      return new IntegrationError("unauthorized", message, options);
    case 403:
      return new IntegrationError("forbidden", message, options);
    case 404:
      return new IntegrationError("not_found", message, options);
    case 408: // operation timeout (8 min)
    case 504: // request over 10 min
      return new IntegrationError("timeout", message, options);
    case 429: // 6,000 requests / 5 min, 100 connections or a full queue of 95
      return new IntegrationError("rate_limited", message, options);
  }
  // 502/503 carry Retry-After in BC (503 = queued longer than 8 min behind 5 concurrent requests); other
  // 5xx are retried by the engine's own exponential backoff.
  if (status >= 500) return new IntegrationError("server_error", message, options);
  return new IntegrationError("bad_request", message, options);
}
