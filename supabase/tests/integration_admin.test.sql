-- pgTAP: the admin RPCs' check order (docs/admin.md), acting as users the way PostgREST does.
-- Run with pg_prove against a migrated database (.ci/run does), or `supabase test db`.
begin;
create extension if not exists pgtap with schema extensions;
set search_path = public, extensions;
select plan(16);

insert into auth.users (id, email) values
  ('11000000-0000-4000-8000-000000000001', 'pgtap-admin@test.local'),
  ('11000000-0000-4000-8000-000000000002', 'pgtap-coordinator@test.local'),
  ('11000000-0000-4000-8000-000000000003', 'pgtap-outsider@test.local');
insert into public.organizations (id, name) values
  ('21000000-0000-4000-8000-000000000001', 'pgTAP Admin Org'),
  ('21000000-0000-4000-8000-000000000002', 'pgTAP Admin Other Org');
insert into public.organization_members (org_id, user_id, role) values
  ('21000000-0000-4000-8000-000000000001', '11000000-0000-4000-8000-000000000001', 'admin'),
  ('21000000-0000-4000-8000-000000000001', '11000000-0000-4000-8000-000000000002', 'coordinator'),
  ('21000000-0000-4000-8000-000000000002', '11000000-0000-4000-8000-000000000003', 'admin');
insert into public.organization_integrations (org_id, integration_type) values
  ('21000000-0000-4000-8000-000000000001', 'xledger');

create function pg_temp.act_as(p_user uuid, p_org uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims', json_build_object('sub', p_user, 'role', 'authenticated', 'org_id', p_org)::text, true);
$$;
-- configure_integration's PGRST error as JSON (code, details, status), or null on success.
create function pg_temp.configure(p_org uuid, p_type text, p_settings jsonb) returns jsonb language plpgsql as $$
declare m text; d text;
begin
  perform public.configure_integration(p_org, p_type, p_settings);
  return null;
exception when sqlstate 'PGRST' then
  get stacked diagnostics m = message_text, d = pg_exception_detail;
  return m::jsonb || jsonb_build_object('status', (d::jsonb ->> 'status')::int);
end;
$$;
grant execute on function pg_temp.act_as(uuid, uuid), pg_temp.configure(uuid, text, jsonb) to authenticated;

select is_definer('public', 'configure_integration', array['uuid', 'text', 'jsonb'], 'configure_integration is SECURITY DEFINER');
select function_privs_are('public', 'configure_integration', array['uuid', 'text', 'jsonb'], 'anon', array[]::text[],
  'anon cannot execute configure_integration');
select ok((select proconfig @> array['search_path=""'] from pg_proc
           where oid = 'public.configure_integration(uuid, text, jsonb)'::regprocedure), 'search_path is fixed to empty');

-- 1. not signed in
select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{"role":"authenticated"}', true);
select is(pg_temp.configure('21000000-0000-4000-8000-000000000001', 'sap', '1') ->> 'status', '401', 'no user → 401, before anything else');
reset role;
-- 2. another org's admin: scope before role, type and settings
select pg_temp.act_as('11000000-0000-4000-8000-000000000003', '21000000-0000-4000-8000-000000000002');
select is(pg_temp.configure('21000000-0000-4000-8000-000000000001', 'sap', '1') ->> 'code', 'org_scope_violation',
  'other org → org_scope_violation');
reset role;
-- 3. coordinator: role before type and settings
select pg_temp.act_as('11000000-0000-4000-8000-000000000002', '21000000-0000-4000-8000-000000000001');
select is(pg_temp.configure('21000000-0000-4000-8000-000000000001', 'sap', '1') ->> 'code', 'permission_denied',
  'coordinator → permission_denied');
select is(pg_temp.configure('21000000-0000-4000-8000-000000000001', 'sap', '1') ->> 'status', '403', 'coordinator → 403');
reset role;

select pg_temp.act_as('11000000-0000-4000-8000-000000000001', '21000000-0000-4000-8000-000000000001');
-- 4. type before settings
select is(pg_temp.configure('21000000-0000-4000-8000-000000000001', 'sap', '1') ->> 'code', 'unknown_integration_type',
  'unknown type → unknown_integration_type');
-- 5. settings shape, then schedule, zone, config, each before the next
select is(pg_temp.configure('21000000-0000-4000-8000-000000000001', 'xledger', '{"paused":true,"schedule_cron":"x"}') ->> 'code',
  'invalid_settings', 'unknown key → invalid_settings (before the schedule)');
select is(pg_temp.configure('21000000-0000-4000-8000-000000000001', 'xledger',
  '{"schedule_cron":"0 24 * * *","schedule_timezone":"Nowhere/Else"}') ->> 'code', 'invalid_schedule',
  'bad cron → invalid_schedule (before the zone)');
select is((pg_temp.configure('21000000-0000-4000-8000-000000000001', 'xledger', '{"schedule_cron":"0 24 * * *"}') ->> 'details')::jsonb ->> 'reason',
  'hour field: "24" is outside 0-23', 'invalid_schedule says why');
select is(pg_temp.configure('21000000-0000-4000-8000-000000000001', 'xledger',
  '{"schedule_timezone":"Nowhere/Else","config":{}}') ->> 'code', 'invalid_timezone', 'bad zone → invalid_timezone (before the config)');
select is(pg_temp.configure('21000000-0000-4000-8000-000000000001', 'xledger', '{"config":{"base_url":"ftp://x"}}') ->> 'code',
  'invalid_config', 'bad config → invalid_config');
-- success, audited once
select is(pg_temp.configure('21000000-0000-4000-8000-000000000001', 'xledger',
  '{"schedule_cron":"0 6 * * 1-5","schedule_timezone":"Europe/Oslo","enabled":false}'), null, 'admin configures');
select is((select count(*)::int from public.integration_admin_audit where org_id = '21000000-0000-4000-8000-000000000001'), 1,
  'one audit row, readable by the admin');
reset role;
select is((select schedule_cron || ' ' || enabled::text from public.organization_integrations
           where org_id = '21000000-0000-4000-8000-000000000001'), '0 6 * * 1-5 false', 'the change is stored');

select * from finish();
rollback;
