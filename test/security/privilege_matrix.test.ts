// Over 300 lines: the matrix is data: one row per table and function.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, Queryable } from "../../src/db/types.ts";
import { pgError } from "../../src/db/types.ts";
import { actAs, anon, type Identity, serviceRole, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { createScenario } from "../helpers/fixtures.ts";

/**
 * The privilege matrix: every table in `public` and `sync_engine` (select/insert/update/delete)
 * and every function in `public`, `sync_engine` and `sync_auth` (execute), for each API actor,
 * measured by actually doing it (in a transaction that is always rolled back) and compared with
 * the matrix written out below. A table or function missing from the matrix, or listed but
 * gone, fails the test: a new object must be classified by whoever adds it.
 */

type Actor = "anon" | "member" | "viewer" | "non_member" | "service_role";
const ACTORS: Actor[] = ["anon", "member", "viewer", "non_member", "service_role"];

/**
 * What a SELECT returns: `denied` (42501), `all` rows, the caller's `org` rows only (a non-empty
 * strict subset), or `none`.
 */
type Read = "denied" | "all" | "org" | "none";
/** A write either passes the privilege and RLS checks (`ok`; may still hit a constraint) or is refused with 42501. */
type Write = "ok" | "denied";
interface TableRow {
  select: Read;
  insert: Write;
  update: Write;
  delete: Write;
}
const D: Write = "denied";
const noAccess: TableRow = { select: "denied", insert: D, update: D, delete: D };
const readOnly = (r: Read): TableRow => ({ select: r, insert: D, update: D, delete: D });
const full: TableRow = { select: "all", insert: "ok", update: "ok", delete: "ok" };

/** Members read their org's rows and write nothing; the engine (service_role) does everything. */
const memberReadable: Record<Actor, TableRow> = {
  anon: noAccess,
  member: readOnly("org"),
  viewer: readOnly("org"),
  non_member: readOnly("none"),
  service_role: full,
};

const EXPECTED_TABLES: Record<string, Record<Actor, TableRow>> = {
  "public.organizations": memberReadable,
  "public.organization_members": memberReadable,
  "public.organization_integrations": memberReadable,
  "public.ledger_entries": memberReadable,
  "public.ledger_entry_exports": memberReadable,
  "public.sync_run_log": memberReadable,
  "public.sync_alerts": memberReadable,
  "public.integration_health_checks": memberReadable,
  "public.api_request_tally": memberReadable,
  // Written only through the definer sync_engine.record_cold_start (the Edge Function's login).
  "public.function_cold_starts": { ...memberReadable, service_role: readOnly("all") },
  // Audit: admins/coordinators only, and append-only even for service_role (retention goes
  // through the definer function sync_engine.purge_trigger_audit).
  "public.sync_trigger_audit": {
    anon: noAccess,
    member: readOnly("org"),
    viewer: readOnly("none"),
    non_member: readOnly("none"),
    service_role: { select: "all", insert: "ok", update: D, delete: D },
  },
  // Rejected vouchers: members read their org's list; only the definer RPCs and the engine write it.
  "public.export_rejections": memberReadable,
  // Who re-queued or skipped: admins/coordinators only, append-only even for service_role.
  "public.export_rejection_audit": {
    anon: noAccess,
    member: readOnly("org"),
    viewer: readOnly("none"),
    non_member: readOnly("none"),
    service_role: { select: "all", insert: "ok", update: D, delete: D },
  },
  // Reconciliation (20261130160000): admins and coordinators of the org read; the engine and the definer
  // RPCs write; the action audit is append-only even for service_role.
  "public.reconciliation_findings": { ...memberReadable, viewer: readOnly("none") },
  "public.reconciliation_totals": { ...memberReadable, viewer: readOnly("none") },
  "public.reconciliation_audit": {
    anon: noAccess,
    member: readOnly("org"),
    viewer: readOnly("none"),
    non_member: readOnly("none"),
    service_role: { select: "all", insert: "ok", update: D, delete: D },
  },
  // Engine internals: the schema is not even USAGE-able by anon/authenticated.
  "sync_engine.settings": { ...memberReadable, member: noAccess, viewer: noAccess, non_member: noAccess },
  "sync_engine.prewarms": { ...memberReadable, member: noAccess, viewer: noAccess, non_member: noAccess },
  "sync_engine.schedule_groups": {
    ...memberReadable,
    member: noAccess,
    viewer: noAccess,
    non_member: noAccess,
  },
  "sync_engine.export_in_flight": {
    ...memberReadable,
    member: noAccess,
    viewer: noAccess,
    non_member: noAccess,
  },
  // Admin-only reads (docs/admin.md, docs/notifications.md): coordinators and viewers see none.
  "public.integration_admin_audit": {
    anon: noAccess,
    member: readOnly("none"),
    viewer: readOnly("none"),
    non_member: readOnly("none"),
    service_role: { select: "all", insert: "ok", update: D, delete: D },
  },
  "public.notification_targets": { ...memberReadable, member: readOnly("none"), viewer: readOnly("none") },
  "public.notification_deliveries": { ...memberReadable, member: readOnly("none"), viewer: readOnly("none") },
  "public.notification_delivery_attempts": {
    ...memberReadable,
    member: readOnly("none"),
    viewer: readOnly("none"),
  },
  // Webhook signing secrets: owner only, like the credentials.
  "sync_engine.notification_secrets": {
    anon: noAccess,
    member: noAccess,
    viewer: noAccess,
    non_member: noAccess,
    service_role: noAccess,
  },
  // Credentials: owner only, through two definer functions. Not even service_role reads the table.
  "sync_engine.integration_credentials": {
    anon: noAccess,
    member: noAccess,
    viewer: noAccess,
    non_member: noAccess,
    service_role: noAccess,
  },
};

type DbRole = "anon" | "authenticated" | "service_role";
const ENGINE: DbRole[] = ["service_role"];
/** Who may execute each function (by database role; member, viewer and non-member are all `authenticated`). */
const EXPECTED_FUNCTIONS: Record<string, DbRole[]> = {
  // The two client doors: definer, identity from the JWT, coded refusals.
  "public.trigger_integration_sync(uuid,text)": ["authenticated"],
  "public.cancel_integration_sync(uuid)": ["authenticated"],
  // Rejected vouchers (20261130110000): coordinators re-queue or skip, checks from the JWT.
  "public.requeue_rejected_voucher(uuid,uuid)": ["authenticated"],
  "public.skip_rejected_voucher(uuid,uuid,text)": ["authenticated"],
  // The admin doors (docs/admin.md): definer, identity from the JWT, coded refusals, audited.
  "public.configure_integration(uuid,text,jsonb)": ["authenticated"],
  "public.set_integration_credentials(uuid,text,jsonb)": ["authenticated"],
  "public.resume_integration_health(uuid,text)": ["authenticated"],
  "public.test_integration_connection(uuid,text)": ["authenticated"],
  "public.integration_credentials_status(uuid)": ["authenticated"],
  "public.org_member_directory(uuid)": ["authenticated"],
  "public.save_notification_target(uuid,jsonb)": ["authenticated"],
  "public.delete_notification_target(uuid,uuid)": ["authenticated"],
  // Reconciliation (20261130160000): start one, act on its findings; checks from the JWT, audited.
  "public.reconcile_integration(uuid,text,date,date)": ["authenticated"],
  "public.requeue_reconciliation_finding(uuid,uuid)": ["authenticated"],
  "public.acknowledge_reconciliation_finding(uuid,uuid,text)": ["authenticated"],
  // Called by the Auth server as supabase_auth_admin only.
  "public.custom_access_token_hook(jsonb)": [],
  // RLS helpers: policies call them as the querying role.
  "sync_auth.user_org_ids()": ["authenticated", "service_role"],
  "sync_auth.user_admin_org_ids()": ["authenticated", "service_role"],
  "sync_auth.user_org_admin_ids()": ["authenticated", "service_role"],
  // The engine.
  "sync_engine.audit_is_append_only()": ENGINE,
  "sync_engine.backoff_seconds(integer,double precision,double precision)": ENGINE,
  "sync_engine.cancel_run(uuid)": ENGINE,
  "sync_engine.claim_runs(text,integer,integer)": ENGINE,
  "sync_engine.complete_runs(text,uuid[],integer[],integer[])": ENGINE,
  "sync_engine.dispatch_run(uuid)": ENGINE,
  "sync_engine.enqueue_run(uuid,text,uuid,timestamp with time zone,text)": ENGINE,
  "sync_engine.fail_run(uuid,text,integer,text,text,boolean,double precision,boolean,double precision,double precision)":
    ENGINE,
  "sync_engine.finish_cancelled(uuid,text,integer)": ENGINE,
  "sync_engine.guard_run_transition()": ENGINE,
  "sync_engine.heartbeat_runs(text,uuid[],integer)": ENGINE,
  "sync_engine.integration_runtime(uuid)": ENGINE,
  "sync_engine.in_flight_since(uuid,text,integer,uuid[])": ENGINE,
  "sync_engine.claim_health_checks(timestamp with time zone,integer,integer)": ENGINE,
  "sync_engine.count_api_requests(uuid,jsonb,timestamp with time zone)": ENGINE,
  "sync_engine.defer_health_check(uuid,timestamp with time zone,timestamp with time zone)": ENGINE,
  "sync_engine.record_health_decision(uuid,boolean,integer,text,text,text,text,timestamp with time zone,timestamp with time zone)":
    ENGINE,
  "sync_engine.mark_batch_in_flight(uuid,text,integer,uuid[],integer)": ENGINE,
  "sync_engine.next_export_batch(uuid,text,integer,text,integer,integer)": ENGINE,
  "sync_engine.reject_voucher(uuid,text,integer,text,text,text,text,integer)": ENGINE,
  "sync_engine.insert_rejection(sync_run_log,text,text,text,text,integer)": ENGINE,
  "sync_engine.open_rejection_for_caller(uuid,uuid)": ENGINE,
  "sync_engine.default_voucher_number()": ENGINE,
  "sync_engine.rejection_audit_is_append_only()": ENGINE,
  "sync_engine.passive_health_from_run()": ENGINE,
  "sync_engine.prune_run_log(interval,integer)": ENGINE,
  "sync_engine.purge_trigger_audit(interval)": ENGINE,
  "sync_engine.raise_api_error(text,integer,text,jsonb,text,jsonb)": ENGINE,
  "sync_engine.raise_drift_alert(uuid,integer)": ENGINE,
  "sync_engine.raise_run_not_held(uuid,text,integer)": ENGINE,
  "sync_engine.reap_expired_leases(integer)": ENGINE,
  "sync_engine.record_exports(uuid,text,integer,uuid[],text[],jsonb)": ENGINE,
  "sync_engine.record_health_check(uuid,boolean,integer,text,text,text,text,timestamp with time zone)":
    ENGINE,
  "sync_engine.record_snooze(uuid,text,integer,text)": ENGINE,
  "sync_engine.release_runs(text,uuid[])": ENGINE,
  "sync_engine.schedule_due_plans(timestamp with time zone,integer,text[],text[],timestamp with time zone[],timestamp with time zone[],timestamp with time zone[])":
    ENGINE,
  "sync_engine.schedule_due_plan_ids(timestamp with time zone,uuid[],text[],text[],timestamp with time zone[],timestamp with time zone[],timestamp with time zone[])":
    ENGINE,
  // Due periods queued beyond the tick's first batch, applied by claims (20261130180000).
  "sync_engine.queue_schedule_groups(uuid[],integer[],text[],text[],timestamp with time zone[],timestamp with time zone[],timestamp with time zone[],integer)":
    ENGINE,
  // The tick's due read, split and queueing in one statement (20261130200100).
  "sync_engine.queue_due_schedule_groups(timestamp with time zone,text[],text[],timestamp with time zone[],timestamp with time zone[],timestamp with time zone[],integer,integer)":
    ENGINE,
  "sync_engine.apply_schedule_group()": ENGINE,
  "sync_engine.schedule_periods(uuid,timestamp with time zone,timestamp with time zone,timestamp with time zone[],timestamp with time zone)":
    ENGINE,
  "sync_engine.set_integration_credentials(uuid,jsonb)": ENGINE,
  "sync_engine.validate_integration()": ENGINE,
  "sync_engine.vault_available()": ENGINE,
  // One source for repeated SQL literals and the client RPCs' caller checks (20261130090000).
  "sync_engine.run_lock_key(uuid,text)": ENGINE,
  "sync_engine.period_key(uuid,timestamp with time zone)": ENGINE,
  // Their batch forms, one call per scheduler batch (20261130170000).
  "sync_engine.run_lock_keys(uuid[],text[])": ENGINE,
  "sync_engine.period_keys(uuid[],timestamp with time zone[])": ENGINE,
  "sync_engine.wake_workers(text)": ENGINE,
  "sync_engine.caller_user_id(text)": ENGINE,
  "sync_engine.require_member_role(uuid,uuid,text[],text)": ENGINE,
  "sync_engine.authorize_org_caller(uuid,text[],text)": ENGINE,
  // Clamps, parking and retention (20261130100000, 20261130100100).
  "sync_engine.ms_between(timestamp with time zone,timestamp with time zone)": ENGINE,
  "sync_engine.bounded_seconds(double precision)": ENGINE,
  "sync_engine.bounded_interval(double precision)": ENGINE,
  "sync_engine.jsonb_count(jsonb)": ENGINE,
  "sync_engine.add_count(integer,bigint)": ENGINE,
  "sync_engine.is_row_error(text)": ENGINE,
  "sync_engine.park_run(uuid,text,text)": ENGINE,
  "sync_engine.park_run_safely(uuid,text,text,text)": ENGINE,
  "sync_engine.park_integration(uuid,text,text)": ENGINE,
  "sync_engine.prune_alerts(interval,integer)": ENGINE,
  "sync_engine.prune_health_checks(interval,integer)": ENGINE,
  // Admin RPCs' checks, config JSON Schema, cron check, notification outbox (20261130120000–0300).
  "sync_engine.authorize_integration_caller(uuid,text,text[],text)": ENGINE,
  "sync_engine.admin_audit_is_append_only()": ENGINE,
  "sync_engine.json_schema_issues(jsonb,jsonb,text)": ENGINE,
  "sync_engine.integration_schema(text,text)": ENGINE,
  "sync_engine.cron_problem(text)": ENGINE,
  "sync_engine.enqueue_notification(uuid,text,text,jsonb)": ENGINE,
  "sync_engine.notify_from_alert()": ENGINE,
  "sync_engine.notify_from_run()": ENGINE,
  "sync_engine.notify_from_rejection()": ENGINE,
  "sync_engine.claim_notifications(integer,integer)": ENGINE,
  "sync_engine.record_notification_attempt(uuid,integer,integer,text,integer,double precision,double precision)":
    ENGINE,
  // Reconciliation's engine side, schedule and helpers (20261130160000).
  "sync_engine.reset_next_reconcile()": ENGINE,
  "sync_engine.reconciliation_audit_is_append_only()": ENGINE,
  "sync_engine.default_reconcile_period(text,timestamp with time zone)": ENGINE,
  "sync_engine.insert_reconcile_run(organization_integrations,text,uuid,date,date,timestamp with time zone,text)":
    ENGINE,
  "sync_engine.open_finding_for_caller(uuid,uuid)": ENGINE,
  "sync_engine.held_reconcile_run(uuid,text,integer,boolean)": ENGINE,
  "sync_engine.reconcile_expected(uuid,text,integer,uuid,integer)": ENGINE,
  "sync_engine.reconcile_entries(uuid,text,integer,uuid[])": ENGINE,
  "sync_engine.reconcile_requests_this_month(uuid,text,integer)": ENGINE,
  "sync_engine.record_reconciliation(uuid,text,integer,jsonb,jsonb,integer,integer)": ENGINE,
  "sync_engine.reconcile_progress(uuid,text,integer,integer,integer)": ENGINE,
  "sync_engine.due_reconciliations(timestamp with time zone,integer)": ENGINE,
  "sync_engine.schedule_due_reconciliations(timestamp with time zone,uuid[],timestamp with time zone[],timestamp with time zone[])":
    ENGINE,
  // Serverless dispatch (pg_cron + pg_net → the worker Edge Function).
  "sync_engine.post_to_worker(jsonb)": ENGINE,
  "sync_engine.serverless_sweep()": ENGINE,
  "sync_engine.install_serverless(text,text,text,text,integer)": ENGINE,
  "sync_engine.serverless_prewarm(integer)": ENGINE,
  "sync_engine.record_cold_start(text,uuid,text,integer)": ENGINE,
  "sync_engine.uninstall_serverless()": ENGINE,
};

const dbRoleOf = (a: Actor): DbRole => (a === "anon" || a === "service_role" ? a : "authenticated");

/** Thrown to roll a probe back after it succeeded. */
class Rollback extends Error {}

/** Runs `sql` as `identity` and always rolls back; returns `denied` for a privilege error, else the row count. */
async function probe(db: Db, identity: Identity, sql: string): Promise<"denied" | number> {
  let count = 0;
  try {
    await actAs(db, identity, async (tx: Queryable) => {
      const r = await tx.query<{ n?: number }>(sql);
      count = r.rows[0]?.n ?? r.rowCount;
      throw new Rollback();
    });
  } catch (error) {
    if (error instanceof Rollback) return count;
    const e = pgError(error);
    if (e?.code === "42501" && /^permission denied for (table|schema|function|relation)/.test(e.message)) {
      return "denied";
    }
    // Any other error (not-null, foreign key, a trigger's refusal, an RPC's coded error) means
    // the privilege check passed; what the row would be is the RPC/RLS tests' business.
    if (e) return -1;
    throw error;
  }
  throw new Error("unreachable");
}

describe.each(testDbKinds())("privilege matrix on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let s: Awaited<ReturnType<typeof createScenario>>;
  let identities: Record<Actor, Identity>;

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    s = await createScenario(db);
    identities = {
      anon,
      member: user(s.users.coordinator, s.orgId),
      viewer: user(s.users.viewer, s.orgId),
      // Forged: claims the org without being a member (e.g. removed since sign-in).
      non_member: user(s.users.noOrg, s.orgId),
      service_role: serviceRole,
    };
    // At least one row per table in each of the two orgs, written as the owner.
    await db.exec(`
      insert into public.ledger_entries (org_id, account, amount, approved_at)
        values ('${s.orgId}', '3000', 10, now()), ('${s.otherOrgId}', '3000', 20, now());
      insert into public.ledger_entry_exports (entry_id, integration_id, org_id, external_id)
        select e.id, i.id, e.org_id, 'ext-' || e.id from public.ledger_entries e
        join public.organization_integrations i on i.org_id = e.org_id and i.integration_type = 'xledger';
      insert into public.sync_alerts (org_id, kind, message)
        values ('${s.orgId}', 'drift', 'late'), ('${s.otherOrgId}', 'drift', 'late');
      insert into public.integration_health_checks (integration_id, org_id, ok)
        values ('${s.xledgerId}', '${s.orgId}', true), ('${s.otherXledgerId}', '${s.otherOrgId}', true);
      insert into public.api_request_tally (integration_id, org_id, month, purpose, requests)
        values ('${s.xledgerId}', '${s.orgId}', '2026-11-01', 'ping', 1),
               ('${s.otherXledgerId}', '${s.otherOrgId}', '2026-11-01', 'ping', 1);
      insert into sync_engine.settings (key, value) values ('dispatch_url', 'http://127.0.0.1:9/never');
      insert into sync_engine.prewarms (integration_id, period_at, sent_at) values ('${s.xledgerId}', now(), now());
      insert into sync_engine.schedule_groups (schedule_cron, schedule_timezone, expected_next_run_at, run_period,
          new_next_run_at, integration_ids)
        values ('0 * * * *', 'UTC', now(), now(), now() + interval '1 hour', array['${s.xledgerId}'::uuid]);
      insert into public.function_cold_starts (kind, org_id, integration_id)
        values ('dispatch', '${s.orgId}', '${s.xledgerId}'), ('dispatch', '${s.otherOrgId}', '${s.otherXledgerId}');
      select sync_engine.set_integration_credentials('${s.xledgerId}', '{"token":"matrix-secret-token"}');
      insert into public.organization_members (org_id, user_id, role)
        select '${s.otherOrgId}', id, 'viewer' from auth.users where id = '${s.users.outsider}' on conflict do nothing;
      insert into public.export_rejections (org_id, integration_id, integration_type, voucher_number,
          error_code, error_message, entry_ids, lines)
        values ('${s.orgId}', '${s.xledgerId}', 'xledger', 'V1', 'bad_request', 'refused', '{}', 0),
               ('${s.otherOrgId}', '${s.otherXledgerId}', 'xledger', 'V1', 'bad_request', 'refused', '{}', 0);
      insert into public.export_rejection_audit (rejection_id, org_id, integration_type, voucher_number, actor_user_id, action)
        select j.id, j.org_id, j.integration_type, j.voucher_number, '${s.users.coordinator}', 'requeue'
        from public.export_rejections j;
      insert into public.integration_admin_audit (org_id, integration_type, actor_user_id, action)
        values ('${s.orgId}', 'xledger', '${s.users.admin}', 'configure'),
               ('${s.otherOrgId}', 'xledger', '${s.users.outsider}', 'configure');
      insert into public.notification_targets (org_id, name, url)
        values ('${s.orgId}', 'a', 'https://a.example/hook'), ('${s.otherOrgId}', 'b', 'https://b.example/hook');
      insert into sync_engine.notification_secrets (target_id, secret)
        select id, 'whsec_matrix' from public.notification_targets;
      select sync_engine.enqueue_notification(o, 'drift', 'late', '{}') from unnest(array['${s.orgId}', '${s.otherOrgId}']::uuid[]) o;
      insert into public.notification_delivery_attempts (delivery_id, org_id, attempt, http_status)
        select id, org_id, 1, 500 from public.notification_deliveries;
    `);
    for (const [integration, user] of [
      [s.xledgerId, s.users.coordinator],
      [s.otherXledgerId, s.users.outsider],
    ]) {
      const { rows } = await db.query<{ run_id: string }>(
        "select run_id from sync_engine.enqueue_run($1, 'manual', p_user_id => $2)",
        [integration, user],
      );
      await db.query(
        `insert into sync_engine.export_in_flight (integration_id, entry_id, run_id, attempt)
         select $1, e.id, $2, 1 from public.ledger_entries e
         join public.organization_integrations i on i.org_id = e.org_id where i.id = $1`,
        [integration, rows[0]?.run_id],
      );
    }
    await db.exec(`
      insert into public.reconciliation_findings (run_id, org_id, integration_id, integration_type, kind, expected)
        select r.id, r.org_id, r.integration_id, r.integration_type, 'missing', '{}' from public.sync_run_log r;
      insert into public.reconciliation_totals (run_id, org_id, integration_type, period_month, account, currency)
        select r.id, r.org_id, r.integration_type, '2026-11-01', '3000', 'NOK' from public.sync_run_log r;
      insert into public.reconciliation_audit (finding_id, run_id, org_id, integration_type, actor_user_id, action)
        select f.id, f.run_id, f.org_id, f.integration_type, '${s.users.coordinator}', 'requeue'
        from public.reconciliation_findings f;
    `);
  });
  afterAll(() => t.close());

  it("lists exactly the tables and functions the catalog has", async () => {
    const tables = await db.query<{ name: string }>(
      `select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname in ('public', 'sync_engine') and c.relkind in ('r', 'p', 'v', 'm', 'f') order by 1`,
    );
    expect(tables.rows.map((r) => r.name)).toEqual(Object.keys(EXPECTED_TABLES).sort());
    const functions = await db.query<{ name: string }>(
      `select n.nspname || '.' || p.proname || '(' ||
              coalesce((select string_agg(format_type(a, null), ',' order by i)
                        from unnest(p.proargtypes) with ordinality as x (a, i)), '') || ')' as name
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('public', 'sync_engine', 'sync_auth') order by 1`,
    );
    expect(functions.rows.map((r) => r.name)).toEqual(Object.keys(EXPECTED_FUNCTIONS).sort());
  });

  it("every actor gets exactly the table access in the matrix", async () => {
    const actual: Record<string, Record<Actor, TableRow>> = {};
    for (const table of Object.keys(EXPECTED_TABLES)) {
      const [schema, name] = table.split(".") as [string, string];
      const qualified = `"${schema}"."${name}"`;
      const { rows: cols } = await db.query<{ attname: string }>(
        `select a.attname from pg_attribute a where a.attrelid = $1::regclass and a.attnum > 0
           and not a.attisdropped and a.attidentity = '' and a.attgenerated = '' order by a.attnum limit 1`,
        [qualified],
      );
      const col = `"${cols[0]?.attname}"`;
      const orgColumn = name === "organizations" ? "id" : "org_id";
      const hasOrg = (
        await db.query(
          "select 1 from pg_attribute where attrelid = $1::regclass and attname = $2 and not attisdropped",
          [qualified, orgColumn],
        )
      ).rows.length;
      const total = Number(
        (await db.query<{ n: number }>(`select count(*)::int as n from ${qualified}`)).rows[0]?.n,
      );
      const own = hasOrg
        ? Number(
            (
              await db.query<{ n: number }>(
                `select count(*)::int as n from ${qualified} where "${orgColumn}" = $1`,
                [s.orgId],
              )
            ).rows[0]?.n,
          )
        : -1;
      expect(total, `${table} needs rows in both orgs for the matrix to mean anything`).toBeGreaterThan(own);
      actual[table] = {} as Record<Actor, TableRow>;
      for (const actor of ACTORS) {
        const id = identities[actor];
        const n = await probe(db, id, `select count(*)::int as n from ${qualified}`);
        const select: Read =
          n === "denied" ? "denied" : n === 0 ? "none" : n === total ? "all" : n === own ? "org" : "denied";
        if (n !== "denied" && n !== 0 && n !== total && n !== own) {
          throw new Error(`${actor} sees ${n} of ${total} rows in ${table} (own org: ${own})`);
        }
        const w = async (sql: string): Promise<Write> =>
          (await probe(db, id, sql)) === "denied" ? "denied" : "ok";
        actual[table][actor] = {
          select,
          insert: await w(`insert into ${qualified} default values`),
          update: await w(`update ${qualified} set ${col} = ${col}`),
          delete: await w(`delete from ${qualified}`),
        };
      }
    }
    expect(actual).toEqual(EXPECTED_TABLES);
  });

  it("every actor can execute exactly the functions in the matrix", async () => {
    const { rows: fns } = await db.query<{ name: string; call: string; is_trigger: boolean; oid: number }>(
      `select n.nspname || '.' || p.proname || '(' ||
              coalesce((select string_agg(format_type(a, null), ',' order by i)
                        from unnest(p.proargtypes) with ordinality as x (a, i)), '') || ')' as name,
              quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' ||
              coalesce((select string_agg('null::' || format_type(a, null), ', ' order by i)
                        from unnest(p.proargtypes) with ordinality as x (a, i)), '') || ')' as call,
              p.prorettype = 'trigger'::regtype as is_trigger, p.oid::int as oid
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('public', 'sync_engine', 'sync_auth') order by 1`,
    );
    const actual: Record<string, DbRole[]> = {};
    for (const fn of fns) {
      const allowed = new Set<DbRole>();
      for (const actor of ACTORS) {
        const role = dbRoleOf(actor);
        // The catalog's answer: schema USAGE and EXECUTE.
        const { rows } = await db.query<{ ok: boolean }>(
          `select has_schema_privilege($1, p.pronamespace, 'usage') and has_function_privilege($1, p.oid, 'execute') as ok
           from pg_proc p where p.oid = $2`,
          [role, fn.oid],
        );
        const granted = rows[0]?.ok === true;
        // And the database's: call it with NULL arguments (trigger functions cannot be called).
        if (!fn.is_trigger) {
          const outcome = await probe(db, identities[actor], `select ${fn.call}`);
          expect(outcome === "denied", `${actor} calling ${fn.name}`).toBe(!granted);
        }
        if (granted) allowed.add(role);
      }
      actual[fn.name] = (["anon", "authenticated", "service_role"] as const).filter((r) => allowed.has(r));
    }
    expect(actual).toEqual(EXPECTED_FUNCTIONS);
  });
});
