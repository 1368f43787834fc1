-- Superseded: sync_engine.schedule_due_plans → 20261130170000_scheduler_hot_path.sql (live: supabase/schema.sql)
-- Scheduler at scale: 100,000 integrations due in the same minute (bench/sections/scheduler.ts).
--
-- sync_engine.schedule_due_plans: the scheduler's step for every integration whose plan has no
-- missed periods, selected, locked and applied in SQL from the few distinct plans of a tick
-- (integrations sharing cron, zone and next_run_at share their plan). It replaces the tick's
-- per-batch round trip of 500 ids to TypeScript and back (schedule_due_periods, kept so workers of
-- the previous release keep ticking during a rolling deploy) and reads each integration row once instead of four times.
--
-- Per integration, 2 shared cores, batches of 1,000 after a checkpoint (clock_timestamp() around
-- each statement): select + lock 1.0 µs, advisory lock 1.0 µs, INSERT of the run 17–21 µs (of
-- which the two foreign-key checks ≈ 8.6 µs and each secondary index ≈ 1 µs), UPDATE of
-- next_run_at 11–12 µs (not HOT: next_run_at is indexed; the validation trigger ≈ 2 µs of it).
--
-- The validation trigger guards schedule_cron and schedule_timezone and stamps updated_at. The
-- scheduler's UPDATE changes neither and stamps updated_at itself, so the trigger is skipped for
-- it by a WHEN condition: it still fires for every update that changes the schedule or leaves
-- updated_at alone (every other writer), with the same effect as before.

drop trigger if exists organization_integrations_validate on public.organization_integrations;
drop trigger if exists organization_integrations_validate_update on public.organization_integrations;
create trigger organization_integrations_validate
  before insert on public.organization_integrations
  for each row execute function sync_engine.validate_integration();
create trigger organization_integrations_validate_update
  before update on public.organization_integrations
  for each row
  when (new.updated_at is not distinct from old.updated_at
        or new.schedule_cron is distinct from old.schedule_cron
        or new.schedule_timezone is distinct from old.schedule_timezone)
  execute function sync_engine.validate_integration();

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
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('sync:' || x.org_id::text || ':' || x.integration_type, 0))
  from unnest(v_orgs, v_types, v_periods) as x (org_id, integration_type, period)
  where x.period is not null;

  -- The common case in one statement. No run for the period yet and no active run are left to
  -- ON CONFLICT DO NOTHING (it probes idempotency_key and the one-active index anyway); a row it
  -- skips goes through enqueue_run below, which tells duplicate from overlap.
  with ins as (
    insert into public.sync_run_log as r (org_id, integration_id, integration_type, status, triggered_by,
      scheduled_for, idempotency_key, max_attempts)
    select x.org_id, x.id, x.integration_type, 'pending', 'scheduled', x.period,
      x.id::text || ':' || to_char(x.period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), x.max_attempts
    from unnest(v_ids, v_orgs, v_types, v_max, v_periods) as x (id, org_id, integration_type, max_attempts, period)
    where x.period is not null
    on conflict do nothing
    returning r.integration_id, r.id
  )
  select coalesce(array_agg(ins.integration_id), '{}'), coalesce(array_agg(ins.id), '{}') into v_done, v_runs from ins;

  -- One NOTIFY per batch wakes every listening worker; a post per run only where a dispatch URL
  -- is configured (as in schedule_due_periods).
  if cardinality(v_runs) > 0 then
    perform pg_catalog.pg_notify('sync_engine_wakeup', '');
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
      p_idempotency_key => v_rec.id::text || ':' || to_char(v_rec.period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) e;
    return next;
  end loop;

  -- updated_at stamped here skips the validation trigger (see the top of this file).
  update public.organization_integrations i set next_run_at = x.next_at, updated_at = now()
  from unnest(v_ids, v_next) as x (id, next_at)
  where i.id = x.id;
end;
$$;
comment on function sync_engine.schedule_due_plans(timestamptz, integer, text[], text[], timestamptz[], timestamptz[], timestamptz[]) is
  'Scheduler step from plans: locks up to p_limit due integrations whose (cron, zone, next_run_at) has a plan without missed periods, enqueues each period (set-based; duplicates and overlaps through enqueue_run), moves next_run_at. Returns one row per locked integration.';

revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
