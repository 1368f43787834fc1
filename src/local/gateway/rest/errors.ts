import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "../http.ts";
import type { JwtFailure } from "../jwt.ts";
import type { PostgrestErrorResponse } from "../postgrestError.ts";

/**
 * One of PostgREST's own errors (PGRSTnnn) as a response. Codes, statuses and messages follow
 * PostgREST `src/PostgREST/Error.hs`.
 * @example pgrstError(404, "PGRST202", "Could not find the function public.f in the schema cache")
 */
export function pgrstError(
  status: number,
  code: string,
  message: string,
  details: string | null = null,
  hint: string | null = null,
  headers: Record<string, string> = {},
): PostgrestErrorResponse {
  return { status, headers, body: { code, message, details, hint } };
}

/** PGRST301 (could not decode) / PGRST303 (claims invalid), both 401 with a WWW-Authenticate challenge. */
export function jwtError(failure: JwtFailure): PostgrestErrorResponse {
  const challenge = {
    "WWW-Authenticate": `Bearer error="invalid_token", error_description=${JSON.stringify(failure.message)}`,
  };
  return failure.kind === "decode"
    ? pgrstError(401, "PGRST301", failure.message, failure.details, null, challenge)
    : pgrstError(401, "PGRST303", failure.message, null, null, challenge);
}

/** PGRST100: a query string PostgREST could not parse. */
export const queryParamError = (message: string, details: string) =>
  pgrstError(400, "PGRST100", message, details);

/** PGRST127: a PostgREST feature this gateway does not implement (honest 400 rather than a wrong answer). */
export const notImplemented = (details: string) =>
  pgrstError(400, "PGRST127", "Feature not implemented", details);

/**
 * Sends an error exactly as PostgREST does: status, the error's own headers, JSON body
 * `{code,message,details,hint}` and `Proxy-Status: PostgREST; error=<code>`.
 * @example sendPostgrestError(req, res, pgrstError(400, "PGRST102", "Empty or invalid json"));
 */
export function sendPostgrestError(
  req: IncomingMessage,
  res: ServerResponse,
  error: PostgrestErrorResponse,
): void {
  const extra: Record<string, string> =
    error.status === 401 && !error.headers["WWW-Authenticate"] ? { "WWW-Authenticate": "Bearer" } : {};
  sendJson(req, res, error.status, error.body, {
    ...extra,
    ...error.headers,
    "Proxy-Status": `PostgREST; error=${error.body.code}`,
  });
}
