-- Superseded: sync_engine.schedule_due_plan_ids → 20261130180000_schedule_groups.sql (live: supabase/schema.sql)
-- The scheduler's bulk path (sync_engine.schedule_due_plans) made cheaper per row; issue 15's goal
-- "100,000 due at once → all enqueued in ≤ 2 s while 4 workers drain" (docs/benchmarks.md §5,
-- docs/scaling.md §3). Measured per row as backend CPU time (/proc/<pid>/schedstat, batches of
-- 500, before and after at the same load; figures in docs/benchmarks.md "Issue 15, scheduler,
-- 2026-11-30"):
--
-- * 20261130090000_sql_single_sources made the bulk insert call sync_engine.period_key and
--   sync_engine.run_lock_key once per row. A SQL function with `set search_path` is never inlined
--   and every call saves and restores the setting: ≈ 10 µs a call at load 10 (200,000 calls of
--   period_key: 2.63 s against 0.72 s for the expression written out). Part of the ≈ 1.8×
--   regression since 2026-11-29 (4.25 s → 7.70 s on a quiet machine): schedule_due_plans cost
--   51.8 µs a row as of 2026-11-29 and 65.3 on main at the same load (the rest: the health-due
--   index 20261130100100 added to the non-HOT next_run_at UPDATE, ≈ 3 µs). The formats stay in
--   one place: sync_engine.period_keys / sync_engine.run_lock_keys take arrays (one call per
--   batch) and the scalar functions are now defined through them, so the text and the lock key
--   cannot drift apart. Same values as before: no period that ran can run again, and workers of
--   the previous release still exclude this one during a rolling deploy.
-- * next_run_at was moved with `array_position(v_ids, i.id)` per row: a linear search of the
--   batch for each of its rows (125,000 uuid comparisons per batch of 500). Now joined by
--   position from unnest, the rows found by primary key (`id = any`), as 20261130150000 wanted.
-- * Every batch found its rows by walking organization_integrations_due_idx from its start, and
--   the entries of the rows earlier batches had moved are still there (the old row versions,
--   which no index scan may mark dead while the workers' transactions hold older snapshots): batch
--   k read k × 500 stale entries and their heap tuples, ≈ 10 million for 100,000 due (with one
--   other snapshot open, per row: 69.0 µs at 50,000 due, 82.2 at 100,000; after this file 61.7
--   and 61.6, flat in N). The tick now reads the due ids once (one range scan) and hands each batch its ids:
--   sync_engine.schedule_due_plan_ids locks them by primary key. schedule_due_plans (a limit,
--   no ids) stays for workers of the previous release during a rolling deploy; it picks its ids
--   the old way and calls the new function.
-- * The batch commits asynchronously (synchronous_commit off for this transaction only). Safe
--   here: the runs and the next_run_at advance are one transaction, so a crash that loses it
--   loses both and the next tick enqueues the same periods again (same idempotency keys); a run a
--   worker has seen was made durable by that worker's own synchronous commit, which flushes the
--   write-ahead log up to and past this commit record. Saves the WAL flush wait (≈ 8 ms a batch
--   at load 12) that every one of the tick's batches paid in turn.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create function sync_engine.period_keys(p_integration_ids uuid[], p_periods timestamptz[]) returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select coalesce(pg_catalog.array_agg(x.id::text || ':'
    || pg_catalog.to_char(x.period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') order by x.n), '{}')
  from unnest(p_integration_ids, p_periods) with ordinality as x (id, period, n)
$$;
comment on function sync_engine.period_keys(uuid[], timestamptz[]) is
  'Idempotency keys of scheduled periods, element by element (the one definition of the format; period_key calls it): <integration id>:<nominal period start, ISO UTC, ms>.';

-- Immutable although to_char is only stable: the pattern has no locale- or zone-dependent fields
-- (the timestamp is converted to UTC first). Same text as 20261130090000's definition.
create or replace function sync_engine.period_key(p_integration_id uuid, p_period timestamptz) returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select (sync_engine.period_keys(array[p_integration_id], array[p_period]))[1]
$$;

create function sync_engine.run_lock_keys(p_org_ids uuid[], p_integration_types text[]) returns bigint[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select coalesce(pg_catalog.array_agg(pg_catalog.hashtextextended('sync:' || x.org_id::text || ':' || x.integration_type, 0)
    order by x.n), '{}')
  from unnest(p_org_ids, p_integration_types) with ordinality as x (org_id, integration_type, n)
$$;
comment on function sync_engine.run_lock_keys(uuid[], text[]) is
  'Advisory lock keys that serialize enqueues per (org, integration type), element by element (the one definition; run_lock_key calls it).';

create or replace function sync_engine.run_lock_key(p_org_id uuid, p_integration_type text) returns bigint
language sql
immutable
parallel safe
set search_path = ''
as $$
  select (sync_engine.run_lock_keys(array[p_org_id], array[p_integration_type]))[1]
$$;

-- The bulk step of a scheduler tick for the given due integrations (at most one batch; the caller
-- read their ids from organization_integrations_due_idx once). From 20261130150000's
-- schedule_due_plans: same rows locked, same runs, same outcomes; a row that is locked elsewhere,
-- or no longer due on one of these plans, is not taken (the next tick sees it again).
create function sync_engine.schedule_due_plan_ids(
  p_now timestamptz,
  p_ids uuid[],
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
  -- See the top of 20261130170000_scheduler_hot_path.sql for why this is safe.
  perform pg_catalog.set_config('synchronous_commit', 'off', true);

  -- These due rows whose (cron, zone, next_run_at at ms) is one of the caller's plans, by primary
  -- key (never a walk of the due index: see the top of this file), locked FOR NO
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
    where i.id = any (p_ids)
      and i.enabled and i.schedule_cron is not null
      and coalesce(i.next_run_at, '-infinity'::timestamptz) <= p_now
    for no key update of i skip locked
  ) d;
  if cardinality(v_ids) = 0 then
    return;
  end if;

  -- enqueue_run's per-(org, type) advisory lock, for every integration with a period to run. A
  -- manual trigger holding one commits first; the next statement's snapshot then sees its run.
  -- The keys of the whole batch in one call (see the top of this file).
  perform pg_catalog.pg_advisory_xact_lock(x.k)
  from unnest(sync_engine.run_lock_keys(v_orgs, v_types), v_periods) as x (k, period)
  where x.period is not null;

  -- The common case in one statement. No run for the period yet and no active run are left to
  -- ON CONFLICT DO NOTHING (it probes idempotency_key and the one-active index anyway); a row it
  -- skips goes through enqueue_run below, which tells duplicate from overlap.
  with ins as (
    insert into public.sync_run_log as r (org_id, integration_id, integration_type, status, triggered_by,
      scheduled_for, idempotency_key, max_attempts)
    select x.org_id, x.id, x.integration_type, 'pending', 'scheduled', x.period, x.key, x.max_attempts
    from unnest(v_ids, v_orgs, v_types, v_max, v_periods, sync_engine.period_keys(v_ids, v_periods))
      as x (id, org_id, integration_type, max_attempts, period, key)
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

  -- updated_at stamped here skips the validation trigger (20261129110000). The rows by primary key
  -- (`id = any`: `from unnest(…) where i.id = x.id` alone was planned as a hash join over every
  -- integration, 20261130150000), each one's value from the unnest by id.
  update public.organization_integrations i
  set next_run_at = x.next_at, updated_at = now()
  from unnest(v_ids, v_next) as x (id, next_at)
  where i.id = any (v_ids) and i.id = x.id;
end;
$$;

comment on function sync_engine.schedule_due_plan_ids(timestamptz, uuid[], text[], text[], timestamptz[], timestamptz[], timestamptz[]) is
  'Scheduler bulk step for the given due integrations: locks those matching a plan (skip locked), enqueues their periods, advances next_run_at; one row per locked integration.';

-- For workers of the previous release during a rolling deploy (they call this with a limit): up
-- to p_limit due ids of these plans, then the function above. Latest before: 20261130150000.
create or replace function sync_engine.schedule_due_plans(
  p_now timestamptz,
  p_limit integer,
  p_crons text[],
  p_zones text[],
  p_expected_next_run_at timestamptz[],
  p_run_periods timestamptz[],
  p_new_next_run_at timestamptz[]
) returns table (integration_id uuid, org_id uuid, integration_type text, run_id uuid, outcome text)
language sql
set search_path = ''
as $$
  select s.* from sync_engine.schedule_due_plan_ids(p_now, array(
    select i.id
    from public.organization_integrations i
    join unnest(p_crons, p_zones, p_expected_next_run_at) as p (cron, zone, expected)
      on p.cron = i.schedule_cron and p.zone = i.schedule_timezone
     and coalesce(p.expected, '-infinity') = coalesce(pg_catalog.date_trunc('milliseconds', i.next_run_at), '-infinity')
    where i.enabled and i.schedule_cron is not null
      and coalesce(i.next_run_at, '-infinity'::timestamptz) <= p_now
    limit greatest(p_limit, 0)
  ), p_crons, p_zones, p_expected_next_run_at, p_run_periods, p_new_next_run_at) s
$$;

revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
