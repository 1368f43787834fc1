import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { actAs, anon, type Identity, serviceRole, triggerSync, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { countRows, createScenario } from "../helpers/fixtures.ts";

type Scenario = Awaited<ReturnType<typeof createScenario>>;

const clientTables = [
  "organizations",
  "organization_members",
  "organization_integrations",
  "ledger_entries",
  "ledger_entry_exports",
  "sync_run_log",
  "sync_trigger_audit",
];

describe.each(testDbKinds())("row-level security and grants on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let s: Scenario;
  let runId: string;
  let otherRunId: string;

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    s = await createScenario(db);
    runId = (await triggerSync(db, user(s.users.coordinator, s.orgId), s.orgId, "xledger")).data as string;
    otherRunId = (await triggerSync(db, user(s.users.outsider, s.otherOrgId), s.otherOrgId, "xledger"))
      .data as string;
  });
  afterAll(() => t.close());

  const visibleRuns = (identity: Identity) =>
    actAs(db, identity, async (tx) =>
      (await tx.query<{ id: string }>("select id from public.sync_run_log")).rows.map((r) => r.id),
    );

  it("members of every role see their org's runs and only those", async () => {
    for (const u of [s.users.admin, s.users.coordinator, s.users.peerMentor, s.users.viewer]) {
      expect(await visibleRuns(user(u, s.orgId))).toEqual([runId]);
    }
    expect(await visibleRuns(user(s.users.outsider, s.otherOrgId))).toEqual([otherRunId]);
  });

  it("a user without membership sees nothing, even with a forged org claim", async () => {
    expect(await visibleRuns(user(s.users.noOrg, s.orgId))).toEqual([]);
  });

  it("anon can read nothing", async () => {
    for (const table of clientTables) {
      await expect(actAs(db, anon, (tx) => tx.query(`select * from public.${table}`))).rejects.toMatchObject({
        code: "42501",
      });
    }
  });

  it("the trigger audit is readable by admins and coordinators, not viewers", async () => {
    const read = (identity: Identity) =>
      actAs(
        db,
        identity,
        async (tx) => (await tx.query("select run_id from public.sync_trigger_audit")).rows,
      );
    expect(await read(user(s.users.coordinator, s.orgId))).toEqual([{ run_id: runId }]);
    expect(await read(user(s.users.viewer, s.orgId))).toEqual([]);
  });

  it.each(clientTables)("authenticated users cannot insert, update or delete %s", async (table) => {
    const member = user(s.users.admin, s.orgId);
    for (const sql of [
      `insert into public.${table} default values`,
      `update public.${table} set org_id = org_id`,
      `delete from public.${table}`,
    ]) {
      const fixed = table === "organizations" ? sql.replace("org_id = org_id", "name = name") : sql;
      await expect(actAs(db, member, (tx) => tx.query(fixed))).rejects.toMatchObject({ code: "42501" });
    }
  });

  it("authenticated users cannot call the engine", async () => {
    await expect(
      actAs(db, user(s.users.admin, s.orgId), (tx) => tx.query("select sync_engine.claim_runs('x', 1, 60)")),
    ).rejects.toMatchObject({ code: "42501" });
  });

  it("the audit is append-only even for the service role and the owner", async () => {
    await expect(
      actAs(db, serviceRole, (tx) => tx.query("update public.sync_trigger_audit set org_id = org_id")),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(db.query("update public.sync_trigger_audit set org_id = org_id")).rejects.toMatchObject({
      code: "42501",
    });
    await expect(db.query("delete from public.sync_trigger_audit")).rejects.toMatchObject({ code: "42501" });
    await expect(db.query("truncate public.sync_trigger_audit")).rejects.toMatchObject({ code: "42501" });
  });

  it("retention purges only through purge_trigger_audit, never below one year", async () => {
    await db.query(
      `insert into public.sync_trigger_audit (run_id, actor_user_id, org_id, integration_type, occurred_at)
       values (gen_random_uuid(), $1, $2, 'dynamics', now() - interval '6 years')`,
      [s.users.admin, s.orgId],
    );
    const before = await countRows(db, "public.sync_trigger_audit");
    await expect(
      actAs(db, serviceRole, (tx) => tx.query("select sync_engine.purge_trigger_audit(interval '1 month')")),
    ).rejects.toMatchObject({ code: "22023" });
    const purged = await actAs(db, serviceRole, async (tx) =>
      Number(
        (await tx.query<{ n: string | number }>("select sync_engine.purge_trigger_audit() as n")).rows[0]?.n,
      ),
    );
    expect(purged).toBe(1);
    expect(await countRows(db, "public.sync_trigger_audit")).toBe(before - 1);
    await expect(
      actAs(db, user(s.users.admin, s.orgId), (tx) => tx.query("select sync_engine.purge_trigger_audit()")),
    ).rejects.toMatchObject({ code: "42501" });
  });

  it("sync_run_log is in the supabase_realtime publication", async () => {
    const { rows } = await db.query(
      "select 1 from pg_publication_tables where pubname = 'supabase_realtime' and tablename = 'sync_run_log'",
    );
    expect(rows).toHaveLength(1);
  });

  it("every public table has RLS enabled and every definer function a fixed search_path (splinter 0011/0013)", async () => {
    const noRls = await db.query(
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity`,
    );
    expect(noRls.rows).toEqual([]);
    const mutable = await db.query(
      `select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('public', 'sync_engine', 'sync_auth') and p.prokind = 'f'
         and not exists (select from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')`,
    );
    expect(mutable.rows).toEqual([]);
    const anonDefiner = await db.query(
      `select p.oid::regprocedure::text as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('public', 'sync_engine', 'sync_auth') and p.prosecdef
         and has_function_privilege('anon', p.oid, 'execute')`,
    );
    expect(anonDefiner.rows).toEqual([]);
  });

  describe("custom access token hook", () => {
    // The Auth server calls the hook as supabase_auth_admin; actAs covers API roles only.
    const hook = async (userId: string, claims: Record<string, unknown> = {}) => {
      const r = await db.transaction(async (tx) => {
        await tx.query("set local role supabase_auth_admin");
        return tx.query<{ out: { claims: Record<string, unknown> } }>(
          "select public.custom_access_token_hook($1) as out",
          [
            {
              user_id: userId,
              claims: { sub: userId, role: "authenticated", ...claims },
              authentication_method: "password",
            },
          ],
        );
      });
      return r.rows[0]?.out.claims;
    };
    it("adds the member's org_id and keeps the other claims", async () => {
      expect(await hook(s.users.viewer)).toEqual({
        sub: s.users.viewer,
        role: "authenticated",
        org_id: s.orgId,
      });
    });
    it("removes a stale org_id for a user without membership", async () => {
      expect(await hook(s.users.noOrg, { org_id: s.orgId })).toEqual({
        sub: s.users.noOrg,
        role: "authenticated",
      });
    });
    it("is executable by supabase_auth_admin only", async () => {
      await expect(
        actAs(db, user(s.users.admin, s.orgId), (tx) =>
          tx.query("select public.custom_access_token_hook('{}'::jsonb)"),
        ),
      ).rejects.toMatchObject({ code: "42501" });
    });
  });
});
