-- pgTAP: the manual-trigger RPC (docs/architecture.md §4), acting as users the way PostgREST does.
-- Run with pg_prove against a migrated database (.ci/run does), or `supabase test db`.
begin;
create extension if not exists pgtap with schema extensions;
set search_path = public, extensions;
select plan(17);

-- Fixtures, as the owner.
insert into auth.users (id, email) values
  ('10000000-0000-4000-8000-000000000001', 'pgtap-coord@test.local'),
  ('10000000-0000-4000-8000-000000000002', 'pgtap-viewer@test.local'),
  ('10000000-0000-4000-8000-000000000003', 'pgtap-other@test.local');
insert into public.organizations (id, name) values
  ('20000000-0000-4000-8000-000000000001', 'pgTAP Org'),
  ('20000000-0000-4000-8000-000000000002', 'pgTAP Other Org');
insert into public.organization_members (org_id, user_id, role) values
  ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'coordinator'),
  ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002', 'viewer'),
  ('20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000003', 'coordinator');
insert into public.organization_integrations (org_id, integration_type, enabled) values
  ('20000000-0000-4000-8000-000000000001', 'xledger', true),
  ('20000000-0000-4000-8000-000000000001', 'dynamics', false);

-- Act as a user: role + claims, as PostgREST sets them per request.
create function pg_temp.act_as(p_user uuid, p_org uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims', json_build_object('sub', p_user, 'role', 'authenticated', 'org_id', p_org)::text, true);
$$;
-- Calls the RPC and returns the PGRST error as JSON (code, message, details, hint, status), or null on success.
create function pg_temp.refusal(p_org uuid, p_type text) returns jsonb language plpgsql as $$
declare m text; d text;
begin
  perform public.trigger_integration_sync(p_org, p_type);
  return null;
exception when sqlstate 'PGRST' then
  get stacked diagnostics m = message_text, d = pg_exception_detail;
  return m::jsonb || jsonb_build_object('status', (d::jsonb ->> 'status')::int, 'headers', d::jsonb -> 'headers');
end;
$$;

select is_definer('public', 'trigger_integration_sync', array['uuid', 'text'], 'the RPC is SECURITY DEFINER');
select function_privs_are('public', 'trigger_integration_sync', array['uuid', 'text'], 'anon', array[]::text[],
  'anon cannot execute the RPC');
select function_privs_are('public', 'trigger_integration_sync', array['uuid', 'text'], 'authenticated', array['EXECUTE'],
  'authenticated can execute the RPC');
select ok((select proconfig @> array['search_path=""'] from pg_proc
           where oid = 'public.trigger_integration_sync(uuid, text)'::regprocedure), 'search_path is fixed to empty');

-- 1. no authenticated user
select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{"role":"authenticated"}', true);
select is(pg_temp.refusal('20000000-0000-4000-8000-000000000001', 'xledger') ->> 'status', '401', 'no user → 401');
reset role;

-- 2. cross-org
select pg_temp.act_as('10000000-0000-4000-8000-000000000003', '20000000-0000-4000-8000-000000000002');
select is(pg_temp.refusal('20000000-0000-4000-8000-000000000001', 'xledger') ->> 'code', 'org_scope_violation',
  'cross-org call → org_scope_violation');
reset role;

-- 3. viewer
select pg_temp.act_as('10000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000001');
select is(pg_temp.refusal('20000000-0000-4000-8000-000000000001', 'xledger') ->> 'code', 'permission_denied',
  'viewer → permission_denied');
reset role;

select pg_temp.act_as('10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001');
-- 4. unknown type
select is(pg_temp.refusal('20000000-0000-4000-8000-000000000001', 'sap') ->> 'code', 'unknown_integration_type',
  'unknown type → unknown_integration_type');
-- 5. not configured / disabled
select is(pg_temp.refusal('20000000-0000-4000-8000-000000000001', 'dynamics') ->> 'code', 'integration_disabled',
  'disabled integration → integration_disabled');
-- success
select ok(public.trigger_integration_sync('20000000-0000-4000-8000-000000000001', 'xledger') is not null,
  'coordinator triggers a run');
-- 6. already in progress
select is(pg_temp.refusal('20000000-0000-4000-8000-000000000001', 'xledger') ->> 'code', 'sync_already_in_progress',
  'second trigger while pending → sync_already_in_progress');
reset role;

select results_eq(
  $$ select status, triggered_by, triggered_by_user_id from public.sync_run_log
     where org_id = '20000000-0000-4000-8000-000000000001' $$,
  $$ values ('pending'::text, 'manual'::text, '10000000-0000-4000-8000-000000000001'::uuid) $$,
  'exactly one pending manual run by the caller');
select is((select count(*)::int from public.sync_trigger_audit where org_id = '20000000-0000-4000-8000-000000000001'), 1,
  'one audit row');

-- 7. rate limit once the run has finished
update public.sync_run_log set status = 'running' where org_id = '20000000-0000-4000-8000-000000000001';
update public.sync_run_log set status = 'succeeded' where org_id = '20000000-0000-4000-8000-000000000001';
select pg_temp.act_as('10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001');
select is(pg_temp.refusal('20000000-0000-4000-8000-000000000001', 'xledger') ->> 'code', 'rate_limited',
  'second trigger within 5 minutes → rate_limited');
select is(pg_temp.refusal('20000000-0000-4000-8000-000000000001', 'xledger') ->> 'status', '429', 'rate_limited is 429');
select ok((pg_temp.refusal('20000000-0000-4000-8000-000000000001', 'xledger') -> 'headers' ->> 'Retry-After')::int between 1 and 300,
  'rate_limited carries Retry-After');
reset role;
select is((select count(*)::int from public.sync_run_log where org_id = '20000000-0000-4000-8000-000000000001'), 1,
  'refusals left no rows');

select * from finish();
rollback;
