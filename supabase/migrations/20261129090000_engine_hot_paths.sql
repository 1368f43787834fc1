-- Superseded: sync_engine.claim_runs → 20261130180000_schedule_groups.sql; sync_engine.complete_runs → 20261130100000_bounded_numbers.sql; sync_engine.schedule_due_periods → 20261130090000_sql_single_sources.sql (live: supabase/schema.sql)
-- Hot paths the benchmark suite (bench/, docs/benchmarks.md) found slow on PostgreSQL 15,
-- each with the figure that made the change (2 shared cores, fsync on):
--
-- 1. Claim order index. claim_runs orders by (run_after, triggered_at), but the index held only
--    run_after: rows enqueued by one transaction share both values (a scheduler batch, a bulk
--    enqueue), so every claim sorted the whole backlog. With 20,000 pending runs one claim took
--    12.8 ms (seq scan + sort); with the index matching the ORDER BY it takes 0.07 ms.
-- 2. claim_runs and complete_runs in PL/pgSQL. SQL-language functions with a SET clause are not
--    inlined, and before PostgreSQL 18 their statements are planned again at every call;
--    PL/pgSQL caches the plan per session. An empty claim went from 0.49 to 0.24 ms per call.
-- 3. Due-integration index for the scheduler's batch select (it scanned the whole table per
--    batch: 100,000 integrations = 200 batches × a full scan).
-- 4. sync_engine.schedule_due_periods: the scheduler's step for many integrations at once
--    (the common case: no missed periods). One call per batch of 500 instead of one round trip
--    per integration; the new pending runs are inserted by one statement. Anything unusual
--    (the period already has a run, an active run overlaps, a lost race) goes through
--    enqueue_run row by row, so those rules keep one implementation.

-- 1. -------------------------------------------------------------------------------------------
create index if not exists sync_run_log_claim_order_idx
  on public.sync_run_log (run_after, triggered_at) where status = 'pending';
drop index if exists public.sync_run_log_claim_idx;

-- 2. -------------------------------------------------------------------------------------------
create or replace function sync_engine.claim_runs(
  p_worker_id text,
  p_limit integer default 1,
  p_lease_seconds integer default 60
) returns setof public.sync_run_log
language plpgsql
volatile
set search_path = ''
as $$
begin
  return query
  with due as (
    select r.id
    from public.sync_run_log r
    where r.status = 'pending' and r.run_after <= now()
    order by r.run_after, r.triggered_at
    limit greatest(p_limit, 0)
    for update skip locked
  )
  update public.sync_run_log r set
    status = 'running',
    attempt = r.attempt + 1,
    worker_id = p_worker_id,
    started_at = coalesce(r.started_at, now()),
    drift_ms = case
      when r.started_at is null and r.scheduled_for is not null
        then (extract(epoch from (now() - r.scheduled_for)) * 1000)::integer
      else r.drift_ms end,
    heartbeat_at = now(),
    lease_expires_at = now() + make_interval(secs => p_lease_seconds)
  from due
  where r.id = due.id
  returning r.*;
end;
$$;

create or replace function sync_engine.complete_runs(
  p_worker_id text,
  p_run_ids uuid[],
  p_attempts integer[],
  p_records_exported integer[] default null
) returns setof uuid
language plpgsql
volatile
set search_path = ''
as $$
begin
  return query
  update public.sync_run_log r set
    status = 'succeeded',
    finished_at = now(),
    lease_expires_at = null,
    records_exported = coalesce(x.records, r.records_exported),
    error_code = null,
    error_message = null
  from unnest(p_run_ids, p_attempts, coalesce(p_records_exported, array[]::integer[]))
    as x (id, attempt, records)
  where r.id = x.id and r.attempt = x.attempt and r.worker_id = p_worker_id and r.status = 'running'
  returning r.id;
end;
$$;

-- 3. -------------------------------------------------------------------------------------------
-- Never-scheduled rows (next_run_at null) sort first as -infinity, so "due" is one range scan.
create index if not exists organization_integrations_due_idx
  on public.organization_integrations ((coalesce(next_run_at, '-infinity'::timestamptz)))
  where enabled and schedule_cron is not null;

-- 4. -------------------------------------------------------------------------------------------
create function sync_engine.schedule_due_periods(
  p_integration_ids uuid[],
  p_expected_next_run_at timestamptz[],
  p_run_periods timestamptz[],
  p_new_next_run_at timestamptz[]
) returns table (integration_id uuid, run_id uuid, outcome text)
language plpgsql
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_periods timestamptz[];
  v_next timestamptz[];
  v_done uuid[];
  v_runs uuid[];
  v_rec record;
