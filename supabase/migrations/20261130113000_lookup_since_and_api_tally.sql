-- Superseded: sync_engine.claim_health_checks → 20261130150000_integration_scans.sql; sync_engine.count_api_requests → 20261130160000_reconciliation.sql (live: supabase/schema.sql)
-- Xledger look-ups by modification time, the per-integration API request tally, and a health
-- monitor that spends at most a share of each integration's API allowance (docs/engine.md
-- "Health monitor", docs/export-pipeline.md "Xledger look-up").
set lock_timeout = '5s';
set statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- When an entry was FIRST marked in flight. mark_batch_in_flight re-stamps marked_at on every
-- re-mark (a retried attempt marks the same batch again), but the earliest moment the entry may
-- have reached the accounting system is the first mark: an Xledger look-up by `modifiedAt_gte`
-- must start there. The ON CONFLICT clause of mark_batch_in_flight does not name this column, so
-- a re-mark keeps it. Existing markers start from their marked_at (the best bound they have).
-- ---------------------------------------------------------------------------------------------
alter table sync_engine.export_in_flight add column first_marked_at timestamptz;
update sync_engine.export_in_flight set first_marked_at = marked_at;
-- (export_in_flight holds only the batches in flight right now, a few rows per running export: the
-- scan that SET NOT NULL does is instant.)
alter table sync_engine.export_in_flight
  alter column first_marked_at set default now(),
  -- squawk-ignore adding-not-nullable-field
  alter column first_marked_at set not null;

-- The earliest moment any of these entries may have been sent by this integration: their first
-- in-flight mark, or the run's first start for entries doubted without a mark (a retried attempt
-- re-checks its first batch). Fenced like every call after the claim.
create function sync_engine.in_flight_since(
  p_run_id uuid,
  p_worker_id text,
  p_attempt integer,
  p_entry_ids uuid[]
) returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
  v_run public.sync_run_log%rowtype;
  v_marked timestamptz;
