import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { EXPOSED_SCHEMAS } from "../../src/local/gateway/rest/types.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";

/**
 * Catalog queries equivalent to Supabase's database linter (supabase/splinter, lints/*.sql), run
 * against the migrated schema on every database kind. Where splinter only looks at exposed
 * schemas we do too; where a rule is cheap to apply everywhere (search_path, definer + anon) we
 * apply it to every schema of ours. test/sql/rls.test.ts holds the first three checks for the
 * three named schemas; these generalise them to whatever schema a migration adds.
 */

// Schemas splinter skips (Supabase-owned or extension schemas), plus PostgreSQL's own.
const SYSTEM_SCHEMAS = [
  "auth",
  "cron",
  "extensions",
  "graphql",
  "graphql_public",
  "information_schema",
  "net",
  "pgsodium",
  "pgsodium_masks",
  "pgbouncer",
  "pgtle",
  "realtime",
  "storage",
  "supabase_functions",
  "supabase_migrations",
  "vault",
  "pg_catalog",
  "pg_toast",
];
const ours = `n.nspname <> all ($1::text[]) and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast%'`;
// Functions and relations that belong to an extension are not ours to lint (splinter does the same).
const notExtensionMember = (objectOid: string, catalog: string) =>
  `not exists (select from pg_depend d where d.objid = ${objectOid} and d.classid = '${catalog}'::regclass and d.deptype = 'e')`;

describe.each(testDbKinds())("splinter-equivalent lints on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  const names = async (sql: string, params: unknown[] = [SYSTEM_SCHEMAS]) =>
    (await db.query<{ name: string }>(sql, params)).rows.map((r) => r.name);

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());

  it("0011 function_search_path_mutable: every function of ours pins search_path", async () => {
    expect(
      await names(
        `select p.oid::regprocedure::text as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where ${ours} and ${notExtensionMember("p.oid", "pg_proc")}
           and not exists (select from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')`,
      ),
    ).toEqual([]);
  });

  it("0028 anon_security_definer_function_executable: none, in any schema of ours", async () => {
    expect(
      await names(
        `select p.oid::regprocedure::text as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where ${ours} and p.prosecdef and ${notExtensionMember("p.oid", "pg_proc")}
           and has_function_privilege('anon', p.oid, 'execute')`,
      ),
    ).toEqual([]);
  });

  it("0029 authenticated_security_definer_function_executable: exactly the intended doors", async () => {
    // Each one checks identity from the JWT itself (the RPCs) or only reads the caller's own
    // memberships (the RLS helpers); a new one must be reviewed and added here.
    expect(
      (
        await names(
          `select p.oid::regprocedure::text as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where ${ours} and p.prosecdef and has_schema_privilege('authenticated', n.oid, 'usage')
             and has_function_privilege('authenticated', p.oid, 'execute')`,
        )
      ).sort(),
    ).toEqual([
      "acknowledge_reconciliation_finding(uuid,uuid,text)",
      "cancel_integration_sync(uuid)",
      "configure_integration(uuid,text,jsonb)",
      "delete_notification_target(uuid,uuid)",
      "integration_credentials_status(uuid)",
      "org_member_directory(uuid)",
      "reconcile_integration(uuid,text,date,date)",
      "requeue_reconciliation_finding(uuid,uuid)",
      "requeue_rejected_voucher(uuid,uuid)",
      "resume_integration_health(uuid,text)",
      "save_notification_target(uuid,jsonb)",
      "set_integration_credentials(uuid,text,jsonb)",
      "skip_rejected_voucher(uuid,uuid,text)",
      "sync_auth.user_admin_org_ids()",
      "sync_auth.user_org_admin_ids()",
      "sync_auth.user_org_ids()",
      "test_integration_connection(uuid,text)",
      "trigger_integration_sync(uuid,text)",
    ]);
  });

  it("0013 rls_disabled_in_public and 0007 policy_exists_rls_disabled: none in exposed schemas", async () => {
    expect(
      await names(
        `select c.oid::regclass::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = any ($1::text[]) and c.relkind in ('r', 'p') and not c.relrowsecurity`,
        [EXPOSED_SCHEMAS],
      ),
    ).toEqual([]);
    expect(
      await names(
        `select distinct c.oid::regclass::text as name from pg_policy p join pg_class c on c.oid = p.polrelid
         join pg_namespace n on n.oid = c.relnamespace where ${ours} and not c.relrowsecurity`,
      ),
    ).toEqual([]);
  });

  it("0008 rls_enabled_no_policy: every exposed table with RLS has a policy (else nobody reads it)", async () => {
    expect(
      await names(
        `select c.oid::regclass::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = any ($1::text[]) and c.relkind in ('r', 'p') and c.relrowsecurity
           and not exists (select from pg_policy p where p.polrelid = c.oid)`,
        [EXPOSED_SCHEMAS],
      ),
    ).toEqual([]);
  });

  it("0010 security_definer_view and 0002 auth_users_exposed: no definer-rights views", async () => {
    expect(
      await names(
        `select c.oid::regclass::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where ${ours} and c.relkind in ('v', 'm') and ${notExtensionMember("c.oid", "pg_class")}
           and not coalesce(c.reloptions::text[] && array['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false)`,
      ),
    ).toEqual([]);
  });

  it("0015/0016 rls_references_user_metadata: no policy trusts user-editable metadata", async () => {
    expect(
      await names(
        `select c.oid::regclass::text || ' / ' || p.polname as name from pg_policy p join pg_class c on c.oid = p.polrelid
         join pg_namespace n on n.oid = c.relnamespace
         where ${ours} and (coalesce(pg_get_expr(p.polqual, p.polrelid), '') || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')) ~* 'user_metadata'`,
      ),
    ).toEqual([]);
  });

  it("0014 extension_in_public: extensions live outside the exposed schemas", async () => {
    expect(
      await names(
        `select e.extname as name from pg_extension e join pg_namespace n on n.oid = e.extnamespace
         where n.nspname = any ($1::text[])`,
        [EXPOSED_SCHEMAS],
      ),
    ).toEqual([]);
  });

  it("no secret-looking column is readable by anon or authenticated", async () => {
    // Column names that would hold a credential; the credentials themselves live in Vault or in
    // sync_engine.integration_credentials (owner only), and the dispatch token in sync_engine.settings.
    expect(
      await names(
        `select c.oid::regclass::text || '.' || a.attname || ' (' || r.rolname || ')' as name
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
         cross join (values ('anon'), ('authenticated')) as r (rolname)
         where ${ours} and c.relkind in ('r', 'p', 'v', 'm')
           and a.attname ~* '(secret|token|password|credential|api_?key|private)'
           and has_schema_privilege(r.rolname, n.oid, 'usage')
           and has_column_privilege(r.rolname, c.oid, a.attnum, 'select')`,
      ),
    ).toEqual([]);
    // The tables that do hold secrets, as a positive control of the query above.
    expect(
      await names(
        `select distinct c.oid::regclass::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
         where ${ours} and c.relkind = 'r' and a.attname ~* '(secret|token|password|credential|api_?key|private)'
         order by 1`,
      ),
    ).toEqual(["sync_engine.integration_credentials", "sync_engine.notification_secrets"]);
  });
});
