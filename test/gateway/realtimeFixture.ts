import { migrate } from "../../src/db/migrate.ts";
import { applyLocalSql } from "../../src/local/gateway/localSql.ts";
import type { Identity } from "../../src/local/gateway/realtime/changes.ts";
import { openTestDb, type TestDb, type TestDbKind } from "../helpers/db.ts";

/** The seed's two orgs and their users (supabase/seed.sql). */
export const SEED = {
  org: "d0000000-0000-4000-8000-000000000001",
  otherOrg: "d0000000-0000-4000-8000-000000000002",
  coordinator: "a0000000-0000-4000-8000-000000000002",
  viewer: "a0000000-0000-4000-8000-000000000003",
  otherCoordinator: "a0000000-0000-4000-8000-000000000004",
};
export const EXP = 4102444800;

/** A signed-in member as the feed sees a channel: role authenticated, claims with `sub`. */
export const member = (sub: string): Identity => ({
  role: "authenticated",
  claims: { sub, role: "authenticated", aud: "authenticated", exp: EXP },
});

/**
 * A migrated, seeded database with the gateway's local SQL and `perOrg` finished runs in each of
 * the seed's two orgs (ours = the first org's, theirs = the other's).
 */
export async function openRealtimeDb(
  kind: TestDbKind,
  perOrg: number,
): Promise<{ t: TestDb; ours: string[]; theirs: string[] }> {
  const t = await openTestDb(kind);
  await migrate(t.db, { seed: true });
  await applyLocalSql(t.db);
  const { rows } = await t.db.query<{ id: string; org_id: string }>(
    `insert into public.sync_run_log (org_id, integration_id, integration_type, status, triggered_by, finished_at)
     select i.org_id, i.id, i.integration_type, 'succeeded', 'scheduled', now()
     from public.organization_integrations i, generate_series(1, $3::int) g
     where i.org_id in ($1, $2) and i.integration_type = 'xledger'
     returning id, org_id`,
    [SEED.org, SEED.otherOrg, perOrg],
  );
  return {
    t,
    ours: rows.filter((r) => r.org_id === SEED.org).map((r) => r.id),
    theirs: rows.filter((r) => r.org_id === SEED.otherOrg).map((r) => r.id),
  };
}
