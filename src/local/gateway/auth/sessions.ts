import { createHash, randomBytes } from "node:crypto";
import type { Db, Queryable } from "../../../db/types.ts";
import { signJwt } from "../jwt.ts";
import { AuthError } from "./errors.ts";
import { runAccessTokenHook } from "./hook.ts";
import { type AuthUser, loadUser } from "./users.ts";

/** GoTrue's default `GOTRUE_JWT_EXP`: one hour. */
export const ACCESS_TOKEN_SECONDS = 3600;
/** GoTrue's default refresh-token reuse interval: a token rotated less than 10 s ago may be presented again (two tabs racing). */
const REUSE_INTERVAL_SECONDS = 10;

/** What `POST /auth/v1/token` answers and auth-js `signInWithPassword` expects. */
export interface SessionResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  expires_at: number;
  refresh_token: string;
  user: AuthUser;
}

export interface SessionOptions {
  jwtSecret: string;
  /** `iss` claim: `<gateway url>/auth/v1`, as GoTrue's API_EXTERNAL_URL. */
  issuer: string;
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

async function newRefreshToken(
  tx: Queryable,
  sessionId: string,
  userId: string,
  parentId: string | null,
): Promise<string> {
  // 24 random bytes: 192 bits, beyond guessing.
  const token = randomBytes(24).toString("base64url");
  await tx.query(
    "insert into gateway_local.auth_refresh_tokens (token_hash, session_id, user_id, parent_id) values ($1, $2, $3, $4)",
    [hashToken(token), sessionId, userId, parentId],
  );
  return token;
}

async function accessToken(
  db: Db,
  user: AuthUser,
  sessionId: string,
  method: string,
  options: SessionOptions,
): Promise<{ token: string; exp: number }> {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + ACCESS_TOKEN_SECONDS;
  // GoTrue's AccessTokenClaims, in its order; the hook may add (org_id) or change claims.
  const claims = await runAccessTokenHook(
    db,
    user.id,
    {
      iss: options.issuer,
      sub: user.id,
      aud: "authenticated",
      exp,
      iat,
      email: user.email,
      phone: user.phone,
      app_metadata: user.app_metadata,
      user_metadata: user.user_metadata,
      role: "authenticated",
      aal: "aal1",
      amr: [{ method, timestamp: iat }],
      session_id: sessionId,
      is_anonymous: user.is_anonymous,
    },
    method,
  );
  return {
    token: await signJwt(claims, options.jwtSecret),
    exp: typeof claims.exp === "number" ? claims.exp : exp,
  };
}

async function respond(
  db: Db,
  userId: string,
  sessionId: string,
  refreshToken: string,
  method: string,
  options: SessionOptions,
): Promise<SessionResponse> {
  const user = await loadUser(db, userId);
  if (!user) throw new AuthError(403, "user_not_found", "User from sub claim in JWT does not exist");
  const { token, exp } = await accessToken(db, user, sessionId, method, options);
  return {
    access_token: token,
    token_type: "bearer",
    expires_in: ACCESS_TOKEN_SECONDS,
    expires_at: exp,
    refresh_token: refreshToken,
    user,
  };
}

/**
 * Starts a session for a user whose password was checked: a session row, a refresh token and
 * an access token whose claims came through the custom access token hook.
 * @example const session = await startSession(db, userId, { jwtSecret, issuer });
 */
export async function startSession(
  db: Db,
  userId: string,
  options: SessionOptions,
): Promise<SessionResponse> {
  const { sessionId, refreshToken } = await db.transaction(async (tx) => {
    await tx.query("update auth.users set last_sign_in_at = now() where id = $1", [userId]);
    const { rows } = await tx.query<{ id: string }>(
      "insert into gateway_local.auth_sessions (user_id) values ($1) returning id",
      [userId],
    );
    const sessionId = (rows[0] as { id: string }).id;
    return { sessionId, refreshToken: await newRefreshToken(tx, sessionId, userId, null) };
  });
  return respond(db, userId, sessionId, refreshToken, "password", options);
}

/**
 * Rotates a refresh token: the presented one is revoked and a new one issued for the same
 * session. A token presented again after the 10 s reuse interval revokes the whole session
 * (GoTrue's reuse detection).
 * @example const session = await refreshSession(db, body.refresh_token, { jwtSecret, issuer });
 */
export async function refreshSession(
  db: Db,
  presented: string,
  options: SessionOptions,
): Promise<SessionResponse> {
  const outcome = await db.transaction(async (tx) => {
    const { rows } = await tx.query<{
      id: string;
      session_id: string;
      user_id: string;
      revoked: boolean;
      recent: boolean;
      session_revoked: boolean;
    }>(
      `select t.id::text, t.session_id, t.user_id, t.revoked,
              t.updated_at > now() - make_interval(secs => $2) as recent,
              s.revoked_at is not null as session_revoked
       from gateway_local.auth_refresh_tokens t
       join gateway_local.auth_sessions s on s.id = t.session_id
       where t.token_hash = $1
       for update of t`,
      [hashToken(presented), REUSE_INTERVAL_SECONDS],
    );
    const row = rows[0];
    if (!row || row.session_revoked)
      return {
        error: new AuthError(
          400,
          "refresh_token_not_found",
          "Invalid Refresh Token: Refresh Token Not Found",
        ),
      };
    if (row.revoked && !row.recent) {
      await tx.query("update gateway_local.auth_sessions set revoked_at = now() where id = $1", [
        row.session_id,
      ]);
      await tx.query(
        "update gateway_local.auth_refresh_tokens set revoked = true, updated_at = now() where session_id = $1",
        [row.session_id],
      );
      return {
        error: new AuthError(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used"),
      };
    }
    await tx.query(
      "update gateway_local.auth_refresh_tokens set revoked = true, updated_at = now() where id = $1",
      [row.id],
    );
    await tx.query("update gateway_local.auth_sessions set refreshed_at = now() where id = $1", [
      row.session_id,
    ]);
    const token = await newRefreshToken(tx, row.session_id, row.user_id, row.id);
    return { sessionId: row.session_id, userId: row.user_id, token };
  });
  // Committed before throwing: reuse detection must revoke the session even though the call fails.
  if ("error" in outcome) throw outcome.error;
  return respond(db, outcome.userId, outcome.sessionId, outcome.token, "token_refresh", options);
}

/** True while a session exists and is not revoked (GoTrue rejects tokens of ended sessions). */
export async function sessionIsActive(q: Queryable, sessionId: string): Promise<boolean> {
  const { rows } = await q.query<{ ok: boolean }>(
    "select exists (select from gateway_local.auth_sessions where id = $1 and revoked_at is null) as ok",
    [sessionId],
  );
  return rows[0]?.ok === true;
}

/**
 * Ends sessions like GoTrue's logout: `local` this session, `others` all but this one, `global` all.
 * @example await endSessions(db, userId, sessionId, "local");
 */
export async function endSessions(
  db: Db,
  userId: string,
  sessionId: string | undefined,
  scope: "global" | "local" | "others",
): Promise<void> {
  const where =
    scope === "global"
      ? "user_id = $1"
      : scope === "local"
        ? "user_id = $1 and id = $2"
        : "user_id = $1 and id <> $2";
  const params =
    scope === "global" ? [userId] : [userId, sessionId ?? "00000000-0000-0000-0000-000000000000"];
  await db.transaction(async (tx) => {
    await tx.query(
      `update gateway_local.auth_refresh_tokens set revoked = true, updated_at = now()
       where session_id in (select id from gateway_local.auth_sessions where ${where} and revoked_at is null)`,
      params,
    );
    await tx.query(
      `update gateway_local.auth_sessions set revoked_at = now() where ${where} and revoked_at is null`,
      params,
    );
  });
}
