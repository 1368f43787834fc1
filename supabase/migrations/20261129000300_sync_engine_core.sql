-- Superseded: sync_engine.backoff_seconds → 20261130100000_bounded_numbers.sql; sync_engine.claim_runs → 20261130180000_schedule_groups.sql; sync_engine.complete_runs → 20261130100000_bounded_numbers.sql; sync_engine.dispatch_run → 20261130090000_sql_single_sources.sql; sync_engine.enqueue_run → 20261130120000_integration_admin.sql; sync_engine.fail_run → 20261130100000_bounded_numbers.sql; sync_engine.heartbeat_runs → 20261130100000_bounded_numbers.sql; sync_engine.reap_expired_leases → 20261130100000_bounded_numbers.sql (live: supabase/schema.sql)
-- The engine's SQL core (docs/architecture.md §5). One function per operation; set-based where the hot path
-- needs it (claim many, heartbeat many, complete many). The state machine is written down in
-- docs/state-machine.md and enforced by sync_engine.guard_run_transition below.
--
-- None of these functions is SECURITY DEFINER but purge_trigger_audit (it deletes from the
-- append-only audit, which no role but the owner may): they run with the caller's rights, and only
-- the owner and service_role may execute them (grants at the end of this file).

-- Deployment settings read by the engine in SQL (dispatch URL for pg_net). Service-only.
create table sync_engine.settings (
  key text primary key check (key in ('dispatch_url', 'dispatch_token', 'dispatch_token_vault_name')),
  value text not null,
  updated_at timestamptz not null default now()
);
revoke all on table sync_engine.settings from public;
grant all on table sync_engine.settings to service_role;

-- ---------------------------------------------------------------------------------------------
-- State machine guard: the only transitions the engine may make. Anything else is a bug and
-- must fail loudly rather than, say, let a reaper resurrect a run that just succeeded.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.guard_run_transition() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status is distinct from old.status and not (
       (old.status = 'pending' and new.status in ('running', 'cancelled', 'failed'))
    or (old.status = 'running' and new.status in ('succeeded', 'failed', 'pending', 'cancelled'))
  ) then
    raise exception 'invalid sync run transition % -> % (run %)', old.status, new.status, old.id
      using errcode = '23514';
  end if;
  new.updated_at := now();
  return new;
end;
$$;

create trigger sync_run_log_guard_transition
  before update on public.sync_run_log
  for each row execute function sync_engine.guard_run_transition();

-- ---------------------------------------------------------------------------------------------
-- Coded API errors in PostgREST's full-control form (PostgREST >= 12): SQLSTATE 'PGRST',
-- MESSAGE = JSON {code, message, details, hint}, DETAIL = JSON {status, headers}. PostgREST
-- parses details and hint as TEXT and header values as TEXT, so structured details are
-- JSON-encoded into the details string.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.raise_api_error(
  p_code text,
  p_status integer,
  p_message text,
  p_details jsonb default null,
  p_hint text default null,
  p_headers jsonb default '{}'::jsonb
) returns void
language plpgsql
set search_path = ''
as $$
begin
  raise sqlstate 'PGRST' using
    message = pg_catalog.jsonb_build_object(
      'code', p_code,
      'message', p_message,
      'details', case when p_details is null then null else p_details::text end,
      'hint', p_hint
    )::text,
    detail = pg_catalog.jsonb_build_object('status', p_status, 'headers', p_headers)::text;
end;
$$;

-- Full jitter ("Exponential Backoff and Jitter", AWS architecture blog): uniform in
-- [0, min(cap, base * 2^(attempt-1))]. Defaults 30 s base and 1 h cap: attempt 5 waits at most 8 min.
create function sync_engine.backoff_seconds(
  p_attempt integer,
  p_base_seconds double precision default 30,
  p_cap_seconds double precision default 3600
) returns double precision
language sql
volatile
set search_path = ''
as $$
  select pg_catalog.random() * least(p_cap_seconds, p_base_seconds * power(2, greatest(p_attempt, 1) - 1))
