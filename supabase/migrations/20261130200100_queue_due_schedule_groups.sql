-- The scheduler tick queues its schedule groups in the database, in one statement that reads the
-- due integrations once, instead of reading every due id into the worker and sending them back.
--
-- Why: with 100,000 integrations due at once (the scheduler benchmark, 2 cores) the tick spent
-- 34 ms reading the plans' keys, 174 ms reading the 100,000 due ids (and their plan numbers)
-- into JavaScript, 285 ms sending 99,500 of them back to sync_engine.queue_schedule_groups
-- (arrays as text: ≈ 3.7 MB each way, built, parsed and unnested) and 76 ms on its first batch.
-- The workers, which take their runs from the groups, had nothing to claim until the groups
-- committed, ≈ 0.5 s after the tick began: most of the drift beyond the drain bound that section 5
-- reports (0.3–1.0 s). This function does the due read, the split and the insert in one statement
-- and returns only the integrations the tick steps itself.
--
-- What the tick steps, exactly as before (src/engine/schedule/scheduler.ts): the first p_first due
-- integrations in id order, whatever their plan, and every due integration whose plan cannot be
-- queued (no period to run: a new schedule; or no known next_run_at). Everything else is queued in
-- groups of p_group_size per plan, in id order. A plan that still has a group is left out entirely
-- (its integrations are queued already), under the same advisory lock as queue_schedule_groups,
-- which stays for workers of the previous release during a rolling deploy.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create function sync_engine.queue_due_schedule_groups(
  p_now timestamptz,
  p_crons text[],
  p_zones text[],
  p_expected_next_run_at timestamptz[],
  p_run_periods timestamptz[],
  p_new_next_run_at timestamptz[],
  p_first integer,
  p_group_size integer default 500
) returns table (step_ids uuid[], groups integer, integrations integer)
language plpgsql
set search_path = ''
as $$
declare
  v_size integer := least(greatest(coalesce(p_group_size, 500), 1), 10000);
  v_first integer := greatest(coalesce(p_first, 0), 0);
  v_groups bigint[];
begin
  if pg_catalog.cardinality(p_crons) is distinct from pg_catalog.cardinality(p_zones)
     or pg_catalog.cardinality(p_crons) is distinct from pg_catalog.cardinality(p_expected_next_run_at)
     or pg_catalog.cardinality(p_crons) is distinct from pg_catalog.cardinality(p_run_periods)
     or pg_catalog.cardinality(p_crons) is distinct from pg_catalog.cardinality(p_new_next_run_at) then
    raise exception 'the plan arrays differ in length' using errcode = '22023';
  end if;
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('sync:schedule_groups', 0));
  -- Safe for the same reason as the scheduler's batches (20261130170000): a group lost in a crash
  -- leaves its integrations due, and the next tick queues them again.
  perform pg_catalog.set_config('synchronous_commit', 'off', true);

  -- Due rows of the plans (the tick's own filter: the due index, one range scan), next_run_at
  -- compared at ms as the plans are; a plan with a group already is left out.
  with due as (
    select i.id, k.n::integer as plan,
           pg_catalog.row_number() over (order by i.id) as rn
    from public.organization_integrations i
    join unnest(p_crons, p_zones, p_expected_next_run_at) with ordinality as k (cron, zone, expected, n)
      on k.cron = i.schedule_cron and k.zone = i.schedule_timezone
     and coalesce(k.expected, '-infinity') = coalesce(date_trunc('milliseconds', i.next_run_at), '-infinity')
    where i.enabled and i.schedule_cron is not null
      and coalesce(i.next_run_at, '-infinity'::timestamptz) <= p_now
      and not exists (select from sync_engine.schedule_groups g
                      where g.schedule_cron = k.cron and g.schedule_timezone = k.zone
                        and g.expected_next_run_at = k.expected)
  ), split as (
    select d.id, d.plan, d.rn,
           d.rn <= v_first or p_run_periods[d.plan] is null or p_expected_next_run_at[d.plan] is null as stepped
    from due d
  ), queued as (
    select s.id, s.plan, s.rn,
           (pg_catalog.row_number() over (partition by s.plan order by s.rn) - 1) / v_size as chunk
    from split s
    where not s.stepped
  ), ins as (
    insert into sync_engine.schedule_groups (schedule_cron, schedule_timezone, expected_next_run_at,
      run_period, new_next_run_at, integration_ids)
    select p_crons[q.plan], p_zones[q.plan], p_expected_next_run_at[q.plan], p_run_periods[q.plan],
           p_new_next_run_at[q.plan], pg_catalog.array_agg(q.id order by q.rn)
    from queued q
    group by q.plan, q.chunk
    returning id, pg_catalog.cardinality(integration_ids) as n
  )
  select (select coalesce(pg_catalog.array_agg(s.id order by s.rn), '{}') from split s where s.stepped),
         (select coalesce(pg_catalog.array_agg(ins.id), '{}') from ins),
         (select coalesce(sum(ins.n), 0)::integer from ins)
    into step_ids, v_groups, integrations;

  if pg_catalog.cardinality(v_groups) > 0 then
    perform sync_engine.wake_workers('');
    -- Serverless: one dispatch per group (not per run), as queue_schedule_groups.
    if exists (select from sync_engine.settings s where s.key = 'dispatch_url') then
      perform sync_engine.post_to_worker(pg_catalog.jsonb_build_object('schedule_group', g))
      from unnest(v_groups) as g;
    end if;
  end if;

  -- One row: the integrations to step (in id order), the groups made and the integrations in them.
  groups := pg_catalog.cardinality(v_groups);
  return next;
end;
$$;
comment on function sync_engine.queue_due_schedule_groups(timestamptz, text[], text[], timestamptz[], timestamptz[], timestamptz[], integer, integer) is
  'Scheduler tick: reads the due integrations of the given plans once, queues all but the first p_first (and those of plans that cannot be queued) as schedule groups, and returns the ids the tick steps itself.';

revoke all on function sync_engine.queue_due_schedule_groups(timestamptz, text[], text[], timestamptz[], timestamptz[], timestamptz[], integer, integer) from public, anon, authenticated;
grant execute on function sync_engine.queue_due_schedule_groups(timestamptz, text[], text[], timestamptz[], timestamptz[], timestamptz[], integer, integer) to service_role;
