-- Superseded: sync_engine.enqueue_run → 20261130120000_integration_admin.sql; sync_engine.period_key → 20261130170000_scheduler_hot_path.sql; sync_engine.run_lock_key → 20261130170000_scheduler_hot_path.sql; sync_engine.schedule_due_plans → 20261130170000_scheduler_hot_path.sql (live: supabase/schema.sql)
-- One source for the SQL literals the engine repeated (see docs/architecture.md §6):
--
--   sync_engine.run_lock_key(org, type)      the per-(org, integration type) advisory lock key that
--                                            the RPC, enqueue_run and the scheduler serialize on
--                                            (was spelled out in 4 live functions; same value as
--                                            before, so workers of the previous release and this
--                                            one still exclude each other during a rolling deploy)
--   sync_engine.period_key(integration, at)  a scheduled period's idempotency key (9 copies in 4
--                                            migrations); same text as before, so no period that
--                                            ran under the old spelling can run again
--   sync_engine.wake_workers(payload)        NOTIFY on the workers' channel 'sync_engine_wakeup'
--   sync_engine.caller_user_id(action)       the JWT prologue of every client RPC: a signed-in
--                                            `authenticated` user with a uuid sub, else
--                                            permission_denied 401
--   sync_engine.require_member_role(...)     the caller holds one of the roles in the org, else 403
--   sync_engine.authorize_org_caller(...)    checks 1–3 of the client RPCs in their order:
--                                            signed in, JWT org = the org asked for, role
--
-- The functions that spelled them out are redefined below to call them, behaviour unchanged (the
-- RPC contract tests run as before). sync_engine.schedule_due_periods is dropped: nothing calls it
-- since 0.1.0's schedule_due_plans (migration 20261129110000), which kept it only so workers of the
-- release before could tick during a rolling deploy. Run no worker older than that release
-- against this schema.
set lock_timeout = '5s';

drop function if exists sync_engine.schedule_due_periods(uuid[], timestamptz[], timestamptz[], timestamptz[]);

create or replace function sync_engine.run_lock_key(p_org_id uuid, p_integration_type text) returns bigint
language sql
immutable
parallel safe
set search_path = ''
as $$
  select pg_catalog.hashtextextended('sync:' || p_org_id::text || ':' || p_integration_type, 0)
$$;
comment on function sync_engine.run_lock_key(uuid, text) is
  'The advisory lock key that serializes enqueues per (org, integration type).';

