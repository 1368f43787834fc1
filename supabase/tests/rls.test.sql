-- pgTAP: row-level security on the client-readable tables.
begin;
create extension if not exists pgtap with schema extensions;
set search_path = public, extensions;
select plan(9);

insert into auth.users (id, email) values
  ('11000000-0000-4000-8000-000000000001', 'rls-a@test.local'),
  ('11000000-0000-4000-8000-000000000002', 'rls-b@test.local');
insert into public.organizations (id, name) values
  ('21000000-0000-4000-8000-000000000001', 'RLS Org A'),
  ('21000000-0000-4000-8000-000000000002', 'RLS Org B');
insert into public.organization_members (org_id, user_id, role) values
  ('21000000-0000-4000-8000-000000000001', '11000000-0000-4000-8000-000000000001', 'viewer'),
  ('21000000-0000-4000-8000-000000000002', '11000000-0000-4000-8000-000000000002', 'viewer');
insert into public.organization_integrations (id, org_id, integration_type) values
  ('31000000-0000-4000-8000-000000000001', '21000000-0000-4000-8000-000000000001', 'xledger'),
  ('31000000-0000-4000-8000-000000000002', '21000000-0000-4000-8000-000000000002', 'xledger');
select sync_engine.enqueue_run('31000000-0000-4000-8000-000000000001', 'scheduled');
select sync_engine.enqueue_run('31000000-0000-4000-8000-000000000002', 'scheduled');


select ok((select relrowsecurity from pg_class where oid = 'public.sync_run_log'::regclass), 'RLS on sync_run_log');
select ok((select relrowsecurity from pg_class where oid = 'public.sync_trigger_audit'::regclass), 'RLS on sync_trigger_audit');

select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims', '{"sub":"11000000-0000-4000-8000-000000000001","role":"authenticated"}', true);
select results_eq($$ select org_id from public.sync_run_log $$,
  $$ values ('21000000-0000-4000-8000-000000000001'::uuid) $$, 'a member sees only their org''s runs');
select results_eq($$ select name from public.organizations $$, $$ values ('RLS Org A'::text) $$,
  'a member sees only their organization');
select throws_ok($$ update public.sync_run_log set status = 'cancelled' $$, '42501', null, 'members cannot update runs');
select throws_ok($$ insert into public.sync_run_log (org_id, integration_id, integration_type, triggered_by)
                    values ('21000000-0000-4000-8000-000000000001', '31000000-0000-4000-8000-000000000001', 'xledger', 'manual') $$,
  '42501', null, 'members cannot insert runs');
select throws_ok($$ delete from public.sync_trigger_audit $$, '42501', null, 'members cannot delete audit rows');
reset role;

select set_config('role', 'anon', true), set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$ select * from public.sync_run_log $$, '42501', null, 'anon cannot read runs');
reset role;

select ok(exists (select from pg_publication_tables where pubname = 'supabase_realtime' and tablename = 'sync_run_log'),
  'sync_run_log is published for Realtime');

select * from finish();
rollback;