begin
  select * into v_run from public.sync_run_log r
  where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running';
  if not found then
    perform sync_engine.raise_run_not_held(p_run_id, p_worker_id, p_attempt);
  end if;
  select min(f.first_marked_at) into v_marked
  from sync_engine.export_in_flight f
  where f.integration_id = v_run.integration_id and f.entry_id = any (p_entry_ids);
  -- least() ignores nulls: no marker → the run's start; markers of an earlier run → that mark.
  return least(v_marked, v_run.started_at);
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- API requests per integration, calendar month (UTC) and purpose. Xledger bills every GraphQL
-- request beyond 5,000 a month (UK help centre "How to Use the Xledger GraphQL API
-- Economically"), so the dashboard shows what each integration spent and on what, and the
-- health monitor reads its ping count from here. Written by the engine after each batch, each
-- failed attempt and each ping (a SIGKILLed worker loses at most one batch's count).
-- ---------------------------------------------------------------------------------------------
create table public.api_request_tally (
  integration_id uuid not null references public.organization_integrations (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  month date not null check (extract(day from month) = 1),
  purpose text not null check (purpose in ('export', 'lookup', 'ping', 'token')),
  requests bigint not null default 0 check (requests >= 0),
  updated_at timestamptz not null default now(),
  primary key (integration_id, month, purpose)
);
create index api_request_tally_org_idx on public.api_request_tally (org_id, month desc);
alter table public.api_request_tally enable row level security;
revoke all on table public.api_request_tally from public, anon, authenticated;
grant select on table public.api_request_tally to authenticated;
grant all on table public.api_request_tally to service_role;
create policy "members read their org's API request tally" on public.api_request_tally
  for select to authenticated using (org_id in (select sync_auth.user_org_ids()));

-- Adds counts ({"export": 2, "token": 1}) to the integration's tally for the month of p_at.
-- Unknown purposes and negative counts are refused with a coded error and change nothing.
create function sync_engine.count_api_requests(
  p_integration_id uuid,
  p_counts jsonb,
  p_at timestamptz default now()
) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_org uuid;
  v_bad text;
begin
  if p_counts is null or pg_catalog.jsonb_typeof(p_counts) <> 'object' then
    perform sync_engine.raise_api_error('invalid_request_counts', 400,
      'Request counts must be a JSON object of purpose → count.', null);
  end if;
  select k into v_bad from pg_catalog.jsonb_each(p_counts) as e(k, v)
  where k not in ('export', 'lookup', 'ping', 'token')
     or pg_catalog.jsonb_typeof(v) <> 'number' or v::text !~ '^[0-9]+$'
  limit 1;
  if v_bad is not null then
    perform sync_engine.raise_api_error('invalid_request_counts', 400,
      'Purposes are export, lookup, ping and token; counts are whole numbers ≥ 0.',
      pg_catalog.jsonb_build_object('purpose', v_bad));
  end if;
  select i.org_id into v_org from public.organization_integrations i where i.id = p_integration_id;
  if v_org is null then
    return; -- deleted meanwhile: nothing to bill it to
  end if;
  insert into public.api_request_tally as t (integration_id, org_id, month, purpose, requests)
  select p_integration_id, v_org, pg_catalog.date_trunc('month', p_at at time zone 'UTC')::date, e.k, e.v::text::bigint
  from pg_catalog.jsonb_each(p_counts) as e(k, v)
  where e.v::text::bigint > 0
  on conflict (integration_id, month, purpose) do update
    set requests = t.requests + excluded.requests, updated_at = now();
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Health monitor state. health_passive_until: set when the monitor itself went passive because
-- the API rationed its pings; at that time, if no run failed meanwhile, the integration returns
-- to active by itself. NULL while passive means an admin chose passive: it stays (sticky).
-- ---------------------------------------------------------------------------------------------
alter table public.organization_integrations add column health_passive_until timestamptz default null;
-- Every health tick looks for passive periods that are over; only the few rows with one are indexed,
-- so the look-up stays an index scan at 100,000 integrations (docs/scaling.md).
create index organization_integrations_passive_until_idx on public.organization_integrations (health_passive_until)
  where health_passive_until is not null;

-- Due integrations for one health tick, claimed by pushing health_next_check_at forward by
-- p_lease_seconds (no two workers ping one integration; no transaction across the network
-- call). Integrations whose quiet passive period is over return to active first. Returned with
-- what the policy (src/engine/health/healthPolicy.ts) needs: the newest evidence of health — the
-- last ping if it succeeded, or the last succeeded run that exported something (a run exporting
-- nothing sent nothing) — and this month's ping count from the tally.
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
  pings_this_month bigint
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
                and t.month = pg_catalog.date_trunc('month', p_now at time zone 'UTC')::date), 0)
  from claimed c;
end;
$$;

-- No ping needed now (fresh evidence, or the month's ping budget is spent): only moves the next
-- check. Evidence newer than the last recorded check also ends a degraded/unhealthy state the way
-- a successful ping would (an integration exporting successfully is not pinged, so nothing else
-- would ever clear it), resolving open health alerts.
create function sync_engine.defer_health_check(
  p_integration_id uuid,
  p_next_check_at timestamptz,
  p_evidence_at timestamptz default null
) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_recovered boolean;
begin
  update public.organization_integrations i set health_next_check_at = p_next_check_at
  where i.id = p_integration_id;
  update public.organization_integrations i set
    health_status = 'healthy',
    health_checked_at = p_evidence_at,
    health_consecutive_failures = 0,
    health_last_error = null
  where i.id = p_integration_id
    and p_evidence_at is not null
    and p_evidence_at > coalesce(i.health_checked_at, '-infinity'::timestamptz)
    and i.health_status <> 'healthy';
  get diagnostics v_recovered = row_count;
  if v_recovered then
    update public.sync_alerts a set resolved_at = now()
    where a.integration_id = p_integration_id and a.kind = 'health' and a.resolved_at is null;
  end if;
end;
$$;

-- One ping's outcome as the monitor records it: record_health_check plus the passive period (when
-- the policy went passive because pings were rationed, p_passive_until is when it may return to
-- active). A name of its own, not an overload: record_health_check keeps its one signature.
create function sync_engine.record_health_decision(
  p_integration_id uuid,
  p_ok boolean,
  p_latency_ms integer,
  p_error_code text,
  p_error_message text,
  p_status text,
  p_mode text,
  p_next_check_at timestamptz,
  p_passive_until timestamptz
) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform sync_engine.record_health_check(p_integration_id, p_ok, p_latency_ms, p_error_code, p_error_message,
    p_status, p_mode, p_next_check_at);
  update public.organization_integrations i
  set health_passive_until = case when p_mode = 'passive' then p_passive_until end
  where i.id = p_integration_id;
end;
$$;

revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