-- Immutable although to_char is only stable: this pattern has no locale- or zone-dependent
-- fields (the timestamp is converted to UTC first), so the text depends on the arguments alone.
create or replace function sync_engine.period_key(p_integration_id uuid, p_period timestamptz) returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select p_integration_id::text || ':'
    || pg_catalog.to_char(p_period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
comment on function sync_engine.period_key(uuid, timestamptz) is
  'Idempotency key of a scheduled period: <integration id>:<nominal period start, ISO UTC, ms>.';

create or replace function sync_engine.wake_workers(p_payload text default '') returns void
language sql
volatile
set search_path = ''
as $$
  select pg_catalog.pg_notify('sync_engine_wakeup', p_payload)
$$;
comment on function sync_engine.wake_workers(text) is
  'NOTIFY sync_engine_wakeup: listening workers claim at once instead of at their next poll.';

create or replace function sync_engine.caller_user_id(p_action text) returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  v_claims jsonb := auth.jwt();
  v_sub text := v_claims ->> 'sub';
begin
  -- The sub is checked for uuid shape before the cast, so a forged or malformed claim is a coded
  -- refusal, not an unhandled cast error.
  if v_sub ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     and coalesce(v_claims ->> 'role', '') = 'authenticated' then
    return v_sub::uuid;
  end if;
  perform sync_engine.raise_api_error('permission_denied', 401, format('You must be signed in to %s.', p_action));
  return null;
end;
$$;
comment on function sync_engine.caller_user_id(text) is
  'The signed-in caller''s user id from the JWT; permission_denied 401 when there is none.';

create or replace function sync_engine.require_member_role(
  p_org_id uuid, p_user_id uuid, p_roles text[], p_action text
) returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_role text;
begin
  select m.role into v_role from public.organization_members m where m.org_id = p_org_id and m.user_id = p_user_id;
  if v_role is null or not (v_role = any (p_roles)) then
    perform sync_engine.raise_api_error('permission_denied', 403,
      format('Only %s can %s.',
        case when p_roles = array['admin'] then 'administrators' else 'administrators and coordinators' end,
        p_action));
  end if;
  return v_role;
end;
$$;
comment on function sync_engine.require_member_role(uuid, uuid, text[], text) is
  'The caller''s role in the org when it is one of p_roles; permission_denied 403 otherwise.';

create or replace function sync_engine.authorize_org_caller(p_org_id uuid, p_roles text[], p_action text) returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  v_uid uuid := sync_engine.caller_user_id(p_action);
begin
  if p_org_id is null or lower(coalesce(auth.jwt() ->> 'org_id', '')) <> p_org_id::text then
    perform sync_engine.raise_api_error('org_scope_violation', 403,
      'Your session is not scoped to this organization.',
      p_hint => 'Sign in to the organization you want to sync, then try again.');
  end if;
  perform sync_engine.require_member_role(p_org_id, v_uid, p_roles, p_action);
  return v_uid;
end;
$$;
comment on function sync_engine.authorize_org_caller(uuid, text[], text) is
  'Client RPC checks 1–3 in order (signed in; JWT org_id = p_org_id; role in p_roles); returns the user id.';

-- The functions that spelled the literals out, unchanged but for the calls above.

create or replace function sync_engine.enqueue_run(
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
    sync_engine.run_lock_key(v_integration.org_id, v_integration.integration_type));

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

create or replace function sync_engine.dispatch_run(p_run_id uuid) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform sync_engine.wake_workers(p_run_id::text);
  perform sync_engine.post_to_worker(pg_catalog.jsonb_build_object('run_id', p_run_id));
end;
$$;

create or replace function sync_engine.schedule_periods(
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
  -- FOR NO KEY UPDATE, not FOR UPDATE: the manual RPC's insert into sync_run_log takes FOR KEY
  -- SHARE on this row (foreign key check) while holding the (org, type) advisory lock, which this
  -- function then needs too. FOR UPDATE made the two wait on each other (deadlock 40P01, found by
  -- the chaos suite); NO KEY UPDATE does not conflict with KEY SHARE.
  select * into v_integration from public.organization_integrations i where i.id = p_integration_id
  for no key update;
  -- Compared at millisecond precision: the caller read next_run_at through a driver whose
  -- timestamps are JavaScript Dates (ms), while PostgreSQL keeps µs. A value written with µs
  -- (e.g. `next_run_at = now()` by hand) must not look stale forever.
  if not found
     or date_trunc('milliseconds', v_integration.next_run_at)
        is distinct from date_trunc('milliseconds', p_expected_next_run_at) then
    return;
  end if;

  foreach v_period in array coalesce(p_missed_periods, array[]::timestamptz[]) loop
    v_key := sync_engine.period_key(p_integration_id, v_period);
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
    v_key := sync_engine.period_key(p_integration_id, p_run_period);
    select e.run_id, e.outcome into run_id, outcome
    from sync_engine.enqueue_run(p_integration_id, 'scheduled', p_scheduled_for => p_run_period,
                                 p_idempotency_key => v_key) e;
    return next;
  end if;

  update public.organization_integrations i set next_run_at = p_new_next_run_at where i.id = p_integration_id;
end;
$$;

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
  update public.organization_integrations i set next_run_at = x.next_at, updated_at = now()
  from unnest(v_ids, v_next) as x (id, next_at)
  where i.id = x.id;
end;
$$;

create or replace function public.trigger_integration_sync(org_id uuid, integration_type text)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  c_allowed constant text[] := array['xledger', 'dynamics'];
  -- 5 minutes between manual triggers per (org, integration type): the seed's rule.
  c_rate_window constant interval := interval '5 minutes';
  v_org uuid := trigger_integration_sync.org_id;
  v_type text := trigger_integration_sync.integration_type;
  v_uid uuid;
  v_integration_id uuid;
  v_enabled boolean;
  v_last_trigger timestamptz;
  v_retry_after integer;
  v_label text;
  v_result record;
begin
  -- 1–3. A signed-in user, a session scoped to this org, an admin or coordinator there.
  v_uid := sync_engine.authorize_org_caller(v_org, array['admin', 'coordinator'], 'start a sync');

  -- 4. Hard-coded allowlist; the input is never echoed back (it may be 100 KB of anything).
  if v_type is null or not (v_type = any (c_allowed)) then
    perform sync_engine.raise_api_error('unknown_integration_type', 400,
      'Unknown integration type.',
      p_details => pg_catalog.jsonb_build_object('allowed', to_jsonb(c_allowed)));
  end if;
  v_label := case v_type when 'xledger' then 'Xledger' else 'Dynamics 365 Business Central' end;

  -- 5. Configured and enabled for this org.
  select i.id, i.enabled into v_integration_id, v_enabled
  from public.organization_integrations i
  where i.org_id = v_org and i.integration_type = v_type;
  if v_integration_id is null then
    perform sync_engine.raise_api_error('integration_not_configured', 404,
      format('%s is not set up for this organization.', v_label));
  end if;
  if not v_enabled then
    perform sync_engine.raise_api_error('integration_disabled', 409,
      format('The %s integration is turned off for this organization.', v_label));
  end if;

  -- Serialize the rest per (org, type). Held only until this short transaction commits, so no
  -- caller ever waits on an export, only on another caller's few inserts.
  perform pg_catalog.pg_advisory_xact_lock(
    sync_engine.run_lock_key(v_org, v_type));

  -- 6. One active run per (org, type).
  select r.id into v_result
  from public.sync_run_log r
  where r.org_id = v_org and r.integration_type = v_type and r.status in ('pending', 'running');
  if found then
    perform sync_engine.raise_api_error('sync_already_in_progress', 409,
      format('A sync to %s is already in progress.', v_label),
      p_details => pg_catalog.jsonb_build_object('run_id', v_result.id));
  end if;

  -- 7. One manual trigger per (org, type) per 5 minutes.
  select max(a.occurred_at) into v_last_trigger
  from public.sync_trigger_audit a
  where a.org_id = v_org and a.integration_type = v_type and a.action = 'trigger'
    and a.occurred_at > now() - c_rate_window;
  if v_last_trigger is not null then
    v_retry_after := greatest(1, ceil(extract(epoch from (v_last_trigger + c_rate_window - now())))::integer);
    perform sync_engine.raise_api_error('rate_limited', 429,
      format('A sync to %s was started less than 5 minutes ago. Try again in %s seconds.', v_label, v_retry_after),
      p_details => pg_catalog.jsonb_build_object('retry_after_seconds', v_retry_after),
      p_headers => pg_catalog.jsonb_build_object('Retry-After', v_retry_after::text));
  end if;

  -- The same entry point the scheduler uses: inserts the run, writes the audit row, wakes workers.
  select e.run_id, e.outcome into v_result
  from sync_engine.enqueue_run(v_integration_id, 'manual', p_user_id => v_uid) e;
  if v_result.outcome <> 'enqueued' then
    -- Only reachable if a writer bypassed the advisory lock; the unique index caught it.
    perform sync_engine.raise_api_error('sync_already_in_progress', 409,
      format('A sync to %s is already in progress.', v_label),
      p_details => pg_catalog.jsonb_build_object('run_id', v_result.run_id));
  end if;
  return v_result.run_id;
end;
$$;

create or replace function public.cancel_integration_sync(run_id uuid)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_claims jsonb := auth.jwt();
  v_uid uuid;
  v_run public.sync_run_log%rowtype;
  v_status text;
begin
  v_uid := sync_engine.caller_user_id('cancel a sync');
  select * into v_run from public.sync_run_log r where r.id = cancel_integration_sync.run_id;
  -- A run of another org is reported as not found, not as forbidden: no existence oracle.
  if not found or lower(coalesce(v_claims ->> 'org_id', '')) <> v_run.org_id::text then
    perform sync_engine.raise_api_error('run_not_found', 404, 'No such sync run in your organization.');
  end if;
  perform sync_engine.require_member_role(v_run.org_id, v_uid, array['admin', 'coordinator'], 'cancel a sync');
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

revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
