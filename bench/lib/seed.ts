import type { Queryable } from "../../src/db/types.ts";
import { DEFAULT_JWT_SECRET, signJwt } from "../../src/local/gateway/index.ts";

export interface SeededOrg {
  org: string;
  coordinator: string;
  viewer: string;
  integration: string;
}

/**
 * `n` organizations, each with a coordinator, a viewer and one xledger integration, in one
 * statement (set-based: 100k orgs ≈ 5 s on PostgreSQL 15 here).
 */
export async function seedOrgs(db: Queryable, n: number, prefix = "Bench"): Promise<SeededOrg[]> {
  const { rows } = await db.query<SeededOrg>(
    `with o as (insert into public.organizations (name) select $2 || ' ' || g from generate_series(1, $1::int) g returning id),
          c as (insert into auth.users (email) select 'c-' || id || '@bench' from o returning id, substr(email, 3, 36)::uuid as org),
          v as (insert into auth.users (email) select 'v-' || id || '@bench' from o returning id, substr(email, 3, 36)::uuid as org),
          m as (insert into public.organization_members (org_id, user_id, role)
                select org, id, 'coordinator' from c union all select org, id, 'viewer' from v returning 1),
          i as (insert into public.organization_integrations (org_id, integration_type) select id, 'xledger' from o returning id, org_id)
     select c.org, c.id as coordinator, v.id as viewer, i.id as integration
     from c join v using (org) join i on i.org_id = c.org`,
    [n, prefix],
  );
  return rows;
}

/** Integrations only (no users): `n` orgs × the given types. Returns nothing; callers query what they need. */
export async function seedIntegrations(
  db: Queryable,
  n: number,
  types: Array<"xledger" | "dynamics"> = ["xledger"],
): Promise<void> {
  await db.query(
    `with o as (insert into public.organizations (name) select 'Org ' || g from generate_series(1, $1::int) g returning id)
     insert into public.organization_integrations (org_id, integration_type)
     select o.id, t from o cross join unnest($2::text[]) t`,
    [n, types],
  );
}

/** The claims PostgREST would put in request.jwt.claims for a signed-in member. */
export function memberClaims(userId: string, orgId: string) {
  return { sub: userId, role: "authenticated", aud: "authenticated", org_id: orgId };
}

/** A user access token the gateway accepts (HS256 with the local default secret, 1 h). */
export function memberToken(userId: string, orgId: string): Promise<string> {
  return signJwt(
    { ...memberClaims(userId, orgId), exp: Math.floor(Date.now() / 1000) + 3600 },
    process.env.SUPABASE_JWT_SECRET ?? DEFAULT_JWT_SECRET,
  );
}
