-- Superseded: sync_engine.claim_health_checks → 20261130150000_integration_scans.sql (live: supabase/schema.sql)
-- An admin's connection test is a ping the monitor must send. public.test_integration_connection
-- (migration 20261130120000) asks for one by moving health_next_check_at to now and auditing
-- 'test_connection'; claim_health_checks now also reports whether such a test was asked for since
-- the last check, so recent evidence of health does not stand in for it (the month's ping budget
-- still does; docs/engine.md "Health monitor"). Redefined from its only definition
-- (20261130113000); the added column changes the result type, hence drop and create.
set lock_timeout = '5s';
set statement_timeout = '60s';

drop function sync_engine.claim_health_checks(timestamptz, integer, integer);
create function sync_engine.claim_health_checks(
  p_now timestamptz,
  p_limit integer,
  p_lease_seconds integer
) returns table (
  id uuid,
  org_id uuid,
  integration_type text,
  config jsonb,
  health_status text,
  health_consecutive_failures integer,
  evidence_at timestamptz,
  pings_this_month bigint,
  test_requested boolean
)
language plpgsql
set search_path = ''
as $$
begin
  update public.organization_integrations i set
    health_mode = 'active',
    health_passive_until = null,
    health_next_check_at = p_now
  where i.health_mode = 'passive'
    and i.health_passive_until <= p_now
    and i.health_status <> 'unhealthy';

  return query
  with due as (
    select c.id from public.organization_integrations c
    where c.enabled and c.health_mode = 'active'
      and (c.health_next_check_at is null or c.health_next_check_at <= p_now)
      and not exists (select from public.sync_run_log r where r.integration_id = c.id and r.status = 'running')
    order by c.health_next_check_at nulls first
    limit greatest(p_limit, 0)
    for no key update skip locked
  ), claimed as (
    update public.organization_integrations i
    set health_next_check_at = p_now + make_interval(secs => p_lease_seconds)
    from due where i.id = due.id
    returning i.id, i.org_id, i.integration_type, i.config, i.health_status, i.health_consecutive_failures,
      i.health_checked_at
  )
  select c.id, c.org_id, c.integration_type, c.config, c.health_status, c.health_consecutive_failures,
    greatest(
      case when c.health_status = 'healthy' and c.health_consecutive_failures = 0 then c.health_checked_at end,
      (select r.finished_at from public.sync_run_log r
       where r.integration_id = c.id and r.status = 'succeeded' and r.records_exported > 0
         and r.triggered_at > p_now - interval '32 days'
       order by r.triggered_at desc limit 1)),
    coalesce((select t.requests from public.api_request_tally t
              where t.integration_id = c.id and t.purpose = 'ping'
                and t.month = pg_catalog.date_trunc('month', p_now at time zone 'UTC')::date), 0),
    exists (select from public.integration_admin_audit a
            where a.org_id = c.org_id and a.integration_type = c.integration_type
              and a.action = 'test_connection'
              and a.occurred_at > coalesce(c.health_checked_at, '-infinity'::timestamptz))
  from claimed c;
end;
$$;

revoke all on function sync_engine.claim_health_checks(timestamptz, integer, integer) from public, anon, authenticated;
grant execute on function sync_engine.claim_health_checks(timestamptz, integer, integer) to service_role;