$$;

-- ---------------------------------------------------------------------------------------------
-- Wake-up and dispatch. pg_notify reaches LISTENing workers at commit; where pg_net exists and
-- a dispatch URL is configured (Supabase), net.http_post also reaches the worker Edge Function
-- at commit, fire-and-forget. A lost dispatch leaves the run pending for the polling sweep.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.dispatch_run(p_run_id uuid) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_url text;
  v_token text;
  v_vault_name text;
begin
  perform pg_catalog.pg_notify('sync_engine_wakeup', p_run_id::text);

  select s.value into v_url from sync_engine.settings s where s.key = 'dispatch_url';
  if v_url is null or to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is null then
    return;
  end if;
  select s.value into v_token from sync_engine.settings s where s.key = 'dispatch_token';
  select s.value into v_vault_name from sync_engine.settings s where s.key = 'dispatch_token_vault_name';
  if v_vault_name is not null and to_regclass('vault.decrypted_secrets') is not null then
    execute 'select decrypted_secret from vault.decrypted_secrets where name = $1'
      into v_token using v_vault_name;
  end if;
  -- Dynamic SQL: net.http_post does not exist where pg_net is absent (plain PG, PGlite).
  execute 'select net.http_post(url := $1, body := $2, headers := $3, timeout_milliseconds := 5000)'
    using v_url,
          pg_catalog.jsonb_build_object('run_id', p_run_id),
          pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'Content-Type', 'application/json',
            'Authorization', case when v_token is null then null else 'Bearer ' || v_token end));
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Enqueue: the ONE entry point for manual and scheduled runs.
--   outcome 'enqueued'  – a new pending run (run_id); manual runs are audited here, in the same
--                         transaction, so no manual run can exist without its audit row;
--   outcome 'duplicate' – the idempotency key was already used (run_id = that run);
--   outcome 'active'    – manual only: a pending/running run exists (run_id = the active run);
--   outcome 'skipped'   – scheduled only: the period overlaps an active run and is recorded as a
--                         'skipped' row (skip_reason 'overlap') under its idempotency key.
-- Callers needing the check phase (the RPC) hold the same advisory lock first; the partial
-- unique index is the final guard either way.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.enqueue_run(
  p_integration_id uuid,
  p_triggered_by text,
  p_user_id uuid default null,
  p_scheduled_for timestamptz default null,
  p_idempotency_key text default null,
  out run_id uuid,
  out outcome text
)
language plpgsql
set search_path = ''
as $$
declare
  v_integration public.organization_integrations%rowtype;
