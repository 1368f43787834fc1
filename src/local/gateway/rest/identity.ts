import type { IncomingMessage } from "node:http";
import { header } from "../http.ts";
import { type JwtClaims, verifyJwt } from "../jwt.ts";
import type { PostgrestErrorResponse } from "./postgrestError.ts";
import { jwtError } from "./postgrestError.ts";

/** Who a request acts as: the database role PostgREST switches to and the claims it exposes. */
export interface Identity {
  role: string;
  claims: JwtClaims;
}

/** PostgREST's `db-anon-role` on Supabase. */
export const ANON_ROLE = "anon";

/**
 * The bearer token PostgREST would read: `Authorization: Bearer <jwt>`, else (as Kong forwards it
 * on Supabase) the `apikey` header; undefined when neither is present.
 */
export function requestToken(req: IncomingMessage): string | undefined {
  const auth = header(req, "authorization");
  if (auth !== undefined) {
    const m = /^bearer(?:\s+(.*))?$/i.exec(auth.trim());
    if (m) return (m[1] ?? "").trim();
  }
  return header(req, "apikey");
}

/**
 * Resolves a token to an identity as PostgREST does: verified HS256 signature and time claims;
 * the `role` claim (default anon) becomes the database role and is written back into the claims.
 * @example const r = await identityFromToken(token, secret); if ("error" in r) sendPostgrestError(req, res, r.error);
 */
export async function identityFromToken(
  token: string | undefined,
  secret: string,
): Promise<Identity | { error: PostgrestErrorResponse }> {
  if (token === undefined) return { role: ANON_ROLE, claims: { role: ANON_ROLE } };
  const result = await verifyJwt(token, secret);
  if (!result.ok) return { error: jwtError(result.failure) };
  const role = result.claims.role;
  const roleName =
    role === undefined || role === null ? ANON_ROLE : typeof role === "string" ? role : JSON.stringify(role);
  return { role: roleName, claims: { ...result.claims, role: roleName } };
}

/** PostgREST's notion of "authenticated" for 42501 → 403 (else 401): any role but the anon role. */
export const isAuthenticated = (identity: Identity): boolean => identity.role !== ANON_ROLE;
