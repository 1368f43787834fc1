-- Superseded: sync_engine.bounded_seconds → 20261130150200_bounded_seconds_resolution.sql; sync_engine.claim_runs → 20261130180000_schedule_groups.sql (live: supabase/schema.sql)
-- No poison rows (docs/reliability.md, "Numbers that cannot overflow" and "One bad row").
--
-- 1. drift_ms becomes bigint. As integer it held at most 2^31 − 1 ms ≈ 24.86 days: a scheduled
--    run first claimed later than that (a project paused for a month) made the claim statement
--    fail with `integer out of range`; that run was the oldest due, so it was in every claim batch
--    and no run of any organization was claimed again.
-- 2. Every number the engine stores or computes gets a clamp that fits whatever the database can
--    hold (timestamps 4713 BC … 294276 AD and ±infinity, integers up to 2^31 − 1, any double
--    including NaN and ±Infinity):
--      sync_engine.ms_between       – milliseconds between two timestamps, saturated at ±(2^53 − 1)
--                                     (the largest integer JavaScript reads exactly);
--      sync_engine.bounded_seconds  – a duration in seconds: NaN, negative → 0; at most 10 years;
--      sync_engine.bounded_interval – the same as an interval, for leases, backoff, Retry-After;
--      sync_engine.jsonb_count      – a count kept in progress jsonb: non-numbers 0, [0, 2^31 − 1];
--      sync_engine.add_count        – integer + integer, saturated at 2^31 − 1.
--    10 years: now() + 10 years stays far inside timestamptz's range, and a Retry-After of days
--    or weeks is honoured exactly.
-- 3. Isolation. claim_runs, heartbeat_runs, complete_runs and reap_expired_leases try their set-based
--    statement first (one subtransaction, ≈ 10 µs); when it raises, they redo the batch one row at
--    a time, and a row that still raises is parked by sync_engine.park_run: status failed,
--    error_code run_unprocessable, a critical 'parked' alert. The rest of the batch goes through.
--    sync_engine.park_integration does the same for an integration the scheduler cannot step.

-- The type change rewrites sync_run_log and its indexes under an ACCESS EXCLUSIVE lock: this file
-- took 12.9 s at 1M runs on 2 shared cores (docs/benchmarks.md, "Volume"); plan the deploy for it. lock_timeout: queued behind a long transaction, the ALTER would
-- block every query on the table; failing after 5 s and retrying the deploy is the lesser harm.
set local lock_timeout = '5s';
set local statement_timeout = '15min';

-- squawk-ignore changing-column-type
alter table public.sync_run_log alter column drift_ms type bigint;

-- The wider check is added NOT VALID (no scan under this lock); 20261130100100 validates it in
-- its own transaction, under a lock that lets reads and writes go on.
alter table public.sync_alerts drop constraint if exists sync_alerts_kind_check;
alter table public.sync_alerts add constraint sync_alerts_kind_check
  check (kind in ('drift', 'health', 'missed', 'parked')) not valid;

-- ---------------------------------------------------------------------------------------------
-- Clamps
-- ---------------------------------------------------------------------------------------------
create function sync_engine.ms_between(p_from timestamptz, p_to timestamptz) returns bigint
language sql
immutable
parallel safe
set search_path = ''
as $$
  -- extract(epoch) is numeric (±Infinity for infinite timestamps; ∞ − ∞ is NaN, taken as 0).
  select case
    when d is null then null
    when d = 'NaN'::numeric then 0
    else greatest(least(d, 9007199254740991), -9007199254740991)::bigint
  end
  from (select (extract(epoch from p_to) - extract(epoch from p_from)) * 1000 as d) x
$$;
comment on function sync_engine.ms_between(timestamptz, timestamptz) is
  'p_to − p_from in milliseconds, saturated at ±(2^53 − 1); null if either is null.';

create function sync_engine.bounded_seconds(p_seconds double precision) returns double precision
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when p_seconds is null then null
    when p_seconds = 'NaN'::double precision or p_seconds <= 0 then 0
    else least(p_seconds, 315576000)  -- 10 years of 365.25 days
  end
$$;
comment on function sync_engine.bounded_seconds(double precision) is
  'A duration in seconds clamped to [0, 10 years]; NaN and negatives are 0.';