begin
  if p_triggered_by not in ('manual', 'scheduled') then
    raise exception 'triggered_by must be manual or scheduled, got %', p_triggered_by using errcode = '22023';
  end if;
  if p_triggered_by = 'manual' and p_user_id is null then
    raise exception 'a manual run needs the triggering user' using errcode = '22023';
  end if;

  select * into v_integration from public.organization_integrations i where i.id = p_integration_id;
  if not found then
    raise exception 'integration % does not exist', p_integration_id using errcode = 'P0002';
  end if;

  -- Serializes enqueues per (org, type) for the length of this short transaction only.
  perform pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended('sync:' || v_integration.org_id::text || ':' || v_integration.integration_type, 0));

  if p_idempotency_key is not null then
    select r.id into run_id from public.sync_run_log r where r.idempotency_key = p_idempotency_key;
    if found then
      outcome := 'duplicate';
      return;
    end if;
  end if;

  for i in 1..2 loop
    select r.id into run_id from public.sync_run_log r
    where r.org_id = v_integration.org_id
      and r.integration_type = v_integration.integration_type
      and r.status in ('pending', 'running');
    if found then
      if p_triggered_by = 'manual' then
        outcome := 'active';
        return;
      end if;
      insert into public.sync_run_log as r (org_id, integration_id, integration_type, status, triggered_by,
        scheduled_for, idempotency_key, max_attempts, finished_at, skip_reason)
      values (v_integration.org_id, v_integration.id, v_integration.integration_type, 'skipped', 'scheduled',
        p_scheduled_for, p_idempotency_key, v_integration.max_attempts, now(), 'overlap')
      returning r.id into run_id;
      outcome := 'skipped';
      return;
    end if;

    -- ON CONFLICT without a target also covers the partial unique index: an enqueue that did
    -- not take the advisory lock (or a second database session in a test) cannot slip in twice.
    insert into public.sync_run_log as r (org_id, integration_id, integration_type, status, triggered_by,
      triggered_by_user_id, scheduled_for, idempotency_key, max_attempts)
    values (v_integration.org_id, v_integration.id, v_integration.integration_type, 'pending', p_triggered_by,
      case when p_triggered_by = 'manual' then p_user_id end, p_scheduled_for, p_idempotency_key,
      v_integration.max_attempts)
    on conflict do nothing
    returning r.id into run_id;
    if run_id is not null then
      exit;
    end if;
    -- Lost a race to a concurrent insert: loop once to report what won.
  end loop;

  if run_id is null then
    raise exception 'could not enqueue a run for integration %', p_integration_id using errcode = '40001';
  end if;

  if p_triggered_by = 'manual' then
    insert into public.sync_trigger_audit (run_id, actor_user_id, org_id, integration_type, action)
    values (run_id, p_user_id, v_integration.org_id, v_integration.integration_type, 'trigger');
  end if;

  perform sync_engine.dispatch_run(run_id);
  outcome := 'enqueued';
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Claim up to p_limit due runs. SKIP LOCKED lets N workers claim concurrently without waiting
-- on each other; batching is the main throughput lever (docs/architecture.md §11: claim-1 ≈ 1.5k/s
-- vs claim-50 ≈ 41k/s on this hardware). attempt + worker_id form the fencing token that every
-- later call must present.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.claim_runs(
  p_worker_id text,
  p_limit integer default 1,
  p_lease_seconds integer default 60
) returns setof public.sync_run_log
language sql
volatile
set search_path = ''
as $$
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
  returning r.*
$$;

-- Extend the leases of every run the worker holds in one statement. Runs missing from the
-- result are no longer held (reaped, cancelled and finished, …): the worker must abort them.
create function sync_engine.heartbeat_runs(
  p_worker_id text,
  p_run_ids uuid[],
  p_lease_seconds integer default 60
) returns table (run_id uuid, cancel_requested boolean)
language sql
volatile
set search_path = ''
as $$
  update public.sync_run_log r set
    heartbeat_at = now(),
    lease_expires_at = now() + make_interval(secs => p_lease_seconds)
  where r.id = any (p_run_ids) and r.worker_id = p_worker_id and r.status = 'running'
  returning r.id, r.cancel_requested_at is not null
$$;

-- Complete many runs at once. Only the current holder (worker_id + attempt) can complete; a
-- worker whose lease was reaped finds its run missing from the result and must not assume success.
create function sync_engine.complete_runs(
  p_worker_id text,
  p_run_ids uuid[],
  p_attempts integer[],
  p_records_exported integer[] default null
) returns setof uuid
language sql
volatile
set search_path = ''
as $$
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
  returning r.id
$$;

