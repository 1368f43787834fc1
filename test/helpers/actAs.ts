import type { Db, Queryable } from "../../src/db/types.ts";
import {
  type PostgrestErrorResponse,
  toPostgrestError,
} from "../../src/local/gateway/rest/postgrestError.ts";

/** Who a test acts as: the JWT claims PostgREST would put in `request.jwt.claims`. */
export interface Identity {
  role: "anon" | "authenticated" | "service_role";
  userId?: string | undefined;
  orgId?: string | null | undefined;
  /** Extra or overriding claims (forged, malformed …). */
  claims?: Record<string, unknown>;
}

export const anon: Identity = { role: "anon" };
export const serviceRole: Identity = { role: "service_role" };
export const user = (userId: string, orgId?: string | null): Identity => ({
  role: "authenticated",
  userId,
  orgId,
});

export function claimsOf(identity: Identity): Record<string, unknown> {
  return {
    role: identity.role,
    ...(identity.userId ? { sub: identity.userId, aud: "authenticated" } : {}),
    ...(identity.orgId ? { org_id: identity.orgId } : {}),
    exp: Math.floor(Date.now() / 1000) + 3600,
    ...identity.claims,
  };
}

/**
 * Runs `fn` in one transaction as PostgREST would for a request by `identity`: SET LOCAL ROLE
 * and `request.jwt.claims`. The one way tests act as a user.
 */
export function actAs<T>(db: Db, identity: Identity, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query("select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)", [
      identity.role,
      JSON.stringify(claimsOf(identity)),
    ]);
    return fn(tx);
  });
}

/** `{data, error}` the way supabase-js reports an RPC result (error = PostgREST's response). */
export type RpcResult<T> = { data: T; error: null } | { data: null; error: PostgrestErrorResponse };

/** Calls a function as `identity`, mapping a failure exactly as PostgREST would. */
export async function rpc<T>(
  db: Db,
  identity: Identity,
  sql: string,
  params: unknown[],
): Promise<RpcResult<T>> {
  try {
    const data = await actAs(db, identity, async (tx) => {
      const { rows } = await tx.query<{ result: T }>(sql, params);
      return rows[0]?.result as T;
    });
    return { data, error: null };
  } catch (error) {
    return { data: null, error: toPostgrestError(error, identity.role !== "anon") };
  }
}

/** `trigger_integration_sync(org_id, integration_type)` as `identity`. */
export function triggerSync(db: Db, identity: Identity, orgId: string | null, type: string | null) {
  return rpc<string>(db, identity, "select public.trigger_integration_sync($1, $2) as result", [orgId, type]);
}
