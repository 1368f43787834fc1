import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../../../db/types.ts";
import { BodyTooLargeError, corsHeaders, header, readBody, sendJson } from "../http.ts";
import { type JwtClaims, verifyJwt } from "../jwt.ts";
import { AuthError, sendAuthError } from "./errors.ts";
import {
  endSessions,
  refreshSession,
  type SessionOptions,
  sessionIsActive,
  startSession,
} from "./sessions.ts";
import { checkPassword, loadUser } from "./users.ts";

export interface AuthOptions extends SessionOptions {
  db: Db;
  bodyLimit: number;
}

async function jsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  let raw: Buffer;
  try {
    raw = await readBody(req, limit);
  } catch (error) {
    if (error instanceof BodyTooLargeError)
      throw new AuthError(413, "request_too_large", "Request body too large");
    throw error;
  }
  let value: unknown;
  try {
    value = raw.length === 0 ? {} : JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new AuthError(400, "bad_json", `Could not parse request body as JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AuthError(400, "bad_json", "Could not parse request body as JSON: expected an object");
  }
  return value as Record<string, unknown>;
}

/** The verified claims of the bearer token, with GoTrue's errors (401 missing, 403 invalid or ended session). */
async function requireUserClaims(
  req: IncomingMessage,
  options: AuthOptions,
): Promise<JwtClaims & { sub: string }> {
  const m = /^bearer\s+(\S+)$/i.exec(header(req, "authorization")?.trim() ?? "");
  if (!m?.[1]) throw new AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token");
  const result = await verifyJwt(m[1], options.jwtSecret);
  if (!result.ok) {
    const reason =
      result.failure.message === "JWT expired"
        ? "token has invalid claims: token is expired"
        : result.failure.message;
    throw new AuthError(403, "bad_jwt", `invalid JWT: unable to parse or verify signature, ${reason}`);
  }
  const { sub, session_id: sessionId } = result.claims;
  if (typeof sub !== "string" || !/^[0-9a-f-]{36}$/i.test(sub)) {
    throw new AuthError(403, "bad_jwt", "invalid claim: missing sub claim");
  }
  if (typeof sessionId === "string" && !(await sessionIsActive(options.db, sessionId))) {
    throw new AuthError(403, "session_not_found", "Session from session_id claim in JWT does not exist");
  }
  return { ...result.claims, sub };
}

async function token(
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  options: AuthOptions,
) {
  const grant = query.get("grant_type");
  const body = await jsonBody(req, options.bodyLimit);
  if (grant === "password") {
    const email = typeof body.email === "string" ? body.email : "";
    const password = typeof body.password === "string" ? body.password : "";
    if (email === "" && typeof body.phone !== "string") {
      throw new AuthError(400, "validation_failed", "missing email or phone");
    }
    const user = email && password ? await checkPassword(options.db, email, password) : null;
    if (!user) throw new AuthError(400, "invalid_credentials", "Invalid login credentials");
    if (!user.confirmed) throw new AuthError(400, "email_not_confirmed", "Email not confirmed");
    return sendJson(req, res, 200, await startSession(options.db, user.id, options));
  }
  if (grant === "refresh_token") {
    const presented = typeof body.refresh_token === "string" ? body.refresh_token : "";
    if (presented === "")
      throw new AuthError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
    return sendJson(req, res, 200, await refreshSession(options.db, presented, options));
  }
  throw new AuthError(400, "validation_failed", "unsupported_grant_type");
}

/**
 * Serves the GoTrue endpoints supabase-js uses (path without `/auth/v1`): password and
 * refresh-token grants, the current user, logout, settings and health.
 * @example await handleAuth(req, res, "/token", url.searchParams, options);
 */
export async function handleAuth(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  options: AuthOptions,
): Promise<void> {
  const method = req.method ?? "GET";
  try {
    if (path === "/token" && method === "POST") return await token(req, res, query, options);
    if (path === "/user" && (method === "GET" || method === "HEAD")) {
      const claims = await requireUserClaims(req, options);
      const user = await loadUser(options.db, claims.sub);
      if (!user) throw new AuthError(403, "user_not_found", "User from sub claim in JWT does not exist");
      return sendJson(req, res, 200, user);
    }
    if (path === "/logout" && method === "POST") {
      const claims = await requireUserClaims(req, options);
      const scope = query.get("scope") ?? "global";
      if (scope !== "global" && scope !== "local" && scope !== "others") {
        throw new AuthError(400, "validation_failed", "Unsupported logout scope");
      }
      const sessionId = typeof claims.session_id === "string" ? claims.session_id : undefined;
      await endSessions(options.db, claims.sub, sessionId, scope);
      res.writeHead(204, corsHeaders(req));
      res.end();
      return;
    }
    if (path === "/settings" && method === "GET") {
      return sendJson(req, res, 200, {
        external: { email: true, phone: false, anonymous_users: false },
        disable_signup: true,
        mailer_autoconfirm: true,
        phone_autoconfirm: false,
        sms_provider: "",
        saml_enabled: false,
      });
    }
    if (path === "/health" && method === "GET") {
      return sendJson(req, res, 200, {
        version: "local",
        name: "GoTrue",
        description: "Sync Scheduler local auth",
      });
    }
    throw new AuthError(404, "not_found", "Not Found");
  } catch (error) {
    if (error instanceof AuthError) return sendAuthError(req, res, error);
    throw error;
  }
}
