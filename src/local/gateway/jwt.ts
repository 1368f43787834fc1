import { compactVerify, SignJWT } from "jose";

/** Supabase's local default (supabase/cli config); docs/architecture.md §6. Env `SUPABASE_JWT_SECRET` overrides it upstream. */
export const DEFAULT_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

/** JWT claims as a JSON object. */
export type JwtClaims = Record<string, unknown>;

// The expiry of the Supabase CLI's demo keys (2032-11-12). With the same secret and claim order
// the anon key below is byte-for-byte the one `supabase start` prints.
const DEMO_KEY_EXP = 1983812996;
// PostgREST accepts exp/nbf/iat within 30 s of skew (PostgREST Auth/Jwt.hs, allowedSkewSeconds).
const CLOCK_SKEW_SECONDS = 30;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// A token's signature is valid or not for a given secret forever, so a verified token's payload
// is kept and a later request with the same token only re-checks the time claims (exp/nbf/iat,
// every time, against the current clock). Verifying through WebCrypto cost ~0.1 ms of CPU per
// request here (key import + HMAC + a Promise chain); a client sends one token for its whole
// session (1 h by default). Bounded so that a stream of distinct valid tokens cannot grow
// memory: 5,000 entries of ≤ ~1 KiB each. Refused tokens are never kept.
const VERIFIED_MAX = 5_000;
const verified = new Map<string, { secret: string; payload: string }>();

// The imported HMAC key per secret (a gateway has one; tests start several).
const KEYS_MAX = 16;
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= KEYS_MAX) keys.clear();
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "verify",
    ]);
    keys.set(secret, key);
    key.catch(() => keys.delete(secret));
  }
  return key;
}

function remember(token: string, secret: string, payload: string): void {
  verified.delete(token);
  if (verified.size >= VERIFIED_MAX) {
    // Least recently used first: Map iteration is insertion order and hits re-insert.
    const oldest = verified.keys().next().value;
    if (oldest !== undefined) verified.delete(oldest);
  }
  verified.set(token, { secret, payload });
}

/**
 * Signs claims as a compact HS256 JWT (header `{"alg":"HS256","typ":"JWT"}`); claim order is kept.
 * @example const token = await signJwt({ role: "authenticated", sub: userId, exp }, secret);
 */
export async function signJwt(claims: JwtClaims, secret: string): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(encoder.encode(secret));
}

/**
 * The anon and service-role API keys for a secret, shaped like the Supabase CLI's demo keys.
 * @example const { anonKey } = await apiKeys(DEFAULT_JWT_SECRET);
 */
export async function apiKeys(secret: string): Promise<{ anonKey: string; serviceRoleKey: string }> {
  return {
    anonKey: await signJwt({ iss: "supabase-demo", role: "anon", exp: DEMO_KEY_EXP }, secret),
    serviceRoleKey: await signJwt({ iss: "supabase-demo", role: "service_role", exp: DEMO_KEY_EXP }, secret),
  };
}

/** Why a token was refused, in PostgREST's terms (PGRST301 = could not decode, PGRST303 = bad claims). */
export type JwtFailure =
  | { kind: "decode"; message: string; details: string | null }
  | { kind: "claims"; message: string; expiredSecondsAgo?: number };

export type JwtResult = { ok: true; claims: JwtClaims } | { ok: false; failure: JwtFailure };

function decodeHeader(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function checkTimeClaims(claims: JwtClaims, nowSeconds: number): JwtFailure | null {
  for (const key of ["exp", "nbf", "iat"] as const) {
    const value = claims[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number")
      return { kind: "claims", message: `The JWT '${key}' claim must be a number` };
    if (key === "exp" && nowSeconds - CLOCK_SKEW_SECONDS > value) {
      return { kind: "claims", message: "JWT expired", expiredSecondsAgo: Math.floor(nowSeconds - value) };
    }
    if (key === "nbf" && nowSeconds + CLOCK_SKEW_SECONDS < value)
      return { kind: "claims", message: "JWT not yet valid" };
    if (key === "iat" && nowSeconds + CLOCK_SKEW_SECONDS < value) {
      return { kind: "claims", message: "JWT issued at future" };
    }
  }
  const aud = claims.aud;
  if (
    aud !== undefined &&
    typeof aud !== "string" &&
    !(Array.isArray(aud) && aud.every((a) => typeof a === "string"))
  ) {
    return { kind: "claims", message: "The JWT 'aud' claim must be a string or an array of strings" };
  }
  return null;
}

/**
 * Verifies an HS256 JWT the way PostgREST does: three parts, HS256 only (so `alg: none` is
 * refused), a valid signature, then exp/nbf/iat with 30 s of skew. Messages are PostgREST's.
 * @example const r = await verifyJwt(token, secret); if (r.ok) console.log(r.claims.role);
 */
export async function verifyJwt(token: string, secret: string, now = Date.now()): Promise<JwtResult> {
  const hit = verified.get(token);
  if (hit !== undefined && hit.secret === secret) {
    const result = claimsResult(hit.payload, now);
    if (result.ok) remember(token, secret, hit.payload);
    else verified.delete(token);
    return result;
  }
  if (token === "")
    return {
      ok: false,
      failure: { kind: "decode", message: "Empty JWT is sent in Authorization header", details: null },
    };
  const parts = token.split(".");
  if (parts.length !== 3) {
    return {
      ok: false,
      failure: { kind: "decode", message: `Expected 3 parts in JWT; got ${parts.length}`, details: null },
    };
  }
  const header = decodeHeader(parts[0] ?? "");
  if (!header)
    return { ok: false, failure: { kind: "decode", message: "JWT couldn't be decoded", details: null } };
  if (header.alg !== "HS256") {
    return {
      ok: false,
      failure: {
        kind: "decode",
        message: "Wrong or unsupported encoding algorithm",
        details: `JWT algorithm ${JSON.stringify(String(header.alg))} is not supported; use HS256`,
      },
    };
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(token, await hmacKey(secret), { algorithms: ["HS256"] }));
  } catch {
    return {
      ok: false,
      failure: {
        kind: "decode",
        message: "No suitable key or wrong key type",
        details: "None of the keys was able to decode the JWT",
      },
    };
  }
  const text = decoder.decode(payload);
  const result = claimsResult(text, now);
  if (result.ok) remember(token, secret, text);
  return result;
}

function claimsResult(payload: string, now: number): JwtResult {
  let claims: unknown;
  try {
    claims = JSON.parse(payload);
  } catch {
    claims = null;
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    return { ok: false, failure: { kind: "claims", message: "Parsing claims failed" } };
  }
  const bad = checkTimeClaims(claims as JwtClaims, now / 1000);
  return bad ? { ok: false, failure: bad } : { ok: true, claims: claims as JwtClaims };
}
