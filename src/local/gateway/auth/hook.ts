import type { Db } from "../../../db/types.ts";
import type { JwtClaims } from "../jwt.ts";
import { AuthError } from "./errors.ts";

// GoTrue's output schema for the custom access token hook requires these to survive the hook
// (supabase docs, custom-access-token-hook.mdx, "Required claims").
const REQUIRED_CLAIMS = [
  "aud",
  "exp",
  "iat",
  "sub",
  "email",
  "phone",
  "role",
  "aal",
  "session_id",
  "is_anonymous",
];

/**
 * Runs `public.custom_access_token_hook(event jsonb)` as `supabase_auth_admin`, the role GoTrue
 * calls it with on Supabase, and returns the claims it produced. Without the hook (or the role)
 * the claims pass through unchanged.
 * @example const claims = await runAccessTokenHook(db, userId, claims, "password");
 */
export async function runAccessTokenHook(
  db: Db,
  userId: string,
  claims: JwtClaims,
  authenticationMethod: string,
): Promise<JwtClaims> {
  return db.transaction(async (tx) => {
    const { rows: probe } = await tx.query<{ hook: boolean; role: boolean }>(
      `select to_regprocedure('public.custom_access_token_hook(jsonb)') is not null as hook,
              exists (select from pg_catalog.pg_roles where rolname = 'supabase_auth_admin') as role`,
    );
    if (!probe[0]?.hook || !probe[0]?.role) return claims;
    await tx.query("select set_config('role', 'supabase_auth_admin', true)");
    const event = { user_id: userId, claims, authentication_method: authenticationMethod };
    const { rows } = await tx.query<{ out: unknown }>(
      "select public.custom_access_token_hook($1::jsonb) as out",
      [JSON.stringify(event)],
    );
    const out = rows[0]?.out;
    const obj = typeof out === "object" && out !== null ? (out as Record<string, unknown>) : {};
    const error = obj.error as { http_code?: unknown; message?: unknown } | undefined;
    if (error && typeof error === "object") {
      const status = typeof error.http_code === "number" ? error.http_code : 500;
      throw new AuthError(
        status,
        "unexpected_failure",
        typeof error.message === "string" ? error.message : "Hook error",
      );
    }
    const next = obj.claims;
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      throw new AuthError(
        500,
        "unexpected_failure",
        "Error running hook URI: output claims do not conform to the expected schema",
      );
    }
    const missing = REQUIRED_CLAIMS.filter((k) => !(k in next));
    if (missing.length > 0) {
      throw new AuthError(
        500,
        "unexpected_failure",
        `Error running hook URI: output claims do not conform to the expected schema (missing ${missing.join(", ")})`,
      );
    }
    return next as JwtClaims;
  });
}
