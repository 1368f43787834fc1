-- Schedule groups: a large due backlog is queued as a few rows and turned into runs by the
-- workers' claims (docs/architecture.md §5.3, docs/scaling.md §3). Issue 15's goal: 100,000
-- integrations due at the same instant, all enqueued in ≤ 2 s while 4 workers drain, on 2 cores.
--
-- Why: writing one run row per due integration at the due instant costs ≈ 62 µs of backend CPU a
-- row under load (heap + 6 index entries + 2 foreign-key checks for the run, a non-HOT UPDATE of
-- next_run_at; profile in docs/benchmarks.md). The tick got ≈ 0.6 of the 2 cores against 4
-- draining workers, so 100,000 took 6.6–7.3 s on a quiet machine, and the floor without foreign
-- keys or history indexes was still ≈ 1.9 s: no design that writes every run at the due instant
-- reaches 2 s here. And the workers cannot start more than ≈ 4,000 runs/s anyway, so rows
-- written ahead of them only wait (and take CPU from the workers that would run them).
--
-- So the tick writes its first batch of runs itself (as before: a few hundred due are pending
-- rows at once, as users see them today) and queues the rest as groups of integration ids with
-- their plan (the period to run, the next_run_at to set). A claim that finds fewer due runs than
-- it asked for takes one group (FOR UPDATE SKIP LOCKED, so N workers take different groups),
-- deletes it and applies it with sync_engine.schedule_due_plan_ids, the one function that turns
-- due integrations into runs, in the claim's own transaction: same locks, same stale-plan check,
-- same idempotency keys, same overlap and duplicate outcomes. Then it claims again.
--
-- What changes for a reader of sync_run_log: a queued scheduled period becomes a row (pending,
-- then running within the same claim) when a worker has room for it, not at the due instant; its
-- triggered_at says when. drift_ms (first start − scheduled_for) is unchanged in meaning.
-- next_run_at of a queued integration stays at the due period until its group is applied, so a
-- tick in between does not plan it again: it skips every plan (cron, zone, next_run_at) that
-- still has a group. A manual trigger meanwhile runs at once; the queued period is then recorded
-- skipped (overlap) when its group is applied, exactly as if it had come due during that run.
-- Nothing is lost: a group is deleted only in the transaction that applies it, and an
-- integration a group missed (locked by a concurrent trigger, say) is still due and is planned
-- again by the next tick once its plan has no group left.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table sync_engine.schedule_groups (
  id bigint generated always as identity primary key,
  created_at timestamptz not null default now(),
  -- The plan, as the tick computed it (croner in TypeScript, DST-correct): for due integrations
  -- with this cron, zone and next_run_at (at ms; null for a new schedule never appears here).
  schedule_cron text not null,
  schedule_timezone text not null,
  expected_next_run_at timestamptz not null,
  run_period timestamptz not null,
  new_next_run_at timestamptz not null,
  -- The tick's batch size (500 by default): one group is what a claim applies at once, ≈ 30 ms
  -- at 62 µs a run. Groups of 100 made the workers drain 100,000 at 2,400 runs/s instead of
  -- 4,000 (a claim transaction and its commit flush per 100 runs). No foreign key: a deleted
  -- integration is simply not found when applied.
  integration_ids uuid[] not null check (pg_catalog.cardinality(integration_ids) between 1 and 10000)
);
-- The tick's "does this plan still have a group?" (one probe per distinct plan per tick).
create index schedule_groups_plan_idx
  on sync_engine.schedule_groups (schedule_cron, schedule_timezone, expected_next_run_at);
revoke all on table sync_engine.schedule_groups from public;
grant all on table sync_engine.schedule_groups to service_role;
comment on table sync_engine.schedule_groups is
  'Due scheduled periods queued by the scheduler tick beyond its first batch; claim_runs applies one group at a time (schedule_due_plan_ids) when it has room. Rows live seconds to minutes.';