create function sync_engine.bounded_interval(p_seconds double precision) returns interval
language sql
immutable
parallel safe
set search_path = ''
as $$
  select pg_catalog.make_interval(secs => sync_engine.bounded_seconds(p_seconds))
$$;
comment on function sync_engine.bounded_interval(double precision) is
  'sync_engine.bounded_seconds as an interval: every lease, backoff and Retry-After goes through it.';

create function sync_engine.jsonb_count(p_value jsonb) returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case when pg_catalog.jsonb_typeof(p_value) = 'number'
    then greatest(least(floor((p_value #>> '{}')::numeric), 2147483647), 0)::integer
    else 0 end
$$;
comment on function sync_engine.jsonb_count(jsonb) is
  'A counter read from progress jsonb: anything but a number is 0; clamped to [0, 2^31 − 1].';

create function sync_engine.add_count(p_a integer, p_b bigint) returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$
  select greatest(least(coalesce(p_a, 0)::bigint + coalesce(p_b, 0), 2147483647), 0)::integer
$$;
comment on function sync_engine.add_count(integer, bigint) is
  'p_a + p_b saturated to [0, 2^31 − 1]: record counters never overflow.';

-- Full jitter as before; the exponent stops at 2^60 and base and cap are bounded, so no attempt
-- number or setting overflows double precision (power(2, 2^31) raised 22003).
create or replace function sync_engine.backoff_seconds(
  p_attempt integer,
  p_base_seconds double precision default 30,
  p_cap_seconds double precision default 3600
) returns double precision
language sql
volatile
set search_path = ''
as $$
  select pg_catalog.random() * least(
    sync_engine.bounded_seconds(p_cap_seconds),
    sync_engine.bounded_seconds(p_base_seconds) * power(2, least(greatest(coalesce(p_attempt, 1), 1) - 1, 60)))
$$;

-- ---------------------------------------------------------------------------------------------
-- Parking
-- ---------------------------------------------------------------------------------------------

-- Ends a run the engine cannot process, with a coded error, and raises one critical alert for it.
-- Returns false when the run is gone or already finished.
create function sync_engine.park_run(p_run_id uuid, p_code text, p_message text) returns boolean
language plpgsql
set search_path = ''
as $$
declare
  v_run public.sync_run_log%rowtype;
begin
  update public.sync_run_log r set
    status = 'failed',
    finished_at = now(),
    lease_expires_at = null,
    error_code = left(p_code, 100),
    error_message = left(p_message, 2000)
  where r.id = p_run_id and r.status in ('pending', 'running')
  returning r.* into v_run;
  if not found then
    return false;
  end if;
  insert into public.sync_alerts (org_id, integration_id, run_id, kind, severity, message, details)
  select v_run.org_id, v_run.integration_id, v_run.id, 'parked', 'critical',
    'A run could not be processed and was stopped; the other runs continue.',
    pg_catalog.jsonb_build_object('error_code', left(p_code, 100), 'error', left(p_message, 2000))
  where not exists (select from public.sync_alerts a where a.run_id = v_run.id and a.kind = 'parked');
  return true;
end;
$$;
comment on function sync_engine.park_run(uuid, text, text) is
  'Fails a run the engine cannot process (coded error) and raises a critical parked alert once.';

-- An integration the scheduler cannot step: next_run_at = infinity (not due again until its
-- schedule is edited, which resets next_run_at) and one open critical alert.
create function sync_engine.park_integration(p_integration_id uuid, p_code text, p_message text)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
  v_org uuid;
begin
  update public.organization_integrations i set next_run_at = 'infinity'
  where i.id = p_integration_id
  returning i.org_id into v_org;
  if v_org is null then
    return false;
  end if;
  insert into public.sync_alerts (org_id, integration_id, kind, severity, message, details)
  select v_org, p_integration_id, 'parked', 'critical',
    'The schedule of this integration could not be processed and is paused until it is edited.',
    pg_catalog.jsonb_build_object('error_code', left(p_code, 100), 'error', left(p_message, 2000))
  where not exists (select from public.sync_alerts a
                    where a.integration_id = p_integration_id and a.kind = 'parked'
                      and a.run_id is null and a.resolved_at is null);
  return true;
end;
$$;
comment on function sync_engine.park_integration(uuid, text, text) is
  'Pauses the schedule of an integration the scheduler cannot step (next_run_at infinity) and raises a critical parked alert.';

-- Errors caused by a row's data or a rule it breaks (SQLSTATE classes 09 triggered action, 21
-- cardinality, 22 data exception, 23 integrity, 27 triggered data change, 2F/39 routine, P0
-- PL/pgSQL raise): retrying the same row fails the same way, so it is parked. Anything else
-- (deadlock, serialization, lock or statement timeout, a lost connection) is transient and
-- re-raised: parking a healthy row for it would be wrong. src/db/types.ts isRowError is the same list.
create function sync_engine.is_row_error(p_sqlstate text) returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select left(coalesce(p_sqlstate, ''), 2) in ('09', '21', '22', '23', '27', '2F', '39', 'P0')
$$;

-- ---------------------------------------------------------------------------------------------
-- The engine's row functions, from their latest definitions, with clamps and isolation
-- ---------------------------------------------------------------------------------------------

-- Latest: 20261129090000_engine_hot_paths.sql.
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
  v_id uuid;
  v_error text;
begin
  begin
    with due as (
      select r.id
      from public.sync_run_log r
      where r.status = 'pending' and r.run_after <= now()
      order by r.run_after, r.triggered_at
      limit v_limit
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
    select coalesce(array_agg(c.id), '{}') into v_ids from claimed c;
  exception when others then
    -- One row made the batch fail: claim row by row, park what still fails.
    v_ids := '{}';
    for v_id in
      select r.id from public.sync_run_log r
      where r.status = 'pending' and r.run_after <= now()
      order by r.run_after, r.triggered_at
      limit v_limit
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
        v_ids := v_ids || v_id;
      exception when others then
        if not sync_engine.is_row_error(sqlstate) then
          raise;
        end if;
        get stacked diagnostics v_error = message_text;
        perform sync_engine.park_run_safely(v_id, 'claim', sqlstate, v_error);
      end;
    end loop;
  end;
  return query
    select r.* from public.sync_run_log r where r.id = any (v_ids)
    order by r.run_after, r.triggered_at;
end;
$$;

-- Parks a run from inside another function's exception handler; if even parking raises (the row
-- refuses every update), the run stays where it is and only the warning remains: the caller's
-- batch must go on either way.
create function sync_engine.park_run_safely(p_run_id uuid, p_stage text, p_sqlstate text, p_error text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  begin
    perform sync_engine.park_run(p_run_id, 'run_unprocessable',
      format('The engine could not %s this run: %s (SQLSTATE %s).', p_stage, p_error, p_sqlstate));
  exception when others then
    raise warning 'sync_engine: run % could not be %ed or parked: %', p_run_id, p_stage, sqlerrm;
  end;
end;
$$;

-- Latest: 20261129000300_sync_engine_core.sql.
create or replace function sync_engine.heartbeat_runs(
  p_worker_id text,
  p_run_ids uuid[],
  p_lease_seconds integer default 60
) returns table (run_id uuid, cancel_requested boolean)
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_lease interval := sync_engine.bounded_interval(p_lease_seconds);
  v_held uuid[] := '{}';
  v_id uuid;
  v_error text;
begin
  begin
    with beat as (
      update public.sync_run_log r set
        heartbeat_at = now(),
        lease_expires_at = now() + v_lease
      where r.id = any (p_run_ids) and r.worker_id = p_worker_id and r.status = 'running'
      returning r.id
    )
    select coalesce(array_agg(b.id), '{}') into v_held from beat b;
  exception when others then
    v_held := '{}';
    for v_id in select distinct x from unnest(p_run_ids) as x where x is not null loop
      begin
        update public.sync_run_log r set heartbeat_at = now(), lease_expires_at = now() + v_lease
        where r.id = v_id and r.worker_id = p_worker_id and r.status = 'running';
        if found then
          v_held := v_held || v_id;
        end if;
      exception when others then
        if not sync_engine.is_row_error(sqlstate) then
          raise;
        end if;
        get stacked diagnostics v_error = message_text;
        -- Parked runs are missing from the result: their worker aborts them.
        perform sync_engine.park_run_safely(v_id, 'heartbeat', sqlstate, v_error);
      end;
    end loop;
  end;
  return query
    select r.id, r.cancel_requested_at is not null from public.sync_run_log r where r.id = any (v_held);
end;
$$;

-- Latest: 20261129090000_engine_hot_paths.sql. A negative count is taken as 0 (it violated the
-- table's check and failed the whole batch).
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
declare
  v_done uuid[] := '{}';
  v_rec record;
  v_error text;
begin
  begin
    with done as (
      update public.sync_run_log r set
        status = 'succeeded',
        finished_at = now(),
        lease_expires_at = null,
        records_exported = coalesce(greatest(x.records, 0), r.records_exported),
        error_code = null,
        error_message = null
      from unnest(p_run_ids, p_attempts, coalesce(p_records_exported, array[]::integer[]))
        as x (id, attempt, records)
      where r.id = x.id and r.attempt = x.attempt and r.worker_id = p_worker_id and r.status = 'running'
      returning r.id
    )
    select coalesce(array_agg(d.id), '{}') into v_done from done d;
  exception when others then
    v_done := '{}';
    for v_rec in
      select x.id, x.attempt, x.records
      from unnest(p_run_ids, p_attempts, coalesce(p_records_exported, array[]::integer[])) as x (id, attempt, records)
      where x.id is not null
    loop
      begin
        update public.sync_run_log r set
          status = 'succeeded',
          finished_at = now(),
          lease_expires_at = null,
          records_exported = coalesce(greatest(v_rec.records, 0), r.records_exported),
          error_code = null,
          error_message = null
        where r.id = v_rec.id and r.attempt = v_rec.attempt and r.worker_id = p_worker_id and r.status = 'running';
        if found then
          v_done := v_done || v_rec.id;
        end if;
      exception when others then
        if not sync_engine.is_row_error(sqlstate) then
          raise;
        end if;
        get stacked diagnostics v_error = message_text;
        perform sync_engine.park_run_safely(v_rec.id, 'complete', sqlstate, v_error);
      end;
    end loop;
  end;
  return query select unnest(v_done);
end;
$$;

-- Latest: 20261129000300_sync_engine_core.sql. Retry-After and backoff through bounded_interval;
-- the attempt refund of a snooze never goes below 0.
create or replace function sync_engine.fail_run(
  p_run_id uuid,
  p_worker_id text,
  p_attempt integer,
  p_error_code text,
  p_error_message text,
  p_retryable boolean default true,
  p_retry_after_seconds double precision default null,
  p_charge_attempt boolean default true,
  p_backoff_base_seconds double precision default 30,
  p_backoff_cap_seconds double precision default 3600
) returns text
language sql
volatile
set search_path = ''
as $$
  with decided as (
    select r.id,
      (p_retryable and (not p_charge_attempt or r.attempt < r.max_attempts)) as retry,
      r.attempt
    from public.sync_run_log r
    where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running'
    for update
  )
  update public.sync_run_log r set
    status = case when d.retry then 'pending' else 'failed' end,
    attempt = case when d.retry and not p_charge_attempt then greatest(r.attempt - 1, 0) else r.attempt end,
    run_after = case when d.retry
      then now() + sync_engine.bounded_interval(coalesce(
        p_retry_after_seconds,
        sync_engine.backoff_seconds(d.attempt, p_backoff_base_seconds, p_backoff_cap_seconds)))
      else r.run_after end,
    finished_at = case when d.retry then null else now() end,
    worker_id = case when d.retry then null else r.worker_id end,
    lease_expires_at = null,
    error_code = left(p_error_code, 100),
    error_message = left(p_error_message, 2000)
  from decided d
  where r.id = d.id
  returning r.status
$$;

-- Latest: 20261129000300_sync_engine_core.sql.
create or replace function sync_engine.reap_expired_leases(p_limit integer default 1000)
returns table (run_id uuid, status text)
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_limit integer := greatest(coalesce(p_limit, 0), 0);
  v_ids uuid[] := '{}';
  v_id uuid;
  v_error text;
begin
  begin
    with expired as (
      select r.id
      from public.sync_run_log r
      where r.status = 'running' and r.lease_expires_at < now()
      order by r.lease_expires_at
      limit v_limit
      for update skip locked
    ), reaped as (
      update public.sync_run_log r set
        status = case
          when r.cancel_requested_at is not null then 'cancelled'
          when r.attempt >= r.max_attempts then 'failed'
          else 'pending' end,
        finished_at = case
          when r.cancel_requested_at is not null or r.attempt >= r.max_attempts then now() end,
        worker_id = case
          when r.cancel_requested_at is not null or r.attempt >= r.max_attempts then r.worker_id end,
        run_after = now(),
        lease_expires_at = null,
        error_code = 'lease_expired',
        error_message = 'The worker running this attempt stopped heartbeating; its lease expired at '
          || coalesce(to_char(r.lease_expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '-infinity') || '.'
      from expired e
      where r.id = e.id
      returning r.id
    )
    select coalesce(array_agg(x.id), '{}') into v_ids from reaped x;
  exception when others then
    v_ids := '{}';
    for v_id in
      select r.id from public.sync_run_log r
      where r.status = 'running' and r.lease_expires_at < now()
      order by r.lease_expires_at
      limit v_limit
      for update skip locked
    loop
      begin
        update public.sync_run_log r set
          status = case
            when r.cancel_requested_at is not null then 'cancelled'
            when r.attempt >= r.max_attempts then 'failed'
            else 'pending' end,
          finished_at = case
            when r.cancel_requested_at is not null or r.attempt >= r.max_attempts then now() end,
          worker_id = case
            when r.cancel_requested_at is not null or r.attempt >= r.max_attempts then r.worker_id end,
          run_after = now(),
          lease_expires_at = null,
          error_code = 'lease_expired',
          error_message = 'The worker running this attempt stopped heartbeating; its lease expired at '
            || coalesce(to_char(r.lease_expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '-infinity') || '.'
        where r.id = v_id;
        v_ids := v_ids || v_id;
      exception when others then
        if not sync_engine.is_row_error(sqlstate) then
          raise;
        end if;
        get stacked diagnostics v_error = message_text;
        perform sync_engine.park_run_safely(v_id, 'reap', sqlstate, v_error);
        -- Parked runs are reported too: their lease is over either way.
        v_ids := v_ids || v_id;
      end;
    end loop;
  end;
  return query select r.id, r.status from public.sync_run_log r where r.id = any (v_ids);
end;
$$;

-- Latest: 20261129000500_export_pipeline.sql. Lease stretch through bounded_interval.
create or replace function sync_engine.mark_batch_in_flight(
  p_run_id uuid,
  p_worker_id text,
  p_attempt integer,
  p_entry_ids uuid[],
  p_lease_seconds integer default null
) returns timestamptz
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_run public.sync_run_log%rowtype;
  v_marked integer;
  v_wanted integer;
begin
  select * into v_run from public.sync_run_log r
  where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running'
  for update;
  if not found then
    perform sync_engine.raise_run_not_held(p_run_id, p_worker_id, p_attempt);
  end if;

  select count(distinct x) into v_wanted from unnest(p_entry_ids) as x;
  insert into sync_engine.export_in_flight as f (integration_id, entry_id, run_id, attempt)
  select v_run.integration_id, e.id, v_run.id, p_attempt
  from public.ledger_entries e
  where e.id = any (p_entry_ids) and e.org_id = v_run.org_id
  on conflict (integration_id, entry_id) do update
    set run_id = excluded.run_id, attempt = excluded.attempt, marked_at = now();
  get diagnostics v_marked = row_count;
  if v_marked <> v_wanted then
    perform sync_engine.raise_api_error('invalid_export_batch', 400,
      'Every entry of a batch must be a ledger entry of the run''s organization.',
      pg_catalog.jsonb_build_object('run_id', p_run_id, 'expected', v_wanted, 'found', v_marked));
  end if;

  update public.sync_run_log r set
    progress = r.progress || pg_catalog.jsonb_build_object('in_flight', pg_catalog.jsonb_build_object(
      'entries', v_wanted,
      'first_id', (select min(x::text) from unnest(p_entry_ids) as x),
      'last_id', (select max(x::text) from unnest(p_entry_ids) as x),
      'attempt', p_attempt,
      'marked_at', now())),
    lease_expires_at = case when p_lease_seconds is null then r.lease_expires_at
      else greatest(r.lease_expires_at, now() + sync_engine.bounded_interval(p_lease_seconds)) end
  where r.id = v_run.id
  returning r.lease_expires_at into v_run.lease_expires_at;
  return v_run.lease_expires_at;
end;
$$;

-- Latest: 20261129000500_export_pipeline.sql. Counters saturate; a non-numeric 'batches' in
-- progress (written by hand, or by an older release) counts as 0 instead of failing the cast.
create or replace function sync_engine.record_exports(
  p_run_id uuid,
  p_worker_id text,
  p_attempt integer,
  p_entry_ids uuid[],
  p_external_ids text[],
  p_cursor jsonb
) returns table (recorded integer, records_exported integer)
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_run public.sync_run_log%rowtype;
  v_ids uuid[] := coalesce(p_entry_ids, array[]::uuid[]);
  v_external text[] := coalesce(p_external_ids, array[]::text[]);
  v_valid integer;
  v_wanted integer;
  v_recorded integer;
begin
  select * into v_run from public.sync_run_log r
  where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running'
  for update;
  if not found then
    perform sync_engine.raise_run_not_held(p_run_id, p_worker_id, p_attempt);
  end if;

  if cardinality(v_ids) <> cardinality(v_external)
     or array_position(v_ids, null) is not null
     or exists (select from unnest(v_external) as t where t is null or t = '' or length(t) > 200) then
    perform sync_engine.raise_api_error('invalid_export_batch', 400,
      'entry_ids and external_ids must be arrays of equal length without nulls or empty external ids.',
      pg_catalog.jsonb_build_object('run_id', p_run_id));
  end if;
  select count(distinct x) into v_wanted from unnest(v_ids) as x;
  select count(*) into v_valid
  from public.ledger_entries e where e.id = any (v_ids) and e.org_id = v_run.org_id;
  if v_valid <> v_wanted then
    perform sync_engine.raise_api_error('invalid_export_batch', 400,
      'Every entry of a batch must be a ledger entry of the run''s organization.',
      pg_catalog.jsonb_build_object('run_id', p_run_id, 'expected', v_wanted, 'found', v_valid));
  end if;

  insert into public.ledger_entry_exports (entry_id, integration_id, org_id, run_id, external_id)
  select x.entry_id, v_run.integration_id, v_run.org_id, v_run.id, x.external_id
  from unnest(v_ids, v_external) as x (entry_id, external_id)
  on conflict do nothing;
  get diagnostics v_recorded = row_count;

  delete from sync_engine.export_in_flight f
  where f.integration_id = v_run.integration_id and f.entry_id = any (v_ids);

  update public.sync_run_log r set
    records_exported = sync_engine.add_count(r.records_exported, v_recorded),
    progress = (r.progress - 'in_flight') || pg_catalog.jsonb_build_object(
      'cursor', coalesce(p_cursor, r.progress -> 'cursor'),
      'batches', sync_engine.add_count(sync_engine.jsonb_count(r.progress -> 'batches'), 1),
      -- A recorded batch is progress: the consecutive-snooze budget starts over (see record_snooze).
      'snoozes', 0,
      'recorded_at', now())
  where r.id = v_run.id
  returning r.records_exported into v_run.records_exported;

  recorded := v_recorded;
  records_exported := v_run.records_exported;
  return next;
end;
$$;

-- Latest: 20261129000500_export_pipeline.sql. Same counter rule as record_exports.
create or replace function sync_engine.record_snooze(
  p_run_id uuid,
  p_worker_id text,
  p_attempt integer,
  p_code text
) returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_snoozes integer;
begin
  update public.sync_run_log r set
    progress = r.progress || pg_catalog.jsonb_build_object(
      'snoozes', sync_engine.add_count(sync_engine.jsonb_count(r.progress -> 'snoozes'), 1),
      'last_snooze', pg_catalog.jsonb_build_object('code', left(p_code, 100), 'at', now()))
  where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running'
  returning sync_engine.jsonb_count(r.progress -> 'snoozes') into v_snoozes;
  if v_snoozes is null then
    perform sync_engine.raise_run_not_held(p_run_id, p_worker_id, p_attempt);
  end if;
  return v_snoozes;
end;
$$;

-- Latest: 20261129081500_lock_order_fixes.sql. The consecutive-failure counter saturates instead
-- of failing every later check of the integration at 2^31 − 1.
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
    health_consecutive_failures = case when p_ok then 0 else least(i.health_consecutive_failures, 2147483646) + 1 end,
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

revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
