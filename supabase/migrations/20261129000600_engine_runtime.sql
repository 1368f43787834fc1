-- Superseded: public.cancel_integration_sync → 20261130090000_sql_single_sources.sql; sync_engine.passive_health_from_run → 20261129081500_lock_order_fixes.sql; sync_engine.prune_run_log → 20261130100100_volume_indexes.sql; sync_engine.record_health_check → 20261130100000_bounded_numbers.sql; sync_engine.schedule_periods → 20261130090000_sql_single_sources.sql (live: supabase/schema.sql)
-- What the engine runtime (worker, scheduler, health monitor) needs beyond the SQL core:
-- alerts the dashboard shows, health history, the scheduler's atomic period step, the
-- user-facing cancel RPC, and run-log retention.

-- ---------------------------------------------------------------------------------------------
-- Alerts: drift over the threshold, health changes. Members read their org's alerts.
-- ---------------------------------------------------------------------------------------------
create table public.sync_alerts (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.organizations (id) on delete cascade,
  integration_id uuid references public.organization_integrations (id) on delete cascade,
  run_id uuid default null,
  kind text not null check (kind in ('drift', 'health', 'missed')),
  severity text not null default 'warning' check (severity in ('info', 'warning', 'critical')),
  message text not null,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  resolved_at timestamptz default null
);
create index sync_alerts_org_idx on public.sync_alerts (org_id, created_at desc);
alter table public.sync_alerts enable row level security;
revoke all on table public.sync_alerts from public, anon, authenticated;
grant select on table public.sync_alerts to authenticated;
grant all on table public.sync_alerts to service_role;
create policy "members read their org's alerts" on public.sync_alerts
  for select to authenticated using (org_id in (select sync_auth.user_org_ids()));