begin
  -- Same lock and stale-read rules as schedule_periods: rows still holding the next_run_at the
  -- caller planned from (compared at ms: the caller's driver has ms Dates), FOR NO KEY UPDATE.
  select coalesce(array_agg(i.id order by i.id), '{}'), array_agg(x.period order by i.id),
         array_agg(x.next_at order by i.id)
    into v_ids, v_periods, v_next
  from unnest(p_integration_ids, p_expected_next_run_at, p_run_periods, p_new_next_run_at)
    as x (id, expected, period, next_at)
  join public.organization_integrations i on i.id = x.id
  where date_trunc('milliseconds', i.next_run_at) is not distinct from date_trunc('milliseconds', x.expected);
  if cardinality(v_ids) = 0 then
    return;
  end if;
  perform 1 from public.organization_integrations i where i.id = any (v_ids) order by i.id for no key update;

  -- enqueue_run's per-(org, type) advisory lock, for every integration with a period to run. A
  -- manual trigger holding one commits first; the next statement's snapshot then sees its run.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('sync:' || i.org_id::text || ':' || i.integration_type, 0))
  from unnest(v_ids, v_periods) as x (id, period)
  join public.organization_integrations i on i.id = x.id
  where x.period is not null;

  -- The common case in one statement: no run for the period yet, no active run.
  with ins as (
    insert into public.sync_run_log as r (org_id, integration_id, integration_type, status, triggered_by,
      scheduled_for, idempotency_key, max_attempts)
    select i.org_id, i.id, i.integration_type, 'pending', 'scheduled', x.period,
      i.id::text || ':' || to_char(x.period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), i.max_attempts
    from unnest(v_ids, v_periods) as x (id, period)
    join public.organization_integrations i on i.id = x.id
    where x.period is not null
      and not exists (select from public.sync_run_log k
                      where k.idempotency_key = i.id::text || ':' || to_char(x.period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      and not exists (select from public.sync_run_log a
                      where a.org_id = i.org_id and a.integration_type = i.integration_type
                        and a.status in ('pending', 'running'))
    on conflict do nothing
    returning r.integration_id, r.id
  )
  select coalesce(array_agg(ins.integration_id), '{}'), coalesce(array_agg(ins.id), '{}') into v_done, v_runs from ins;

  -- dispatch_run's two halves, per batch: one NOTIFY wakes every listening worker (they ignore
  -- the payload; 500 per-run notifies cost ≈ 2 ms of the batch and 500 wake-ups per worker), and
  -- only where a dispatch URL is configured one post per run to the worker function.
  if cardinality(v_runs) > 0 then
    perform pg_catalog.pg_notify('sync_engine_wakeup', '');
    if exists (select from sync_engine.settings s where s.key = 'dispatch_url') then
      perform sync_engine.post_to_worker(pg_catalog.jsonb_build_object('run_id', d.id)) from unnest(v_runs) as d (id);
    end if;
  end if;
  return query select d.integration_id, d.run_id, 'enqueued'::text
    from unnest(v_done, v_runs) as d (integration_id, run_id);

  -- Everything else (duplicate period, overlap → skipped, a lost race) through the one entry point.
  for v_rec in
    select x.id, x.period from unnest(v_ids, v_periods) as x (id, period)
    left join unnest(v_done) as d (id) on d.id = x.id
    where x.period is not null and d.id is null
  loop
    integration_id := v_rec.id;
    select e.run_id, e.outcome into run_id, outcome
    from sync_engine.enqueue_run(v_rec.id, 'scheduled', p_scheduled_for => v_rec.period,
      p_idempotency_key => v_rec.id::text || ':' || to_char(v_rec.period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) e;
    return next;
  end loop;

  update public.organization_integrations i set next_run_at = x.next_at
  from unnest(v_ids, v_next) as x (id, next_at)
  where i.id = x.id;
end;
$$;
comment on function sync_engine.schedule_due_periods(uuid[], timestamptz[], timestamptz[], timestamptz[]) is
  'Scheduler step for many integrations without missed periods: enqueues each period (set-based), routes duplicates/overlaps through enqueue_run, moves next_run_at. Stale rows are left alone.';

revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