-- From 20261130170000_scheduler_hot_path (latest), unchanged but for one filter on the bulk insert
-- (see there): now that workers' claims call it, it must not wait on the runs they are changing.
create or replace function sync_engine.schedule_due_plan_ids(
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
      -- An integration with an active run goes to enqueue_run (overlap), never into this insert:
      -- the insert's check of the one-active index would wait for a transaction that is changing
      -- that run (a heartbeat, a completion) while this one holds up to a batch of integration
      -- row and advisory locks, so any lock wait of the other side can close a deadlock (one of
      -- the two aborted). Now that claims apply groups, that other side is a worker's own
      -- statement. enqueue_run reads the active run first and inserts a skipped row, which the
      -- one-active index does not hold.
      and not exists (select from public.sync_run_log r
                      where r.org_id = x.org_id and r.integration_type = x.integration_type
                        and r.status in ('pending', 'running'))
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


-- Queues due integrations as groups. p_ids are due integration ids, p_plans the 1-based index of
-- each one''s plan in the plan arrays (the tick read them with the plans). A plan that already has
-- a group (another tick queued it first) is left out: one tick at a time queues (advisory lock),
-- so two workers ticking at the same instant do not queue the same period twice. Returns the
-- groups and integrations queued.
create function sync_engine.queue_schedule_groups(
  p_ids uuid[],
  p_plans integer[],
  p_crons text[],
  p_zones text[],
  p_expected_next_run_at timestamptz[],
  p_run_periods timestamptz[],
  p_new_next_run_at timestamptz[],
  p_group_size integer default 500
) returns table (groups integer, integrations integer)
language plpgsql
set search_path = ''
as $$
declare
  v_size integer := least(greatest(coalesce(p_group_size, 500), 1), 10000);
  v_groups bigint[];
  v_count integer;
begin
  if pg_catalog.cardinality(p_ids) is distinct from pg_catalog.cardinality(p_plans) then
    raise exception 'p_ids and p_plans differ in length' using errcode = '22023';
  end if;
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('sync:schedule_groups', 0));
  -- Safe for the same reason as the scheduler's batches (20261130170000): a group lost in a crash
  -- leaves its integrations due, and the next tick queues them again.
  perform pg_catalog.set_config('synchronous_commit', 'off', true);

  -- The plans still to queue, judged once per plan (not per integration): a period to run, a
  -- known next_run_at, and no group yet.
  with open_plans as (
    select p.n
    from unnest(p_crons, p_zones, p_expected_next_run_at, p_run_periods)
      with ordinality as p (cron, zone, expected, period, n)
    where p.period is not null and p.expected is not null
      and not exists (
        select from sync_engine.schedule_groups g
        where g.schedule_cron = p.cron and g.schedule_timezone = p.zone
          and g.expected_next_run_at = p.expected)
  ), x as (
    select x.id, x.plan, x.ord,
           (pg_catalog.row_number() over (partition by x.plan order by x.ord) - 1) / v_size as chunk
    from unnest(p_ids, p_plans) with ordinality as x (id, plan, ord)
    where x.id is not null and x.plan in (select o.n from open_plans o)
  ), ins as (
    insert into sync_engine.schedule_groups (schedule_cron, schedule_timezone, expected_next_run_at,
      run_period, new_next_run_at, integration_ids)
    select p_crons[x.plan], p_zones[x.plan], p_expected_next_run_at[x.plan], p_run_periods[x.plan],
           p_new_next_run_at[x.plan], pg_catalog.array_agg(x.id order by x.ord)
    from x
    group by x.plan, x.chunk
    returning id, pg_catalog.cardinality(integration_ids) as n
  )
  select coalesce(pg_catalog.array_agg(ins.id), '{}'), coalesce(sum(ins.n), 0)::integer
    into v_groups, v_count
  from ins;

  if pg_catalog.cardinality(v_groups) > 0 then
    perform sync_engine.wake_workers('');
    -- Serverless: one dispatch per group (not per run), each worker invocation claims and so
    -- applies groups until none is left.
    if exists (select from sync_engine.settings s where s.key = 'dispatch_url') then
      perform sync_engine.post_to_worker(pg_catalog.jsonb_build_object('schedule_group', g))
      from unnest(v_groups) as g;
    end if;
  end if;
  groups := pg_catalog.cardinality(v_groups);
  integrations := v_count;
  return next;
