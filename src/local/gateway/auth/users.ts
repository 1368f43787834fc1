import type { Queryable } from "../../../db/types.ts";

/** The user object GoTrue returns (subset of supabase/auth `models.User` that auth-js reads). */
export interface AuthUser {
  id: string;
  aud: string;
  role: string;
  email: string;
  email_confirmed_at: string | null;
  phone: string;
  confirmed_at: string | null;
  last_sign_in_at: string | null;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  identities: unknown[];
  created_at: string | null;
  updated_at: string | null;
  is_anonymous: boolean;
}

/**
 * Reads a user as GoTrue presents it. Columns are read through `to_jsonb(u)` so the same code
 * works on the local bootstrap's `auth.users` subset and on Supabase's full table.
 * @example const user = await loadUser(db, userId);
 */
export async function loadUser(q: Queryable, userId: string): Promise<AuthUser | null> {
  const { rows } = await q.query<{ u: Record<string, unknown>; identities: unknown[] }>(
    `select to_jsonb(u) as u,
            coalesce((select jsonb_agg(jsonb_build_object(
                'identity_id', i.id, 'id', i.provider_id, 'user_id', i.user_id, 'identity_data', i.identity_data,
                'provider', i.provider, 'last_sign_in_at', i.last_sign_in_at, 'created_at', i.created_at,
                'updated_at', i.updated_at, 'email', i.identity_data ->> 'email') order by i.created_at)
              from auth.identities i where i.user_id = u.id), '[]'::jsonb) as identities
     from auth.users u where u.id = $1`,
    [userId],
  );
  const row = rows[0];
  if (!row) return null;
  const u = row.u;
  const text = (k: string) => (typeof u[k] === "string" ? (u[k] as string) : null);
  const obj = (k: string) =>
    typeof u[k] === "object" && u[k] !== null && !Array.isArray(u[k])
      ? (u[k] as Record<string, unknown>)
      : {};
  return {
    id: String(u.id),
    aud: text("aud") || "authenticated",
    role: text("role") || "authenticated",
    email: text("email") ?? "",
    email_confirmed_at: text("email_confirmed_at"),
    phone: text("phone") ?? "",
    confirmed_at: text("confirmed_at") ?? text("email_confirmed_at"),
    last_sign_in_at: text("last_sign_in_at"),
    app_metadata: obj("raw_app_meta_data"),
    user_metadata: obj("raw_user_meta_data"),
    identities: row.identities,
    created_at: text("created_at"),
    updated_at: text("updated_at"),
    is_anonymous: u.is_anonymous === true,
  };
}

/**
 * Checks a password the way GoTrue does, in SQL with pgcrypto's bcrypt: returns the user id, or
 * null when the email is unknown or the password wrong (the caller must not tell which).
 * @example const id = await checkPassword(db, "coordinator@demo.test", "demo-password");
 */
export async function checkPassword(
  q: Queryable,
  email: string,
  password: string,
): Promise<{ id: string; confirmed: boolean } | null> {
  const { rows } = await q.query<{ id: string; confirmed: boolean }>(
    `select u.id, u.email_confirmed_at is not null as confirmed
     from auth.users u
     where lower(u.email) = lower($1)
       and coalesce(u.encrypted_password, '') <> ''
       and u.encrypted_password = extensions.crypt($2, u.encrypted_password)
     limit 1`,
    [email, password],
  );
  return rows[0] ?? null;
}