-- ---------------------------------------------------------------------------------------------
-- Health history: bounded to the newest 100 checks per integration (≈ 25 h at the 15-minute
-- minimum interval), pruned as new checks arrive.
-- ---------------------------------------------------------------------------------------------
create table public.integration_health_checks (
  id bigint generated always as identity primary key,
  integration_id uuid not null references public.organization_integrations (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  checked_at timestamptz not null default now(),
  ok boolean not null,
  latency_ms integer default null,
  error_code text default null,
  error_message text default null
);
create index integration_health_checks_idx on public.integration_health_checks (integration_id, checked_at desc);
alter table public.integration_health_checks enable row level security;
revoke all on table public.integration_health_checks from public, anon, authenticated;
grant select on table public.integration_health_checks to authenticated;
grant all on table public.integration_health_checks to service_role;
create policy "members read their org's health checks" on public.integration_health_checks
  for select to authenticated using (org_id in (select sync_auth.user_org_ids()));

-- Records one ping outcome and the health state the monitor decided (the policy — intervals,
-- backoff, passive switch — lives in src/engine/healthPolicy.ts, runtime-neutral). Skipped when
-- a sync of the integration is running: the ping would compete with it for the API's quota.
create function sync_engine.record_health_check(
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
  from public.organization_integrations i where i.id = p_integration_id for update;
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

-- Passive health mode (no pings; chosen by an admin, or switched to when pings were rate
-- limited): health follows sync outcomes instead. One implementation for the Node worker and
-- the Edge Function, since both end runs through the same SQL.
create function sync_engine.passive_health_from_run() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  update public.organization_integrations i set
    health_status = case when new.status = 'succeeded' then 'healthy' else 'unhealthy' end,
    health_checked_at = now(),
    health_last_error = case when new.status = 'succeeded' then null
                             else left(coalesce(new.error_code, 'error') || ': ' || coalesce(new.error_message, ''), 500) end
  where i.id = new.integration_id and i.health_mode = 'passive';
  return null;
end;
$$;

create trigger sync_run_log_passive_health
  after update of status on public.sync_run_log
  for each row
  when (new.status in ('succeeded', 'failed') and old.status is distinct from new.status)
  execute function sync_engine.passive_health_from_run();

-- ---------------------------------------------------------------------------------------------
-- Scheduler step for one integration, atomic: the caller (any worker; no leader) computed the
-- cron periods in TypeScript (croner, DST-correct) while holding the integration row's lock
-- (FOR UPDATE SKIP LOCKED). Records earlier missed periods as skipped ('missed'), enqueues the
-- latest through enqueue_run (overlap → skipped 'overlap'), and moves next_run_at — but only if
-- next_run_at is still what the caller read, so a stale tick changes nothing. Idempotency keys
-- `<integration_id>:<nominal period start, ISO UTC>` make a repeated period a no-op even then.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.schedule_periods(
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
  select * into v_integration from public.organization_integrations i where i.id = p_integration_id for update;
  if not found or v_integration.next_run_at is distinct from p_expected_next_run_at then
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

-- Drift alert for a scheduled run that started late; called by the worker with its threshold.
create function sync_engine.raise_drift_alert(p_run_id uuid, p_threshold_ms integer) returns boolean
language plpgsql
set search_path = ''
as $$
declare
  v_run public.sync_run_log%rowtype;
begin
  select * into v_run from public.sync_run_log r where r.id = p_run_id;
  if not found or v_run.drift_ms is null or v_run.drift_ms <= p_threshold_ms then
    return false;
  end if;
  insert into public.sync_alerts (org_id, integration_id, run_id, kind, severity, message, details)
  select v_run.org_id, v_run.integration_id, v_run.id, 'drift', 'warning',
    format('Scheduled run started %s s after its scheduled time.', round(v_run.drift_ms / 1000.0)),
    pg_catalog.jsonb_build_object('drift_ms', v_run.drift_ms, 'scheduled_for', v_run.scheduled_for,
      'threshold_ms', p_threshold_ms)
  where not exists (select from public.sync_alerts a where a.run_id = v_run.id and a.kind = 'drift');
  return true;
end;
$$;

-- Run-log retention: finished runs older than the period go; active runs never; the trigger
-- audit is a separate table and untouched. Batched (5,000 rows a call) to keep locks short.
create function sync_engine.prune_run_log(p_older_than interval default interval '90 days', p_limit integer default 5000)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_count integer;
begin
  if p_older_than < interval '1 day' then
    raise exception 'run-log retention must be at least 1 day, got %', p_older_than using errcode = '22023';
  end if;
  delete from public.sync_run_log r
  where r.id in (
    select x.id from public.sync_run_log x
    where x.status in ('succeeded', 'failed', 'cancelled', 'skipped')
      and coalesce(x.finished_at, x.triggered_at) < now() - p_older_than
    limit p_limit
  );
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;

-- ---------------------------------------------------------------------------------------------
-- User-facing cancel (same identity rules as the trigger). Definer: clients cannot update runs.
-- ---------------------------------------------------------------------------------------------
create function public.cancel_integration_sync(run_id uuid)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_claims jsonb := auth.jwt();
  v_sub text := v_claims ->> 'sub';
  v_uid uuid;
  v_run public.sync_run_log%rowtype;
  v_role text;
  v_status text;
begin
  if v_sub ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    v_uid := v_sub::uuid;
  end if;
  if v_uid is null or coalesce(v_claims ->> 'role', '') <> 'authenticated' then
    perform sync_engine.raise_api_error('permission_denied', 401, 'You must be signed in to cancel a sync.');
  end if;
  select * into v_run from public.sync_run_log r where r.id = cancel_integration_sync.run_id;
  -- A run of another org is reported as not found, not as forbidden: no existence oracle.
  if not found or lower(coalesce(v_claims ->> 'org_id', '')) <> v_run.org_id::text then
    perform sync_engine.raise_api_error('run_not_found', 404, 'No such sync run in your organization.');
  end if;
  select m.role into v_role from public.organization_members m where m.org_id = v_run.org_id and m.user_id = v_uid;
  if v_role is null or v_role not in ('admin', 'coordinator') then
    perform sync_engine.raise_api_error('permission_denied', 403,
      'Only administrators and coordinators can cancel a sync.');
  end if;
  if v_run.status not in ('pending', 'running') then
    perform sync_engine.raise_api_error('run_not_active', 409, 'This sync has already finished.',
      p_details => pg_catalog.jsonb_build_object('status', v_run.status));
  end if;
  v_status := sync_engine.cancel_run(v_run.id);
  insert into public.sync_trigger_audit (run_id, actor_user_id, org_id, integration_type, action)
  values (v_run.id, v_uid, v_run.org_id, v_run.integration_type, 'cancel');
  return v_status;
end;
$$;
comment on function public.cancel_integration_sync(uuid) is
  'Cancels a pending run at once or asks the worker to stop a running one; returns the status afterwards. Errors: permission_denied, run_not_found, run_not_active.';
revoke all on function public.cancel_integration_sync(uuid) from public, anon;
grant execute on function public.cancel_integration_sync(uuid) to authenticated;