end;
$$;
comment on function sync_engine.queue_schedule_groups(uuid[], integer[], text[], text[], timestamptz[], timestamptz[], timestamptz[], integer) is
  'Scheduler tick: queues due integrations beyond its first batch as schedule groups (plans that already have one are left out); claim_runs applies them.';

-- Applies the oldest group no other transaction holds: deletes it and turns its integrations into
-- runs with schedule_due_plan_ids, in the caller's transaction. Returns the runs enqueued, or null
-- when there was no group to take. A group that fails on one integration's data is applied one
-- integration at a time and the one that fails is parked (schedule_unprocessable, as the tick's
-- own isolation does), so one broken row never stops the others.
create function sync_engine.apply_schedule_group() returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_group sync_engine.schedule_groups%rowtype;
  -- schedule_due_plan_ids turns synchronous_commit off for its (tick) transaction; a claim's
  -- commit must stay synchronous (a worker only executes a run whose claim is durable), so the
  -- caller's setting is put back.
  v_sync text := pg_catalog.current_setting('synchronous_commit');
  v_count integer := 0;
  v_id uuid;
  v_error text;
  v_state text;
begin
  -- At most 2 groups are applied at once, whichever workers ask: more appliers contend for the
  -- same index pages and WAL and burn CPU the workers need (4 tick batches at once cost 4× the
  -- CPU of 2 for 10 % less wall time, docs/benchmarks.md). A claim that finds both slots taken
  -- claims what is pending and is woken by the appliers' NOTIFY for the rest.
  if not (pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended('sync:apply_schedule_group:1', 0))
          or pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended('sync:apply_schedule_group:2', 0))) then
    return null;
  end if;
  delete from sync_engine.schedule_groups g
  where g.id = (select x.id from sync_engine.schedule_groups x order by x.id limit 1 for update skip locked)
  returning g.* into v_group;
  if v_group.id is null then
    return null;
  end if;
  begin
    select count(s.run_id)::integer into v_count
    from sync_engine.schedule_due_plan_ids(now(), v_group.integration_ids,
      array[v_group.schedule_cron], array[v_group.schedule_timezone], array[v_group.expected_next_run_at],
      array[v_group.run_period], array[v_group.new_next_run_at]) s
    where s.outcome = 'enqueued';
  exception when others then
    if not sync_engine.is_row_error(sqlstate) then
      raise;
    end if;
    v_count := 0;
    foreach v_id in array v_group.integration_ids loop
      begin
        v_count := v_count + (
          select count(s.run_id)::integer
          from sync_engine.schedule_due_plan_ids(now(), array[v_id],
            array[v_group.schedule_cron], array[v_group.schedule_timezone], array[v_group.expected_next_run_at],
            array[v_group.run_period], array[v_group.new_next_run_at]) s
          where s.outcome = 'enqueued');
      exception when others then
        if not sync_engine.is_row_error(sqlstate) then
          raise;
        end if;
        get stacked diagnostics v_error = message_text, v_state = returned_sqlstate;
        perform sync_engine.park_integration(v_id, 'schedule_unprocessable',
          pg_catalog.format('The scheduler could not step this integration: %s (SQLSTATE %s)', v_error, v_state));
      end;
    end loop;
  end;
  perform pg_catalog.set_config('synchronous_commit', v_sync, true);
  return v_count;
end;
$$;
comment on function sync_engine.apply_schedule_group() is
  'Takes the oldest free schedule group, deletes it and enqueues its periods (schedule_due_plan_ids), parking an integration that cannot be stepped; null when no group was free.';

