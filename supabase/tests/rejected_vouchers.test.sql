-- pgTAP: re-queueing and skipping rejected vouchers (docs/export-pipeline.md "Rejected vouchers"),
-- acting as users the way PostgREST does. Run with pg_prove against a migrated database (.ci/run does).
begin;
create extension if not exists pgtap with schema extensions;
set search_path = public, extensions;
select plan(16);

-- Fixtures, as the owner.
insert into auth.users (id, email) values
  ('11000000-0000-4000-8000-000000000001', 'pgtap-rv-coord@test.local'),
  ('11000000-0000-4000-8000-000000000002', 'pgtap-rv-viewer@test.local');
insert into public.organizations (id, name) values ('22000000-0000-4000-8000-000000000001', 'pgTAP Voucher Org');
insert into public.organization_members (org_id, user_id, role) values
  ('22000000-0000-4000-8000-000000000001', '11000000-0000-4000-8000-000000000001', 'coordinator'),
  ('22000000-0000-4000-8000-000000000001', '11000000-0000-4000-8000-000000000002', 'viewer');
insert into public.organization_integrations (id, org_id, integration_type, enabled) values
  ('32000000-0000-4000-8000-000000000001', '22000000-0000-4000-8000-000000000001', 'dynamics', true);
insert into public.export_rejections (id, org_id, integration_id, integration_type, voucher_number,
    error_code, error_message, entry_ids, lines) values
  ('42000000-0000-4000-8000-000000000001', '22000000-0000-4000-8000-000000000001',
   '32000000-0000-4000-8000-000000000001', 'dynamics', 'V-1', 'bad_request', 'unknown account', '{}', 0),
  ('42000000-0000-4000-8000-000000000002', '22000000-0000-4000-8000-000000000001',
   '32000000-0000-4000-8000-000000000001', 'dynamics', 'V-2', 'voucher_unbalanced', 'NOK 1.00', '{}', 0);

create function pg_temp.act_as(p_user uuid, p_org uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims', json_build_object('sub', p_user, 'role', 'authenticated', 'org_id', p_org)::text, true);
$$;
-- Runs an RPC call and returns the PGRST error (code, status), or null on success.
create function pg_temp.refusal(p_sql text) returns jsonb language plpgsql as $$
declare m text; d text;
begin
  execute p_sql;
  return null;
exception when sqlstate 'PGRST' then
  get stacked diagnostics m = message_text, d = pg_exception_detail;
  return jsonb_build_object('code', m::jsonb ->> 'code', 'status', (d::jsonb ->> 'status')::int);
end;
$$;
grant execute on function pg_temp.refusal(text) to authenticated;

select is_definer('public', 'requeue_rejected_voucher', array['uuid', 'uuid'], 'requeue is SECURITY DEFINER');
select is_definer('public', 'skip_rejected_voucher', array['uuid', 'uuid', 'text'], 'skip is SECURITY DEFINER');
select function_privs_are('public', 'requeue_rejected_voucher', array['uuid', 'uuid'], 'anon', array[]::text[],
  'anon cannot re-queue');
select function_privs_are('public', 'skip_rejected_voucher', array['uuid', 'uuid', 'text'], 'authenticated',
  array['EXECUTE'], 'authenticated can call skip');
select ok((select proconfig @> array['search_path=""'] from pg_proc
           where oid = 'public.requeue_rejected_voucher(uuid, uuid)'::regprocedure), 'search_path is fixed to empty');

select pg_temp.act_as('11000000-0000-4000-8000-000000000002', '22000000-0000-4000-8000-000000000001');
select is(pg_temp.refusal($$select public.requeue_rejected_voucher('22000000-0000-4000-8000-000000000001', '42000000-0000-4000-8000-000000000001')$$),
  '{"code":"permission_denied","status":403}'::jsonb, 'a viewer is refused 403');

select pg_temp.act_as('11000000-0000-4000-8000-000000000001', '22000000-0000-4000-8000-000000000002');
select is(pg_temp.refusal($$select public.requeue_rejected_voucher('22000000-0000-4000-8000-000000000001', '42000000-0000-4000-8000-000000000001')$$),
  '{"code":"org_scope_violation","status":403}'::jsonb, 'a session scoped to another org is refused 403');

select pg_temp.act_as('11000000-0000-4000-8000-000000000001', '22000000-0000-4000-8000-000000000001');
select is(pg_temp.refusal($$select public.requeue_rejected_voucher('22000000-0000-4000-8000-000000000001', '42000000-0000-4000-8000-000000000099')$$),
  '{"code":"rejection_not_found","status":404}'::jsonb, 'an unknown rejection is 404');
select is(pg_temp.refusal($$select public.skip_rejected_voucher('22000000-0000-4000-8000-000000000001', '42000000-0000-4000-8000-000000000002', '')$$),
  '{"code":"invalid_reason","status":400}'::jsonb, 'skipping needs a reason');
select is(pg_temp.refusal($$select public.requeue_rejected_voucher('22000000-0000-4000-8000-000000000001', '42000000-0000-4000-8000-000000000001')$$),
  null, 'a coordinator re-queues');
select is(pg_temp.refusal($$select public.skip_rejected_voucher('22000000-0000-4000-8000-000000000001', '42000000-0000-4000-8000-000000000002', 'booked by hand')$$),
  null, 'a coordinator skips with a reason');
select is(pg_temp.refusal($$select public.skip_rejected_voucher('22000000-0000-4000-8000-000000000001', '42000000-0000-4000-8000-000000000001', 'late')$$),
  '{"code":"rejection_not_open","status":409}'::jsonb, 'a re-queued voucher cannot be skipped any more');
select throws_ok($$update public.export_rejections set status = 'rejected'$$, '42501', null,
  'members cannot write the list directly');

reset role;
select results_eq($$select voucher_number, status from public.export_rejections
                   where org_id = '22000000-0000-4000-8000-000000000001' order by voucher_number$$,
  $$values ('V-1'::text, 'requeued'::text), ('V-2', 'skipped')$$, 'the list shows both decisions');
select results_eq($$select action, reason from public.export_rejection_audit
                   where org_id = '22000000-0000-4000-8000-000000000001' order by id$$,
  $$values ('requeue'::text, null::text), ('skip', 'booked by hand')$$, 'both actions are audited');
select throws_ok($$delete from public.export_rejection_audit$$, '42501', null, 'the audit is append-only');

select * from finish();
rollback;
