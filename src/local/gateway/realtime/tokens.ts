import { type JwtClaims, verifyJwt } from "../jwt.ts";

export type RealtimeTokenResult =
  | { ok: true; claims: JwtClaims; exp: number }
  | { ok: false; reason: string };

/**
 * Verifies a token as Realtime does for a connection or channel: a valid HS256 signature and the
 * `role` and `exp` claims, `exp` in the future. Failures carry Realtime's `"<Code>: <message>"`
 * reasons (supabase/realtime `realtime_channel.ex`).
 * @example const r = await verifyRealtimeToken(token, secret); if (!r.ok) reply({ reason: r.reason });
 */
export async function verifyRealtimeToken(
  token: string,
  secret: string,
  now = Date.now(),
): Promise<RealtimeTokenResult> {
  const result = await verifyJwt(token, secret, now);
  if (!result.ok) {
    const f = result.failure;
    if (f.kind === "claims" && f.expiredSecondsAgo !== undefined) {
      return { ok: false, reason: `InvalidJWTToken: Token has expired ${f.expiredSecondsAgo} seconds ago` };
    }
    if (f.kind === "decode" && /parts|decoded|Empty/.test(f.message)) {
      return { ok: false, reason: "MalformedJWT: The token provided is not a valid JWT" };
    }
    if (f.kind === "decode")
      return { ok: false, reason: "JwtSignatureError: Failed to validate JWT signature" };
    return { ok: false, reason: `InvalidJWTToken: ${f.message}` };
  }
  const { role, exp } = result.claims;
  if (typeof role !== "string" || typeof exp !== "number" || !Number.isInteger(exp)) {
    return { ok: false, reason: "InvalidJWTToken: Fields `role` and `exp` are required in JWT" };
  }
  // Realtime allows no skew here: `exp - now > 0`.
  const left = exp - Math.floor(now / 1000);
  if (left <= 0) return { ok: false, reason: `InvalidJWTToken: Token has expired ${-left} seconds ago` };
  return { ok: true, claims: result.claims, exp };
}