-- From 20261130100000_bounded_numbers (latest), unchanged but for one thing: when the due runs
-- are fewer than p_limit, it applies schedule groups (at most 4 a call; one group of 500 fills
-- any claim the workers make) and claims again. A call that finds no group costs one index probe of an empty
-- table (the throughput benchmark's case).
create or replace function sync_engine.claim_runs(
  p_worker_id text,
  p_limit integer default 1,
  p_lease_seconds integer default 60
) returns setof public.sync_run_log
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_limit integer := greatest(coalesce(p_limit, 0), 0);
  v_lease interval := sync_engine.bounded_interval(p_lease_seconds);
  v_ids uuid[] := '{}';
  v_batch uuid[];
  v_want integer;
  v_id uuid;
  v_error text;
  v_groups integer := 0;
  v_applied integer;
begin
  loop
    v_want := v_limit - pg_catalog.cardinality(v_ids);
    begin
      with due as (
        select r.id
        from public.sync_run_log r
        where r.status = 'pending' and r.run_after <= now()
        order by r.run_after, r.triggered_at
        limit v_want
        for update skip locked
      ), claimed as (
        update public.sync_run_log r set
          status = 'running',
          attempt = least(r.attempt, 2147483646) + 1,
          worker_id = p_worker_id,
          started_at = coalesce(r.started_at, now()),
          drift_ms = case
            when r.started_at is null and r.scheduled_for is not null
              then sync_engine.ms_between(r.scheduled_for, now())
            else r.drift_ms end,
          heartbeat_at = now(),
          lease_expires_at = now() + v_lease
        from due
        where r.id = due.id
        returning r.id
      )
      select coalesce(array_agg(c.id), '{}') into v_batch from claimed c;
    exception when others then
      -- One row made the batch fail: claim row by row, park what still fails.
      v_batch := '{}';
      for v_id in
        select r.id from public.sync_run_log r
        where r.status = 'pending' and r.run_after <= now()
        order by r.run_after, r.triggered_at
        limit v_want
        for update skip locked
      loop
        begin
          update public.sync_run_log r set
            status = 'running',
            attempt = least(r.attempt, 2147483646) + 1,
            worker_id = p_worker_id,
            started_at = coalesce(r.started_at, now()),
            drift_ms = case
              when r.started_at is null and r.scheduled_for is not null
                then sync_engine.ms_between(r.scheduled_for, now())
              else r.drift_ms end,
            heartbeat_at = now(),
            lease_expires_at = now() + v_lease
          where r.id = v_id;
          v_batch := v_batch || v_id;
        exception when others then
          if not sync_engine.is_row_error(sqlstate) then
            raise;
          end if;
          get stacked diagnostics v_error = message_text;
          perform sync_engine.park_run_safely(v_id, 'claim', sqlstate, v_error);
        end;
      end loop;
    end;
    v_ids := v_ids || v_batch;
    exit when pg_catalog.cardinality(v_ids) >= v_limit or v_groups >= 4
      or not exists (select from sync_engine.schedule_groups);
    -- A group that cannot be applied for a reason other than one row's data (which
    -- apply_schedule_group parks) must not stop the claim of runs already due: the error is
    -- reported as a warning, the group stays (rolled back) for the next claim to try.
    begin
      v_applied := sync_engine.apply_schedule_group();
    exception when others then
      if sqlstate = '57014' then
        raise;
      end if;
      raise warning 'sync_engine.claim_runs: a schedule group could not be applied: % (SQLSTATE %)', sqlerrm, sqlstate;
      v_applied := null;
    end;
    exit when v_applied is null;
    v_groups := v_groups + 1;
  end loop;
  return query
    select r.* from public.sync_run_log r where r.id = any (v_ids)
    order by r.run_after, r.triggered_at;
end;
$$;

revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
