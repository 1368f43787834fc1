import { randomUUID } from "node:crypto";
import type { Queryable } from "../../src/db/types.ts";

export type MemberRole = "admin" | "coordinator" | "peer_mentor" | "viewer";

/**
 * Inserts an auth user (as the owner, like GoTrue would) and returns its id. The id is given, as
 * GoTrue gives it: its own auth.users.id has no default (scripts/supabase-postgres.sh builds that schema).
 */
export async function createUser(db: Queryable, email = `${randomUUID()}@test.local`): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    "insert into auth.users (id, email) values ($1, $2) returning id",
    [randomUUID(), email],
  );
  return (rows[0] as { id: string }).id;
}

export async function createOrg(db: Queryable, name = "Test Org"): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    "insert into public.organizations (name) values ($1) returning id",
    [name],
  );
  return (rows[0] as { id: string }).id;
}

export async function addMember(
  db: Queryable,
  orgId: string,
  userId: string,
  role: MemberRole,
): Promise<void> {
  await db.query("insert into public.organization_members (org_id, user_id, role) values ($1, $2, $3)", [
    orgId,
    userId,
    role,
  ]);
}

export async function addIntegration(
  db: Queryable,
  orgId: string,
  type: "xledger" | "dynamics",
  options: { enabled?: boolean; maxAttempts?: number } = {},
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into public.organization_integrations (org_id, integration_type, enabled, max_attempts)
     values ($1, $2, $3, $4) returning id`,
    [orgId, type, options.enabled ?? true, options.maxAttempts ?? 5],
  );
  return (rows[0] as { id: string }).id;
}

/** An org with one user per role, both integration types, and an outsider in another org. */
export async function createScenario(db: Queryable) {
  const orgId = await createOrg(db, "Scenario Org");
  const otherOrgId = await createOrg(db, "Other Scenario Org");
  const users = {
    admin: await createUser(db),
    coordinator: await createUser(db),
    peerMentor: await createUser(db),
    viewer: await createUser(db),
    outsider: await createUser(db),
    noOrg: await createUser(db),
  };
  await addMember(db, orgId, users.admin, "admin");
  await addMember(db, orgId, users.coordinator, "coordinator");
  await addMember(db, orgId, users.peerMentor, "peer_mentor");
  await addMember(db, orgId, users.viewer, "viewer");
  await addMember(db, otherOrgId, users.outsider, "coordinator");
  const xledgerId = await addIntegration(db, orgId, "xledger");
  const dynamicsId = await addIntegration(db, orgId, "dynamics");
  const otherXledgerId = await addIntegration(db, otherOrgId, "xledger");
  return { orgId, otherOrgId, users, xledgerId, dynamicsId, otherXledgerId };
}

export async function countRows(db: Queryable, table: string, where = "true", params: unknown[] = []) {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from ${table} where ${where}`,
    params,
  );
  return (rows[0] as { n: number }).n;
}
