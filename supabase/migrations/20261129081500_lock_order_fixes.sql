-- Superseded: sync_engine.record_health_check → 20261130100000_bounded_numbers.sql; sync_engine.schedule_periods → 20261130090000_sql_single_sources.sql (live: supabase/schema.sql)
-- Lock-order and precision fixes found by the chaos suite (test/chaos/chaos.chaos.ts):
--
-- 1. Deadlock 40P01 between a manual trigger and a scheduler tick. The tick locked integration
--    rows FOR UPDATE and then took each (org, type) advisory lock in enqueue_run; the RPC took the
--    advisory lock and then, inserting the run, a FOR KEY SHARE lock on the same integration row
--    (foreign key check). Rows are now locked FOR NO KEY UPDATE, which KEY SHARE does not wait for.
-- 2. Passive health updates from run outcomes skip a locked integration row instead of waiting.
-- 3. The scheduler's stale-read check compares next_run_at at millisecond precision.

create or replace function sync_engine.schedule_periods(
  p_integration_id uuid,
  p_expected_next_run_at timestamptz,
  p_run_period timestamptz,
  p_missed_periods timestamptz[],
  p_new_next_run_at timestamptz
) returns table (run_id uuid, outcome text)
language plpgsql
set search_path = ''
as $$
declare
  v_integration public.organization_integrations%rowtype;
  v_period timestamptz;
  v_key text;
begin
  -- FOR NO KEY UPDATE, not FOR UPDATE: the manual RPC's insert into sync_run_log takes FOR KEY
  -- SHARE on this row (foreign key check) while holding the (org, type) advisory lock, which this
  -- function then needs too. FOR UPDATE made the two wait on each other (deadlock 40P01, found by
  -- the chaos suite); NO KEY UPDATE does not conflict with KEY SHARE.
  select * into v_integration from public.organization_integrations i where i.id = p_integration_id
  for no key update;
  -- Compared at millisecond precision: the caller read next_run_at through a driver whose
  -- timestamps are JavaScript Dates (ms), while PostgreSQL keeps µs. A value written with µs
  -- (e.g. `next_run_at = now()` by hand) must not look stale forever.
  if not found
     or date_trunc('milliseconds', v_integration.next_run_at)
        is distinct from date_trunc('milliseconds', p_expected_next_run_at) then
    return;
  end if;

  foreach v_period in array coalesce(p_missed_periods, array[]::timestamptz[]) loop
    v_key := p_integration_id::text || ':' || to_char(v_period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    insert into public.sync_run_log as r (org_id, integration_id, integration_type, status, triggered_by,
      scheduled_for, idempotency_key, max_attempts, finished_at, skip_reason)
    values (v_integration.org_id, v_integration.id, v_integration.integration_type, 'skipped', 'scheduled',
      v_period, v_key, v_integration.max_attempts, now(), 'missed')
    on conflict (idempotency_key) do nothing
    returning r.id, 'missed' into run_id, outcome;
    if run_id is not null then
      return next;
    end if;
  end loop;

  if p_run_period is not null then
    v_key := p_integration_id::text || ':' || to_char(p_run_period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    select e.run_id, e.outcome into run_id, outcome
    from sync_engine.enqueue_run(p_integration_id, 'scheduled', p_scheduled_for => p_run_period,
                                 p_idempotency_key => v_key) e;
    return next;
  end if;

  update public.organization_integrations i set next_run_at = p_new_next_run_at where i.id = p_integration_id;
end;
$$;

create or replace function sync_engine.record_health_check(
  p_integration_id uuid,
  p_ok boolean,
  p_latency_ms integer,
  p_error_code text,
  p_error_message text,
  p_status text,
  p_mode text,
  p_next_check_at timestamptz
) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_org uuid;
  v_prev_status text;
begin
  select i.org_id, i.health_status into v_org, v_prev_status
  from public.organization_integrations i where i.id = p_integration_id for no key update;
  if v_org is null then
    return;
  end if;
  insert into public.integration_health_checks (integration_id, org_id, ok, latency_ms, error_code, error_message)
  values (p_integration_id, v_org, p_ok, p_latency_ms, left(p_error_code, 100), left(p_error_message, 1000));
  delete from public.integration_health_checks h
  where h.integration_id = p_integration_id
    and h.id < (select min(x.id) from (select c.id from public.integration_health_checks c
                where c.integration_id = p_integration_id order by c.id desc limit 100) x);
  update public.organization_integrations i set
    health_status = p_status,
    health_mode = p_mode,
    health_checked_at = now(),
    health_next_check_at = p_next_check_at,
    health_consecutive_failures = case when p_ok then 0 else i.health_consecutive_failures + 1 end,
    health_last_error = case when p_ok then null else left(coalesce(p_error_code, 'error') || ': ' || coalesce(p_error_message, ''), 500) end
  where i.id = p_integration_id;
  if v_prev_status is distinct from p_status and p_status in ('degraded', 'unhealthy') then
    insert into public.sync_alerts (org_id, integration_id, kind, severity, message, details)
    values (v_org, p_integration_id, 'health', case when p_status = 'unhealthy' then 'critical' else 'warning' end,
      format('Integration health changed from %s to %s.', v_prev_status, p_status),
      pg_catalog.jsonb_build_object('error_code', p_error_code));
  elsif v_prev_status in ('degraded', 'unhealthy') and p_status = 'healthy' then
    update public.sync_alerts a set resolved_at = now()
    where a.integration_id = p_integration_id and a.kind = 'health' and a.resolved_at is null;
  end if;
end;
$$;

create or replace function sync_engine.passive_health_from_run() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  update public.organization_integrations i set
    health_status = case when new.status = 'succeeded' then 'healthy' else 'unhealthy' end,
    health_checked_at = now(),
    health_last_error = case when new.status = 'succeeded' then null
                             else left(coalesce(new.error_code, 'error') || ': ' || coalesce(new.error_message, ''), 500) end
  where i.id = (
    -- SKIP LOCKED: a scheduler tick may hold this row while it waits for this very transaction
    -- (its insert checks the one-active-run index against the row we are updating). Health is
    -- advisory; one skipped update is corrected by the next run.
    select x.id from public.organization_integrations x
    where x.id = new.integration_id and x.health_mode = 'passive'
    for no key update skip locked);
  return null;
end;
$$;

revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
