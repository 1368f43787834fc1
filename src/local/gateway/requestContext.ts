import type { Db, Queryable } from "../../db/types.ts";
import type { JwtClaims } from "./jwt.ts";

/**
 * Roles a token may switch to: Supabase's `authenticator` is granted exactly these (plus
 * supabase_admin, which no local token needs). The gateway's own connection is usually a
 * superuser, so without this list a token signed with the secret could become `postgres`.
 */
export const SWITCHABLE_ROLES: ReadonlySet<string> = new Set(["anon", "authenticated", "service_role"]);

// Supabase sets these per role (`alter role anon set statement_timeout = '3s'`, authenticated 8s;
// supabase/postgres initial schema) and PostgREST applies them per transaction. Our bootstrap
// does not alter roles, so the gateway applies them itself.
export const STATEMENT_TIMEOUT: Record<string, string> = { anon: "3s", authenticated: "8s" };

/** What PostgREST puts into the transaction of one request (PostgREST docs, transactions.rst). */
export interface RequestContext {
  role: string;
  claims: JwtClaims;
  /** Lower-cased request headers; `{}` outside HTTP (Realtime checks). */
  headers?: Record<string, string>;
  method?: string;
  path?: string;
  /** Exposed schema first, then `extensions` (Supabase CLI `extra_search_path`). */
  searchPath?: string;
  /** STABLE/IMMUTABLE functions and reads run READ ONLY, as PostgREST does. */
  readOnly?: boolean;
}

/**
 * Runs `fn` in ONE transaction set up as PostgREST sets up a request: `SET LOCAL ROLE` to the
 * token's role, `request.jwt.claims`, `request.headers`, `request.method`, `request.path`, all
 * transaction-scoped so they vanish at commit or rollback. A role that does not exist fails with
 * 22023, which PostgREST answers with 401.
 * @example await withRequestContext(db, { role: "authenticated", claims }, (tx) => tx.query("select auth.uid()"));
 */
export function withRequestContext<T>(
  db: Db,
  ctx: RequestContext,
  fn: (tx: Queryable) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    if (!SWITCHABLE_ROLES.has(ctx.role)) {
      const { rows } = await tx.query<{ exists: boolean }>(
        "select exists (select from pg_catalog.pg_roles where rolname = $1) as exists",
        [ctx.role],
      );
      // What PostgreSQL says when the authenticator is not a member of the role (42501 → 403).
      if (rows[0]?.exists) {
        throw Object.assign(new Error(`permission denied to set role "${ctx.role}"`), { code: "42501" });
      }
      // Never hand any other name to set_config('role'): PostgreSQL reads "none" as RESET ROLE,
      // which on the gateway's (usually superuser) connection would drop every grant and RLS.
      // The error is the one set_config gives for a missing role (22023 → 401, as in PostgREST).
      throw Object.assign(new Error(`role "${ctx.role}" does not exist`), { code: "22023" });
    }
    // One statement, one round trip: `set_config('transaction_read_only', 'on', true)` is
    // `SET TRANSACTION READ ONLY` (turning read-only ON is allowed at any point of a transaction;
    // only turning it off must come first), so a STABLE call no longer pays a statement of its own.
    await tx.query(
      `select ${ctx.readOnly ? "set_config('transaction_read_only', 'on', true), " : ""}set_config('search_path', $1, true), set_config('request.jwt.claims', $2, true),
              set_config('request.headers', $3, true), set_config('request.method', $4, true),
              set_config('request.path', $5, true), set_config('statement_timeout', coalesce($7, current_setting('statement_timeout')), true),
              set_config('role', $6, true)`,
      [
        ctx.searchPath ?? "public, extensions",
        JSON.stringify(ctx.claims),
        JSON.stringify(ctx.headers ?? {}),
        ctx.method ?? "",
        ctx.path ?? "",
        ctx.role,
        STATEMENT_TIMEOUT[ctx.role] ?? null,
      ],
    );
    return fn(tx);
  });
}
