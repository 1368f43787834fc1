import type { Db, Queryable } from "../db/types.ts";
import type { JwtClaims } from "./jwt.ts";

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
    // Must be the first statement of the transaction.
    if (ctx.readOnly) await tx.query("set transaction read only");
    await tx.query(
      `select set_config('search_path', $1, true), set_config('request.jwt.claims', $2, true),
              set_config('request.headers', $3, true), set_config('request.method', $4, true),
              set_config('request.path', $5, true), set_config('role', $6, true)`,
      [
        ctx.searchPath ?? "public, extensions",
        JSON.stringify(ctx.claims),
        JSON.stringify(ctx.headers ?? {}),
        ctx.method ?? "",
        ctx.path ?? "",
        ctx.role,
      ],
    );
    return fn(tx);
  });
}
