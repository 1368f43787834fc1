/**
 * Errors the way PostgREST answers them — a database error mapped to its status, or one of
 * PostgREST's own PGRSTnnn errors — and how they are sent. The one place the gateway's REST and
 * RPC handlers (and the tests' act-as helper) take their errors from.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { pgError } from "../../../db/types.ts";
import { sendJson } from "../http.ts";
import type { JwtFailure } from "../jwt.ts";

/** The body PostgREST sends for an error, which supabase-js hands to callers as `error`. */
export interface PostgrestErrorBody {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

/** An error as an HTTP response: status, extra headers and PostgREST's JSON body. */
export interface PostgrestErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: PostgrestErrorBody;
}

/**
 * PostgREST's SQLSTATE → HTTP table (PostgREST `src/PostgREST/Error.hs`, `mapSQLtoHTTP`), for
 * codes other than `PTnnn` and `PGRST`, which are handled by {@link toPostgrestError}.
 * @param authenticated whether the request carried a JWT (42501 is 403 then, else 401).
 */
export function httpStatusForSqlState(code: string, message: string, authenticated: boolean): number {
  const exact: Record<string, number> = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "53400": 500,
    "57P01": 503,
    "42883": 404,
    "42P01": 404,
    "42P17": 500,
    P0001: 400,
  };
  if (code === "21000") return message.endsWith("requires a WHERE clause") ? 400 : 500;
  if (code === "22023") return /^role .* does not exist/.test(message) ? 401 : 400;
  if (code === "42501") return authenticated ? 403 : 401;
  const fixed = exact[code];
  if (fixed !== undefined) return fixed;
  const byClass: Array<[string, number]> = [
    ["08", 503],
    ["09", 500],
    ["0L", 403],
    ["0P", 403],
    ["25", 500],
    ["28", 403],
    ["2D", 500],
    ["38", 500],
    ["39", 500],
    ["3B", 500],
    ["40", 500],
    ["53", 503],
    ["54", 500],
    ["55", 500],
    ["57", 500],
    ["58", 500],
    ["F0", 500],
    ["HV", 500],
    ["P0", 500],
    ["XX", 500],
  ];
  for (const [prefix, status] of byClass) if (code.startsWith(prefix)) return status;
  return 400;
}

function parseJsonObject(text: string | undefined): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const optionalText = (v: unknown): string | null | undefined =>
  v === undefined || v === null ? null : typeof v === "string" ? v : undefined;

/**
 * Turns a database error into the response PostgREST (≥ 12) would send, including the
 * full-control form `RAISE SQLSTATE 'PGRST' USING MESSAGE = '{json}', DETAIL = '{json}'` and
 * `PTnnn` codes. PostgREST parses `details`, `hint` and header values as text only; anything
 * else is its error PGRST121 (500), reproduced here.
 * @example toPostgrestError(err, true) // → { status: 409, headers: {}, body: { code: "sync_already_in_progress", … } }
 */
export function toPostgrestError(error: unknown, authenticated: boolean): PostgrestErrorResponse {
  const e = pgError(error);
  if (!e) {
    return {
      status: 500,
      headers: {},
      body: { code: "PGRST000", message: String(error), details: null, hint: null },
    };
  }
  if (e.code === "PGRST") {
    const msg = parseJsonObject(e.message);
    const det = parseJsonObject(e.detail);
    const details = optionalText(msg?.details);
    const hint = optionalText(msg?.hint);
    const headers = det?.headers;
    const headersOk =
      typeof headers === "object" &&
      headers !== null &&
      Object.values(headers).every((v) => typeof v === "string");
    if (
      msg &&
      det &&
      typeof msg.code === "string" &&
      typeof msg.message === "string" &&
      details !== undefined &&
      hint !== undefined &&
      Number.isInteger(det.status) &&
      headersOk
    ) {
      return {
        status: det.status as number,
        headers: headers as Record<string, string>,
        body: { code: msg.code, message: msg.message, details, hint },
      };
    }
    return {
      status: 500,
      headers: {},
      body: {
        code: "PGRST121",
        message: "Could not parse JSON in the RAISE SQLSTATE 'PGRST' error",
        details: `Invalid JSON value for MESSAGE: '${e.message}'`,
        hint: null,
      },
    };
  }
  const body: PostgrestErrorBody = {
    code: e.code,
    message: e.message,
    details: e.detail ?? null,
    hint: e.hint ?? null,
  };
  const pt = /^PT(\d{3})$/.exec(e.code);
  if (pt) return { status: Number(pt[1]), headers: {}, body };
  if (e.code.startsWith("PT")) return { status: 500, headers: {}, body };
  return { status: httpStatusForSqlState(e.code, e.message, authenticated), headers: {}, body };
}

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
