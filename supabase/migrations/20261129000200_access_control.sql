-- Superseded: sync_auth.user_admin_org_ids → 20261130190000_membership_helpers_plpgsql.sql; sync_auth.user_org_ids → 20261130190000_membership_helpers_plpgsql.sql (live: supabase/schema.sql)
-- Row-level security and grants. Clients (anon, authenticated) write nothing directly: every
-- change goes through a SECURITY DEFINER RPC or the engine. Members read their org's rows.

-- The membership lookup runs as definer so policies on organization_members itself do not
-- recurse, and is STABLE so the planner evaluates it once per statement, not once per row.
create function sync_auth.user_org_ids() returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.org_id from public.organization_members m where m.user_id = auth.uid()
$$;
comment on function sync_auth.user_org_ids() is
  'Definer: reads memberships for RLS without recursing into organization_members policies.';

create function sync_auth.user_admin_org_ids() returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.org_id from public.organization_members m
  where m.user_id = auth.uid() and m.role in ('admin', 'coordinator')
$$;
comment on function sync_auth.user_admin_org_ids() is
  'Definer: orgs where the caller may trigger syncs and read the trigger audit.';

revoke all on function sync_auth.user_org_ids() from public, anon;
revoke all on function sync_auth.user_admin_org_ids() from public, anon;
grant execute on function sync_auth.user_org_ids() to authenticated, service_role;
grant execute on function sync_auth.user_admin_org_ids() to authenticated, service_role;

do $grants$
declare
  t text;
begin
  foreach t in array array['organizations', 'organization_members', 'organization_integrations',
                           'ledger_entries', 'ledger_entry_exports', 'sync_run_log', 'sync_trigger_audit']
  loop
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke all on table public.%I from public, anon, authenticated', t);
    execute format('grant select on table public.%I to authenticated', t);
    execute format('grant all on table public.%I to service_role', t);
  end loop;
end
$grants$;

-- Append-only even for the service role: the audit's trigger refuses UPDATE/DELETE, and the
-- privileges say so too.
revoke update, delete, truncate on table public.sync_trigger_audit from service_role;

create policy "members read their organizations" on public.organizations
  for select to authenticated using (id in (select sync_auth.user_org_ids()));
create policy "members read their org's members" on public.organization_members
  for select to authenticated using (org_id in (select sync_auth.user_org_ids()));
create policy "members read their org's integrations" on public.organization_integrations
  for select to authenticated using (org_id in (select sync_auth.user_org_ids()));
create policy "members read their org's ledger entries" on public.ledger_entries
  for select to authenticated using (org_id in (select sync_auth.user_org_ids()));
create policy "members read their org's exports" on public.ledger_entry_exports
  for select to authenticated using (org_id in (select sync_auth.user_org_ids()));
create policy "members read their org's runs" on public.sync_run_log
  for select to authenticated using (org_id in (select sync_auth.user_org_ids()));
create policy "admins and coordinators read their org's trigger audit" on public.sync_trigger_audit
  for select to authenticated using (org_id in (select sync_auth.user_admin_org_ids()));

-- Realtime: clients watch their runs live. Supabase has the publication already; the bootstrap
-- creates it elsewhere. Adding a table twice is an error, hence the check.
do $realtime$
begin
  if not exists (select from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
  if not exists (
    select from pg_publication_tables
    where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'sync_run_log'
  ) then
    alter publication supabase_realtime add table public.sync_run_log;
  end if;
end
$realtime$;
