-- Superseded: sync_engine.schedule_due_plans → 20261130170000_scheduler_hot_path.sql (live: supabase/schema.sql)
-- Two whole-table reads the volume benchmark found (docs/benchmarks.md "Volume"; docs/scaling.md
-- §3.6), both on organization_integrations:
-- * schedule_due_plans moved next_run_at with `update … from unnest(ids, next)`, a hash join over
--   every integration per batch of 500; now by primary key (`id = any`), the value by position.
-- * claim_health_checks selected due integrations with `next_check_at is null or … <= now` (no
--   index) and probed running syncs by integration_id (no index); now in the shape of
--   organization_integrations_health_due_idx and by (org_id, integration_type), the one-active
--   index. Its reactivation of quiet passive integrations reads passive rows only, through the
--   partial index below.
-- claim_health_checks is redefined from its latest definition (20261130113100). Behaviour is unchanged; the volume and scheduler tests run as before.
set local lock_timeout = '5s';
set local statement_timeout = '5min';

create index if not exists organization_integrations_passive_until_idx
  on public.organization_integrations (health_passive_until)
  where health_mode = 'passive';

create or replace function sync_engine.schedule_due_plans(
  p_now timestamptz,
  p_limit integer,
  p_crons text[],
  p_zones text[],
  p_expected_next_run_at timestamptz[],
  p_run_periods timestamptz[],
  p_new_next_run_at timestamptz[]
) returns table (integration_id uuid, org_id uuid, integration_type text, run_id uuid, outcome text)
language plpgsql
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_orgs uuid[];
  v_types text[];
  v_max integer[];
  v_periods timestamptz[];
  v_next timestamptz[];
  v_done uuid[];
  v_runs uuid[];
  v_rec record;
begin
  -- Due rows whose (cron, zone, next_run_at at ms) is one of the caller's plans, locked FOR NO
  -- KEY UPDATE SKIP LOCKED (the manual RPC's foreign-key check takes KEY SHARE on this row while
  -- holding its advisory lock; FOR UPDATE deadlocked with it). Locking re-evaluates the join on
  -- the latest row version, so a row another tick moved meanwhile is not taken: no stale plans.
  -- next_run_at is compared at ms: the caller's plans come from JavaScript Dates. Null (a new
  -- schedule) compares as -infinity so the join stays a hash join.
  select coalesce(array_agg(d.id), '{}'), array_agg(d.org_id), array_agg(d.integration_type),
         array_agg(d.max_attempts), array_agg(d.period), array_agg(d.next_at)
    into v_ids, v_orgs, v_types, v_max, v_periods, v_next
  from (
    select i.id, i.org_id, i.integration_type, i.max_attempts, p.period, p.next_at
    from public.organization_integrations i
    join unnest(p_crons, p_zones, p_expected_next_run_at, p_run_periods, p_new_next_run_at)
      as p (cron, zone, expected, period, next_at)
      on p.cron = i.schedule_cron and p.zone = i.schedule_timezone
     and coalesce(p.expected, '-infinity') = coalesce(date_trunc('milliseconds', i.next_run_at), '-infinity')
    where i.enabled and i.schedule_cron is not null
      and coalesce(i.next_run_at, '-infinity'::timestamptz) <= p_now
    limit greatest(p_limit, 0)
    for no key update of i skip locked
  ) d;
  if cardinality(v_ids) = 0 then
    return;
  end if;

  -- enqueue_run's per-(org, type) advisory lock, for every integration with a period to run. A
  -- manual trigger holding one commits first; the next statement's snapshot then sees its run.
  perform pg_catalog.pg_advisory_xact_lock(sync_engine.run_lock_key(x.org_id, x.integration_type))
  from unnest(v_orgs, v_types, v_periods) as x (org_id, integration_type, period)
  where x.period is not null;

  -- The common case in one statement. No run for the period yet and no active run are left to
  -- ON CONFLICT DO NOTHING (it probes idempotency_key and the one-active index anyway); a row it
  -- skips goes through enqueue_run below, which tells duplicate from overlap.
  with ins as (
    insert into public.sync_run_log as r (org_id, integration_id, integration_type, status, triggered_by,
      scheduled_for, idempotency_key, max_attempts)
    select x.org_id, x.id, x.integration_type, 'pending', 'scheduled', x.period,
      sync_engine.period_key(x.id, x.period), x.max_attempts
    from unnest(v_ids, v_orgs, v_types, v_max, v_periods) as x (id, org_id, integration_type, max_attempts, period)
    where x.period is not null
    on conflict do nothing
    returning r.integration_id, r.id
  )
  select coalesce(array_agg(ins.integration_id), '{}'), coalesce(array_agg(ins.id), '{}') into v_done, v_runs from ins;

  -- One NOTIFY per batch wakes every listening worker; a post per run only where a dispatch URL
  -- is configured (as in schedule_due_periods).
  if cardinality(v_runs) > 0 then
    perform sync_engine.wake_workers('');
    if exists (select from sync_engine.settings s where s.key = 'dispatch_url') then
      perform sync_engine.post_to_worker(pg_catalog.jsonb_build_object('run_id', d.id)) from unnest(v_runs) as d (id);
    end if;
  end if;

  -- Every locked integration is reported: enqueued, no period (a new schedule: run_id and
  -- outcome null), or whatever enqueue_run decides (duplicate, skipped overlap, a lost race).
  return query
    select x.id, x.org_id, x.integration_type, d.run_id, case when d.run_id is not null then 'enqueued' end
    from unnest(v_ids, v_orgs, v_types, v_periods) as x (id, org_id, integration_type, period)
    left join unnest(v_done, v_runs) as d (id, run_id) on d.id = x.id
    where d.run_id is not null or x.period is null;
  for v_rec in
    select x.id, x.org_id, x.integration_type, x.period
    from unnest(v_ids, v_orgs, v_types, v_periods) as x (id, org_id, integration_type, period)
    left join unnest(v_done) as d (id) on d.id = x.id
    where x.period is not null and d.id is null
  loop
    integration_id := v_rec.id;
    org_id := v_rec.org_id;
    integration_type := v_rec.integration_type;
    select e.run_id, e.outcome into run_id, outcome
    from sync_engine.enqueue_run(v_rec.id, 'scheduled', p_scheduled_for => v_rec.period,
      p_idempotency_key => sync_engine.period_key(v_rec.id, v_rec.period)) e;
    return next;
  end loop;

  -- updated_at stamped here skips the validation trigger (see the top of this file).
  -- By primary key, the new value looked up by position: `from unnest(…) where i.id = x.id` was
  -- planned as a hash join that read every row of organization_integrations for each batch of 500
  -- (2 sequential scans per due tick; 100,000 rows per batch at the 100,000-integration goal).
  update public.organization_integrations i
  set next_run_at = v_next[pg_catalog.array_position(v_ids, i.id)], updated_at = now()
  where i.id = any (v_ids);
end;
$$;

create or replace function sync_engine.claim_health_checks(
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
      -- The shape of organization_integrations_health_due_idx (20261130100100): only due rows are
      -- read. "A sync is running" probes the one-active index by (org, type).
      and coalesce(c.health_next_check_at, '-infinity'::timestamptz) <= p_now
      and not exists (select from public.sync_run_log r
                      where r.org_id = c.org_id and r.integration_type = c.integration_type
                        and r.status = 'running')
    order by coalesce(c.health_next_check_at, '-infinity'::timestamptz)
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