-- Fail one attempt. Retryable with attempts left → back to pending after the external system's
-- Retry-After if given, else full-jitter backoff; otherwise → failed. p_charge_attempt = false
-- is a snooze (rate limit honoured without spending an attempt). Returns the new status, or
-- null when the caller no longer holds the run.
create function sync_engine.fail_run(
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
    attempt = case when d.retry and not p_charge_attempt then r.attempt - 1 else r.attempt end,
    run_after = case when d.retry
      then now() + make_interval(secs => coalesce(
        greatest(p_retry_after_seconds, 0),
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

-- Graceful shutdown: hand runs back without charging the attempt they were on.
create function sync_engine.release_runs(p_worker_id text, p_run_ids uuid[]) returns setof uuid
language sql
volatile
set search_path = ''
as $$
  update public.sync_run_log r set
    status = 'pending',
    attempt = greatest(r.attempt - 1, 0),
    worker_id = null,
    lease_expires_at = null,
    run_after = now()
  where r.id = any (p_run_ids) and r.worker_id = p_worker_id and r.status = 'running'
  returning r.id
$$;

-- The holder acknowledges a cancellation request (or its own abort) and ends the run.
create function sync_engine.finish_cancelled(p_run_id uuid, p_worker_id text, p_attempt integer)
returns boolean
language sql
volatile
set search_path = ''
as $$
  with done as (
    update public.sync_run_log r set
      status = 'cancelled', finished_at = now(), lease_expires_at = null,
      error_code = 'cancelled', error_message = 'Cancelled on request.'
    where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running'
    returning 1
  )
  select exists (select from done)
$$;

-- Reaper: runs whose holder stopped heartbeating go back to pending (due now), or to failed
-- when their attempts are spent, or to cancelled when cancellation had been requested. SKIP
-- LOCKED: a run whose holder is completing it right now is locked by that holder and is left
-- alone, so the reaper can never overwrite a run that just finished.
create function sync_engine.reap_expired_leases(p_limit integer default 1000)
returns table (run_id uuid, status text)
language sql
volatile
set search_path = ''
as $$
  with expired as (
    select r.id
    from public.sync_run_log r
    where r.status = 'running' and r.lease_expires_at < now()
    order by r.lease_expires_at
    limit p_limit
    for update skip locked
  )
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
      || to_char(r.lease_expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '.'
  from expired e
  where r.id = e.id
  returning r.id, r.status
$$;

-- Cancel: a pending run ends at once; a running run is flagged and its holder aborts it (it
-- learns of the flag on its next heartbeat). Returns the run's status afterwards, null if unknown.
create function sync_engine.cancel_run(p_run_id uuid) returns text
language plpgsql
set search_path = ''
as $$
declare
  v_status text;
begin
  update public.sync_run_log r set
    status = case when r.status = 'pending' then 'cancelled' else r.status end,
    finished_at = case when r.status = 'pending' then now() else r.finished_at end,
    error_code = case when r.status = 'pending' then 'cancelled' else r.error_code end,
    error_message = case when r.status = 'pending' then 'Cancelled on request.' else r.error_message end,
    cancel_requested_at = coalesce(r.cancel_requested_at, now())
  where r.id = p_run_id and r.status in ('pending', 'running')
  returning r.status into v_status;
  if v_status is null then
    select r.status into v_status from public.sync_run_log r where r.id = p_run_id;
  end if;
  return v_status;
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Audit retention. The manual-trigger audit answers "who exported what, when" (GDPR art. 5(2)
-- accountability) for exports that are accounting documentation; the Norwegian Bookkeeping Act
-- (bokføringsloven § 13) keeps such documentation 5 years, so the default retention is 5 years
-- and the function refuses anything shorter than 1 year. This is the only way rows leave the
-- audit; the run-log retention never touches it. Definer: not even service_role holds DELETE
-- on the audit, so retention has exactly one door.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.purge_trigger_audit(p_older_than interval default interval '5 years')
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count bigint;
begin
  if p_older_than < interval '1 year' then
    raise exception 'audit retention must be at least 1 year, got %', p_older_than using errcode = '22023';
  end if;
  perform pg_catalog.set_config('sync_engine.audit_purge', 'on', true);
  delete from public.sync_trigger_audit a where a.occurred_at < now() - p_older_than;
  get diagnostics v_count = row_count;
  perform pg_catalog.set_config('sync_engine.audit_purge', 'off', true);
  return v_count;
end;
$$;

-- Only the owner and service_role run the engine.
revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
