-- GENERATED FILE: do not edit. `npm run schema:dump` writes it from supabase/migrations.
-- The live schema of public, sync_engine and sync_auth after every migration (pg_dump --schema-only,
-- normalised). Migrations are history; this is what is deployed now. test/db/schema.test.ts fails
-- when a migration changes the schema and this file was not regenerated.
--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: public; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA public;

--
-- Name: SCHEMA public; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA public IS 'standard public schema';

--
-- Name: sync_auth; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA sync_auth;

--
-- Name: sync_engine; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA sync_engine;

--
-- Name: SCHEMA sync_engine; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA sync_engine IS 'Engine internals: enqueue, claim, heartbeat, complete, fail, reap, cancel. Not exposed over the API; service_role and the owner only.';

--
-- Name: cancel_integration_sync(uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.cancel_integration_sync(run_id uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

--
-- Name: FUNCTION cancel_integration_sync(run_id uuid); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.cancel_integration_sync(run_id uuid) IS 'Cancels a pending run at once or asks the worker to stop a running one; returns the status afterwards. Errors: permission_denied, run_not_found, run_not_active.';

--
-- Name: custom_access_token_hook(jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.custom_access_token_hook(event jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
  v_user uuid := (event ->> 'user_id')::uuid;
  v_claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
  v_wanted text := v_claims -> 'app_metadata' ->> 'active_org_id';
  v_org uuid;
begin
  select m.org_id into v_org
  from public.organization_members m
  where m.user_id = v_user
  order by (m.org_id::text = v_wanted) desc nulls last, m.created_at, m.org_id
  limit 1;
  if v_org is null then
    v_claims := v_claims - 'org_id';
  else
    v_claims := pg_catalog.jsonb_set(v_claims, '{org_id}', to_jsonb(v_org::text));
  end if;
  return pg_catalog.jsonb_set(event, '{claims}', v_claims);
end;
$$;

--
-- Name: trigger_integration_sync(uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.trigger_integration_sync(org_id uuid, integration_type text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

--
-- Name: FUNCTION trigger_integration_sync(org_id uuid, integration_type text); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.trigger_integration_sync(org_id uuid, integration_type text) IS 'Starts a manual sync for (org, integration type) and returns the run id. Errors: permission_denied, org_scope_violation, unknown_integration_type, integration_not_configured, integration_disabled, sync_already_in_progress, rate_limited.';

--
-- Name: user_admin_org_ids(); Type: FUNCTION; Schema: sync_auth; Owner: -
--

CREATE FUNCTION sync_auth.user_admin_org_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select m.org_id from public.organization_members m
  where m.user_id = auth.uid() and m.role in ('admin', 'coordinator')
$$;

--
-- Name: FUNCTION user_admin_org_ids(); Type: COMMENT; Schema: sync_auth; Owner: -
--

COMMENT ON FUNCTION sync_auth.user_admin_org_ids() IS 'Definer: orgs where the caller may trigger syncs and read the trigger audit.';

--
-- Name: user_org_ids(); Type: FUNCTION; Schema: sync_auth; Owner: -
--

CREATE FUNCTION sync_auth.user_org_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select m.org_id from public.organization_members m where m.user_id = auth.uid()
$$;

--
-- Name: FUNCTION user_org_ids(); Type: COMMENT; Schema: sync_auth; Owner: -
--

COMMENT ON FUNCTION sync_auth.user_org_ids() IS 'Definer: reads memberships for RLS without recursing into organization_members policies.';

--
-- Name: audit_is_append_only(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.audit_is_append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  -- Only sync_engine.purge_trigger_audit sets this flag, for the duration of its transaction.
  if tg_op = 'DELETE' and current_setting('sync_engine.audit_purge', true) = 'on' then
    return old;
  end if;
  raise exception 'sync_trigger_audit is append-only'
    using errcode = '42501', hint = 'Use sync_engine.purge_trigger_audit for retention.';
end;
$$;

--
-- Name: authorize_org_caller(uuid, text[], text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.authorize_org_caller(p_org_id uuid, p_roles text[], p_action text) RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
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

--
-- Name: FUNCTION authorize_org_caller(p_org_id uuid, p_roles text[], p_action text); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.authorize_org_caller(p_org_id uuid, p_roles text[], p_action text) IS 'Client RPC checks 1–3 in order (signed in; JWT org_id = p_org_id; role in p_roles); returns the user id.';

--
-- Name: backoff_seconds(integer, double precision, double precision); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.backoff_seconds(p_attempt integer, p_base_seconds double precision DEFAULT 30, p_cap_seconds double precision DEFAULT 3600) RETURNS double precision
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  select pg_catalog.random() * least(p_cap_seconds, p_base_seconds * power(2, greatest(p_attempt, 1) - 1))
$$;

--
-- Name: caller_user_id(text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.caller_user_id(p_action text) RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $_$
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
$_$;

--
-- Name: FUNCTION caller_user_id(p_action text); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.caller_user_id(p_action text) IS 'The signed-in caller''s user id from the JWT; permission_denied 401 when there is none.';

--
-- Name: cancel_run(uuid); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.cancel_run(p_run_id uuid) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: sync_run_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sync_run_log (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    integration_id uuid NOT NULL,
    integration_type text NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    triggered_by text NOT NULL,
    triggered_by_user_id uuid,
    triggered_at timestamp with time zone DEFAULT now() NOT NULL,
    scheduled_for timestamp with time zone,
    idempotency_key text,
    attempt integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 5 NOT NULL,
    run_after timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    heartbeat_at timestamp with time zone,
    lease_expires_at timestamp with time zone,
    worker_id text,
    records_exported integer DEFAULT 0 NOT NULL,
    error_code text,
    error_message text,
    progress jsonb DEFAULT '{}'::jsonb NOT NULL,
    drift_ms integer,
    skip_reason text,
    cancel_requested_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT sync_run_log_attempt_check CHECK ((attempt >= 0)),
    CONSTRAINT sync_run_log_check CHECK (((triggered_by = 'manual'::text) OR (triggered_by_user_id IS NULL))),
    CONSTRAINT sync_run_log_check1 CHECK (((status = 'skipped'::text) = (skip_reason IS NOT NULL))),
    CONSTRAINT sync_run_log_max_attempts_check CHECK ((max_attempts >= 1)),
    CONSTRAINT sync_run_log_records_exported_check CHECK ((records_exported >= 0)),
    CONSTRAINT sync_run_log_skip_reason_check CHECK (((skip_reason IS NULL) OR (skip_reason = ANY (ARRAY['overlap'::text, 'missed'::text])))),
    CONSTRAINT sync_run_log_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'running'::text, 'succeeded'::text, 'failed'::text, 'cancelled'::text, 'skipped'::text]))),
    CONSTRAINT sync_run_log_triggered_by_check CHECK ((triggered_by = ANY (ARRAY['manual'::text, 'scheduled'::text])))
);

--
-- Name: claim_runs(text, integer, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.claim_runs(p_worker_id text, p_limit integer DEFAULT 1, p_lease_seconds integer DEFAULT 60) RETURNS SETOF public.sync_run_log
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: complete_runs(text, uuid[], integer[], integer[]); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.complete_runs(p_worker_id text, p_run_ids uuid[], p_attempts integer[], p_records_exported integer[] DEFAULT NULL::integer[]) RETURNS SETOF uuid
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: dispatch_run(uuid); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.dispatch_run(p_run_id uuid) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  perform sync_engine.wake_workers(p_run_id::text);
  perform sync_engine.post_to_worker(pg_catalog.jsonb_build_object('run_id', p_run_id));
end;
$$;

--
-- Name: enqueue_run(uuid, text, uuid, timestamp with time zone, text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.enqueue_run(p_integration_id uuid, p_triggered_by text, p_user_id uuid DEFAULT NULL::uuid, p_scheduled_for timestamp with time zone DEFAULT NULL::timestamp with time zone, p_idempotency_key text DEFAULT NULL::text, OUT run_id uuid, OUT outcome text) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: fail_run(uuid, text, integer, text, text, boolean, double precision, boolean, double precision, double precision); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.fail_run(p_run_id uuid, p_worker_id text, p_attempt integer, p_error_code text, p_error_message text, p_retryable boolean DEFAULT true, p_retry_after_seconds double precision DEFAULT NULL::double precision, p_charge_attempt boolean DEFAULT true, p_backoff_base_seconds double precision DEFAULT 30, p_backoff_cap_seconds double precision DEFAULT 3600) RETURNS text
    LANGUAGE sql
    SET search_path TO ''
    AS $$
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

--
-- Name: finish_cancelled(uuid, text, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.finish_cancelled(p_run_id uuid, p_worker_id text, p_attempt integer) RETURNS boolean
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  with done as (
    update public.sync_run_log r set
      status = 'cancelled', finished_at = now(), lease_expires_at = null,
      error_code = 'cancelled', error_message = 'Cancelled on request.'
    where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running'
    returning 1
  )
  select exists (select from done)
$$;

--
-- Name: guard_run_transition(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.guard_run_transition() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: heartbeat_runs(text, uuid[], integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.heartbeat_runs(p_worker_id text, p_run_ids uuid[], p_lease_seconds integer DEFAULT 60) RETURNS TABLE(run_id uuid, cancel_requested boolean)
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  update public.sync_run_log r set
    heartbeat_at = now(),
    lease_expires_at = now() + make_interval(secs => p_lease_seconds)
  where r.id = any (p_run_ids) and r.worker_id = p_worker_id and r.status = 'running'
  returning r.id, r.cancel_requested_at is not null
$$;

--
-- Name: install_serverless(text, text, text, text, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.install_serverless(p_function_url text, p_token_vault_name text DEFAULT NULL::text, p_token text DEFAULT NULL::text, p_schedule text DEFAULT '* * * * *'::text, p_prewarm_lead_seconds integer DEFAULT 30) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  -- pg_cron's named schedule upserts by (jobname, username): installing twice keeps one job.
  c_job_name constant text := 'sync-scheduler-sweep';
  c_vault_name constant text := 'sync_scheduler.dispatch_token';
  c_prewarm_job constant text := 'sync-scheduler-prewarm';
  v_prewarm_job_id bigint;
  v_exists boolean;
  v_job_id bigint;
  v_secret_id uuid;
  v_source text;
begin
  if to_regprocedure('cron.schedule(text, text, text)') is null then
    perform sync_engine.raise_api_error('pg_cron_unavailable', 409,
      'pg_cron is not installed in this database, so the serverless sweep cannot be scheduled. '
      || 'Enable pg_cron (and pg_net), or run `sync-scheduler worker` processes instead.');
  end if;
  if to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is null then
    perform sync_engine.raise_api_error('pg_net_unavailable', 409,
      'pg_net is not installed in this database, so nothing can reach the worker function. '
      || 'Enable pg_net, or run `sync-scheduler worker` processes instead.');
  end if;
  if p_function_url is null or p_function_url !~ '^https?://[^/[:space:]]+(/[^[:space:]]*)?$' then
    perform sync_engine.raise_api_error('invalid_dispatch_url', 400,
      'The function URL must be an absolute http(s) URL, e.g. https://<ref>.supabase.co/functions/v1/sync-worker.');
  end if;
  if (p_token_vault_name is null) = (p_token is null) then
    perform sync_engine.raise_api_error('invalid_dispatch_token', 400,
      'Give exactly one of p_token (the function''s SYNC_WORKER_SECRET) and p_token_vault_name (a Vault secret holding it).');
  end if;
  if p_prewarm_lead_seconds is null or p_prewarm_lead_seconds not between 0 and 600 then
    perform sync_engine.raise_api_error('invalid_prewarm_lead', 400,
      'The pre-warm lead must be 0 (off) to 600 seconds.');
  end if;
  if p_token is not null and (pg_catalog.btrim(p_token) = '' or length(p_token) > 4096) then
    perform sync_engine.raise_api_error('invalid_dispatch_token', 400,
      'The dispatch token must be a non-empty string of at most 4096 characters.');
  end if;

  if p_token_vault_name is not null then
    if not sync_engine.vault_available() then
      perform sync_engine.raise_api_error('vault_unavailable', 409,
        'Supabase Vault is not available in this database; pass p_token instead.');
    end if;
    execute 'select s.id from vault.secrets s where s.name = $1' into v_secret_id using p_token_vault_name;
    if v_secret_id is null then
      perform sync_engine.raise_api_error('vault_secret_not_found', 404, 'No Vault secret with this name.',
        pg_catalog.jsonb_build_object('name', p_token_vault_name));
    end if;
    v_source := 'vault';
  elsif sync_engine.vault_available() then
    -- A token given in the clear still goes to Vault where it exists (encrypted at rest).
    execute 'select s.id from vault.secrets s where s.name = $1' into v_secret_id using c_vault_name;
    if v_secret_id is null then
      execute 'select vault.create_secret(new_secret := $1, new_name := $2, new_description := $3)'
        using p_token, c_vault_name, 'Sync Scheduler: bearer token for the sync-worker Edge Function';
    else
      execute 'select vault.update_secret(secret_id := $1, new_secret := $2)' using v_secret_id, p_token;
    end if;
    p_token_vault_name := c_vault_name;
    p_token := null;
    v_source := 'vault';
  else
    v_source := 'table';
  end if;

  delete from sync_engine.settings s
  where s.key in ('dispatch_url', 'dispatch_token', 'dispatch_token_vault_name');
  insert into sync_engine.settings (key, value)
  select k, v from (values
    ('dispatch_url', p_function_url),
    ('dispatch_token', p_token),
    ('dispatch_token_vault_name', p_token_vault_name)) as t (k, v)
  where v is not null;

  execute 'select cron.schedule($1, $2, $3)' into v_job_id
    using c_job_name, p_schedule, 'select sync_engine.serverless_sweep()';

  -- Pre-warm: every minute, warm the function p_prewarm_lead_seconds before the periods that start
  -- within it (serverless_prewarm sleeps to that point; pg_cron 1.4 schedules by the minute only).
  if p_prewarm_lead_seconds > 0 then
    execute 'select cron.schedule($1, $2, $3)' into v_prewarm_job_id
      using c_prewarm_job, '* * * * *',
            pg_catalog.format('select sync_engine.serverless_prewarm(%s)', p_prewarm_lead_seconds);
  else
    execute 'select exists (select from cron.job where jobname = $1)' into v_exists using c_prewarm_job;
    if v_exists then
      execute 'select cron.unschedule($1)' using c_prewarm_job;
    end if;
  end if;

  return pg_catalog.jsonb_build_object(
    'job_id', v_job_id,
    'job_name', c_job_name,
    'schedule', p_schedule,
    'dispatch_url', p_function_url,
    'token_source', v_source,
    'token_vault_name', p_token_vault_name,
    'prewarm_job_id', v_prewarm_job_id,
    'prewarm_lead_seconds', p_prewarm_lead_seconds);
end;
$_$;

--
-- Name: FUNCTION install_serverless(p_function_url text, p_token_vault_name text, p_token text, p_schedule text, p_prewarm_lead_seconds integer); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.install_serverless(p_function_url text, p_token_vault_name text, p_token text, p_schedule text, p_prewarm_lead_seconds integer) IS 'Points dispatches at the worker Edge Function (URL + bearer token, Vault where available), schedules the pg_cron sweep job sync-scheduler-sweep and the pre-warm job sync-scheduler-prewarm (p_prewarm_lead_seconds, default 30, 0 = none). Service role / owner only. Errors: pg_cron_unavailable, pg_net_unavailable, invalid_dispatch_url, invalid_dispatch_token, invalid_prewarm_lead, vault_unavailable, vault_secret_not_found.';

--
-- Name: integration_runtime(uuid); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.integration_runtime(integration_id uuid) RETURNS TABLE(org_id uuid, integration_type text, enabled boolean, config jsonb, credentials jsonb, credentials_source text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $_$
#variable_conflict use_column
declare
  v_id uuid := integration_runtime.integration_id;
  v_stored sync_engine.integration_credentials%rowtype;
  v_secret text;
begin
  select * into v_stored from sync_engine.integration_credentials c where c.integration_id = v_id;
  if v_stored.vault_secret_id is not null and sync_engine.vault_available() then
    execute 'select s.decrypted_secret from vault.decrypted_secrets s where s.id = $1'
      into v_secret using v_stored.vault_secret_id;
  end if;
  return query
  select i.org_id, i.integration_type, i.enabled, i.config,
    case when v_stored.vault_secret_id is not null then v_secret::jsonb else v_stored.credentials end,
    case
      when v_stored.vault_secret_id is not null and v_secret is not null then 'vault'
      when v_stored.credentials is not null then 'table'
    end
  from public.organization_integrations i
  where i.id = v_id;
end;
$_$;

--
-- Name: FUNCTION integration_runtime(integration_id uuid); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.integration_runtime(integration_id uuid) IS 'For the worker: type, config and decrypted credentials of one integration (no row when it does not exist).';

--
-- Name: mark_batch_in_flight(uuid, text, integer, uuid[], integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.mark_batch_in_flight(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[], p_lease_seconds integer DEFAULT NULL::integer) RETURNS timestamp with time zone
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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
      else greatest(r.lease_expires_at, now() + make_interval(secs => p_lease_seconds)) end
  where r.id = v_run.id
  returning r.lease_expires_at into v_run.lease_expires_at;
  return v_run.lease_expires_at;
end;
$$;

--
-- Name: next_export_batch(uuid, text, integer, uuid, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.next_export_batch(p_run_id uuid, p_worker_id text, p_attempt integer, p_after_id uuid, p_limit integer) RETURNS TABLE(entry_id uuid, entry_date text, account text, amount text, currency text, description text, in_flight boolean)
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $_$
declare
  v_org_id uuid;
  v_integration_id uuid;
begin
  select r.org_id, r.integration_id into v_org_id, v_integration_id
  from public.sync_run_log r
  where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running';
  if not found then
    perform sync_engine.raise_run_not_held(p_run_id, p_worker_id, p_attempt);
  end if;
  return query
  select e.id,
    to_char(e.entry_date, 'YYYY-MM-DD'),
    e.account,
    e.amount::text,
    e.currency,
    e.description,
    exists (select from sync_engine.export_in_flight f
            where f.integration_id = v_integration_id and f.entry_id = e.id)
  from public.ledger_entries e
  where e.org_id = v_org_id
    and e.approved_at is not null
    and (p_after_id is null or e.id > p_after_id)
    and not exists (select from public.ledger_entry_exports x
                    where x.entry_id = e.id and x.integration_id = v_integration_id)
  order by e.id
  -- 1,000 at most: one batch is one external request (BC $batch caps at 100 operations).
  limit least(greatest(coalesce(p_limit, 100), 1), 1000);
end;
$_$;

--
-- Name: passive_health_from_run(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.passive_health_from_run() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  update public.organization_integrations i set
    health_status = case when new.status = 'succeeded' then 'healthy' else 'unhealthy' end,
    health_checked_at = now(),
    health_last_error = case when new.status = 'succeeded' then null
                             else left(coalesce(new.error_code, 'error') || ': ' || coalesce(new.error_message, ''), 500) end
  where i.id = (
    -- SKIP LOCKED: a scheduler tick may hold this row while it waits for this very transaction
    -- (its insert checks the one-active-run index against the row we are updating). Health is
    -- advisory; one skipped update is corrected by the next run.
    select x.id from public.organization_integrations x
    where x.id = new.integration_id and x.health_mode = 'passive'
    for no key update skip locked);
  return null;
end;
$$;

--
-- Name: period_key(uuid, timestamp with time zone); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.period_key(p_integration_id uuid, p_period timestamp with time zone) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
  select p_integration_id::text || ':'
    || pg_catalog.to_char(p_period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

--
-- Name: FUNCTION period_key(p_integration_id uuid, p_period timestamp with time zone); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.period_key(p_integration_id uuid, p_period timestamp with time zone) IS 'Idempotency key of a scheduled period: <integration id>:<nominal period start, ISO UTC, ms>.';

--
-- Name: post_to_worker(jsonb); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.post_to_worker(p_body jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_url text;
  v_token text;
  v_vault_name text;
  v_request_id bigint;
begin
  select s.value into v_url from sync_engine.settings s where s.key = 'dispatch_url';
  if v_url is null or to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is null then
    return null;
  end if;
  select s.value into v_token from sync_engine.settings s where s.key = 'dispatch_token';
  select s.value into v_vault_name from sync_engine.settings s where s.key = 'dispatch_token_vault_name';
  if v_vault_name is not null and to_regclass('vault.decrypted_secrets') is not null then
    execute 'select decrypted_secret from vault.decrypted_secrets where name = $1'
      into v_token using v_vault_name;
  end if;
  execute 'select net.http_post(url := $1, body := $2, headers := $3, timeout_milliseconds := 5000)'
    into v_request_id
    using v_url,
          coalesce(p_body, '{}'::jsonb),
          pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'Content-Type', 'application/json',
            'Authorization', case when v_token is null then null else 'Bearer ' || v_token end));
  return v_request_id;
end;
$_$;

--
-- Name: FUNCTION post_to_worker(p_body jsonb); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.post_to_worker(p_body jsonb) IS 'POSTs a body to the worker Edge Function through pg_net with the stored dispatch token; null when not configured.';

--
-- Name: prune_run_log(interval, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.prune_run_log(p_older_than interval DEFAULT '90 days'::interval, p_limit integer DEFAULT 5000) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_count integer;
begin
  if p_older_than < interval '1 day' then
    raise exception 'run-log retention must be at least 1 day, got %', p_older_than using errcode = '22023';
  end if;
  delete from public.sync_run_log r
  where r.id in (
    select x.id from public.sync_run_log x
    where x.status in ('succeeded', 'failed', 'cancelled', 'skipped')
      and coalesce(x.finished_at, x.triggered_at) < now() - p_older_than
    limit p_limit
  );
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

--
-- Name: purge_trigger_audit(interval); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.purge_trigger_audit(p_older_than interval DEFAULT '5 years'::interval) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

--
-- Name: raise_api_error(text, integer, text, jsonb, text, jsonb); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.raise_api_error(p_code text, p_status integer, p_message text, p_details jsonb DEFAULT NULL::jsonb, p_hint text DEFAULT NULL::text, p_headers jsonb DEFAULT '{}'::jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: raise_drift_alert(uuid, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.raise_drift_alert(p_run_id uuid, p_threshold_ms integer) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_run public.sync_run_log%rowtype;
begin
  select * into v_run from public.sync_run_log r where r.id = p_run_id;
  if not found or v_run.drift_ms is null or v_run.drift_ms <= p_threshold_ms then
    return false;
  end if;
  insert into public.sync_alerts (org_id, integration_id, run_id, kind, severity, message, details)
  select v_run.org_id, v_run.integration_id, v_run.id, 'drift', 'warning',
    format('Scheduled run started %s s after its scheduled time.', round(v_run.drift_ms / 1000.0)),
    pg_catalog.jsonb_build_object('drift_ms', v_run.drift_ms, 'scheduled_for', v_run.scheduled_for,
      'threshold_ms', p_threshold_ms)
  where not exists (select from public.sync_alerts a where a.run_id = v_run.id and a.kind = 'drift');
  return true;
end;
$$;

--
-- Name: raise_run_not_held(uuid, text, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.raise_run_not_held(p_run_id uuid, p_worker_id text, p_attempt integer) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  select sync_engine.raise_api_error('run_not_held', 409,
    'This worker no longer holds the run; nothing was recorded.',
    pg_catalog.jsonb_build_object('run_id', p_run_id, 'worker_id', p_worker_id, 'attempt', p_attempt))
$$;

--
-- Name: reap_expired_leases(integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.reap_expired_leases(p_limit integer DEFAULT 1000) RETURNS TABLE(run_id uuid, status text)
    LANGUAGE sql
    SET search_path TO ''
    AS $$
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

--
-- Name: record_cold_start(text, uuid, text, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.record_cold_start(p_kind text, p_run_id uuid DEFAULT NULL::uuid, p_worker_id text DEFAULT NULL::text, p_isolate_age_ms integer DEFAULT NULL::integer) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    AS $$
  insert into public.function_cold_starts
    (kind, org_id, integration_id, integration_type, run_id, worker_id, isolate_age_ms, prewarm_sent_at)
  select p_kind, r.org_id, r.integration_id, r.integration_type, p_run_id, p_worker_id, p_isolate_age_ms,
         (select w.sent_at from sync_engine.prewarms w where w.integration_id = r.integration_id)
  from (select 1) as one
  left join public.sync_run_log r on r.id = p_run_id
  returning id
$$;

--
-- Name: FUNCTION record_cold_start(p_kind text, p_run_id uuid, p_worker_id text, p_isolate_age_ms integer); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.record_cold_start(p_kind text, p_run_id uuid, p_worker_id text, p_isolate_age_ms integer) IS 'Records one cold start of the worker Edge Function (kind dispatch|sweep; org and integration from the run). Service role only.';

--
-- Name: record_exports(uuid, text, integer, uuid[], text[], jsonb); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.record_exports(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[], p_external_ids text[], p_cursor jsonb) RETURNS TABLE(recorded integer, records_exported integer)
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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
    records_exported = r.records_exported + v_recorded,
    progress = (r.progress - 'in_flight') || pg_catalog.jsonb_build_object(
      'cursor', coalesce(p_cursor, r.progress -> 'cursor'),
      'batches', coalesce((r.progress ->> 'batches')::integer, 0) + 1,
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

--
-- Name: record_health_check(uuid, boolean, integer, text, text, text, text, timestamp with time zone); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.record_health_check(p_integration_id uuid, p_ok boolean, p_latency_ms integer, p_error_code text, p_error_message text, p_status text, p_mode text, p_next_check_at timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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
    health_consecutive_failures = case when p_ok then 0 else i.health_consecutive_failures + 1 end,
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

--
-- Name: record_snooze(uuid, text, integer, text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.record_snooze(p_run_id uuid, p_worker_id text, p_attempt integer, p_code text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_snoozes integer;
begin
  update public.sync_run_log r set
    progress = r.progress || pg_catalog.jsonb_build_object(
      'snoozes', coalesce((r.progress ->> 'snoozes')::integer, 0) + 1,
      'last_snooze', pg_catalog.jsonb_build_object('code', left(p_code, 100), 'at', now()))
  where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running'
  returning (r.progress ->> 'snoozes')::integer into v_snoozes;
  if v_snoozes is null then
    perform sync_engine.raise_run_not_held(p_run_id, p_worker_id, p_attempt);
  end if;
  return v_snoozes;
end;
$$;

--
-- Name: release_runs(text, uuid[]); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.release_runs(p_worker_id text, p_run_ids uuid[]) RETURNS SETOF uuid
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  update public.sync_run_log r set
    status = 'pending',
    attempt = greatest(r.attempt - 1, 0),
    worker_id = null,
    lease_expires_at = null,
    run_after = now()
  where r.id = any (p_run_ids) and r.worker_id = p_worker_id and r.status = 'running'
  returning r.id
$$;

--
-- Name: require_member_role(uuid, uuid, text[], text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.require_member_role(p_org_id uuid, p_user_id uuid, p_roles text[], p_action text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
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

--
-- Name: FUNCTION require_member_role(p_org_id uuid, p_user_id uuid, p_roles text[], p_action text); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.require_member_role(p_org_id uuid, p_user_id uuid, p_roles text[], p_action text) IS 'The caller''s role in the org when it is one of p_roles; permission_denied 403 otherwise.';

--
-- Name: run_lock_key(uuid, text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.run_lock_key(p_org_id uuid, p_integration_type text) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
  select pg_catalog.hashtextextended('sync:' || p_org_id::text || ':' || p_integration_type, 0)
$$;

--
-- Name: FUNCTION run_lock_key(p_org_id uuid, p_integration_type text); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.run_lock_key(p_org_id uuid, p_integration_type text) IS 'The advisory lock key that serializes enqueues per (org, integration type).';

--
-- Name: schedule_due_plans(timestamp with time zone, integer, text[], text[], timestamp with time zone[], timestamp with time zone[], timestamp with time zone[]); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.schedule_due_plans(p_now timestamp with time zone, p_limit integer, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]) RETURNS TABLE(integration_id uuid, org_id uuid, integration_type text, run_id uuid, outcome text)
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: FUNCTION schedule_due_plans(p_now timestamp with time zone, p_limit integer, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.schedule_due_plans(p_now timestamp with time zone, p_limit integer, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]) IS 'Scheduler step from plans: locks up to p_limit due integrations whose (cron, zone, next_run_at) has a plan without missed periods, enqueues each period (set-based; duplicates and overlaps through enqueue_run), moves next_run_at. Returns one row per locked integration.';

--
-- Name: schedule_periods(uuid, timestamp with time zone, timestamp with time zone, timestamp with time zone[], timestamp with time zone); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.schedule_periods(p_integration_id uuid, p_expected_next_run_at timestamp with time zone, p_run_period timestamp with time zone, p_missed_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone) RETURNS TABLE(run_id uuid, outcome text)
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: serverless_prewarm(integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.serverless_prewarm(p_lead_seconds integer DEFAULT 30) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_lead interval := pg_catalog.make_interval(secs => greatest(coalesce(p_lead_seconds, 30), 0));
  v_now timestamptz := pg_catalog.clock_timestamp();
  v_period timestamptz;
  v_ids uuid[];
  v_request bigint;
begin
  select min(i.next_run_at) into v_period
  from public.organization_integrations i
  where i.enabled and i.schedule_cron is not null
    and i.next_run_at - v_lead >= v_now and i.next_run_at - v_lead < v_now + interval '60 seconds';
  if v_period is null then
    return null;
  end if;
  select pg_catalog.array_agg(i.id order by i.id) into v_ids
  from public.organization_integrations i
  where i.enabled and i.schedule_cron is not null and i.next_run_at = v_period;
  perform pg_catalog.pg_sleep(greatest(0, extract(epoch from (v_period - v_lead) - pg_catalog.clock_timestamp())));
  v_request := sync_engine.post_to_worker(pg_catalog.jsonb_build_object(
    'warmup', true, 'period_at', v_period, 'integration_ids', to_jsonb(v_ids)));
  if v_request is not null then
    insert into sync_engine.prewarms (integration_id, period_at, sent_at)
    select id, v_period, pg_catalog.clock_timestamp() from unnest(v_ids) as t (id)
    on conflict (integration_id) do update set period_at = excluded.period_at, sent_at = excluded.sent_at;
  end if;
  return v_request;
end;
$$;

--
-- Name: FUNCTION serverless_prewarm(p_lead_seconds integer); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.serverless_prewarm(p_lead_seconds integer) IS 'Run by the pg_cron job sync-scheduler-prewarm: posts {"warmup":true} to the worker function p_lead_seconds before the scheduled periods starting within the coming minute.';

--
-- Name: serverless_sweep(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.serverless_sweep() RETURNS bigint
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  select sync_engine.post_to_worker('{}'::jsonb)
$$;

--
-- Name: FUNCTION serverless_sweep(); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.serverless_sweep() IS 'Run by the pg_cron job sync-scheduler-sweep: asks the worker Edge Function for a sweep (reap, scheduler tick, health pings, pending runs).';

--
-- Name: set_integration_credentials(uuid, jsonb); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.set_integration_credentials(integration_id uuid, credentials jsonb) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
#variable_conflict use_column
declare
  v_id uuid := set_integration_credentials.integration_id;
  v_credentials jsonb := set_integration_credentials.credentials;
  v_type text;
  v_required text[];
  v_problems text[] := array[]::text[];
  v_key text;
  v_unexpected text[];
  v_secret_id uuid;
  v_name text;
begin
  select i.integration_type into v_type from public.organization_integrations i where i.id = v_id;
  if v_type is null then
    perform sync_engine.raise_api_error('integration_not_found', 404,
      'No integration with this id.', pg_catalog.jsonb_build_object('integration_id', v_id));
  end if;

  -- The shapes of docs/architecture.md §9. Problems name keys, never values: a secret must not reach a log.
  v_required := case v_type
    when 'xledger' then array['token']
    when 'dynamics' then array['client_id', 'client_secret']
  end;
  if v_credentials is null or pg_catalog.jsonb_typeof(v_credentials) <> 'object' then
    v_problems := v_problems || 'credentials must be a JSON object'::text;
  else
    foreach v_key in array v_required loop
      if pg_catalog.jsonb_typeof(v_credentials -> v_key) is distinct from 'string'
         or pg_catalog.btrim(v_credentials ->> v_key) = '' then
        v_problems := v_problems || format('%s must be a non-empty string', v_key);
      elsif length(v_credentials ->> v_key) > 4096 then
        -- Xledger tokens and Entra client secrets are well under 200 characters.
        v_problems := v_problems || format('%s is longer than 4096 characters', v_key);
      end if;
    end loop;
    select array_agg(left(k, 50) order by k) into v_unexpected
    from pg_catalog.jsonb_object_keys(v_credentials) as k
    where not (k = any (v_required));
    if v_unexpected is not null then
      v_problems := v_problems || format('unexpected key(s) %s', array_to_string(v_unexpected, ', '));
    end if;
  end if;
  if cardinality(v_problems) > 0 then
    perform sync_engine.raise_api_error('invalid_credentials', 400,
      format('Credentials for a %s integration must look like %s.', v_type,
        case v_type when 'xledger' then '{"token":"…"}' else '{"client_id":"…","client_secret":"…"}' end),
      pg_catalog.jsonb_build_object('integration_type', v_type, 'problems', to_jsonb(v_problems)));
  end if;

  if sync_engine.vault_available() then
    v_name := 'sync_scheduler.integration.' || v_id::text;
    select c.vault_secret_id into v_secret_id
    from sync_engine.integration_credentials c where c.integration_id = v_id;
    if v_secret_id is not null then
      execute 'select s.id from vault.secrets s where s.id = $1' into v_secret_id using v_secret_id;
    end if;
    if v_secret_id is null then
      execute 'select s.id from vault.secrets s where s.name = $1' into v_secret_id using v_name;
    end if;
    if v_secret_id is null then
      execute 'select vault.create_secret(new_secret := $1, new_name := $2, new_description := $3)'
        into v_secret_id
        using v_credentials::text, v_name, format('Sync Scheduler %s credentials', v_type);
    else
      execute 'select vault.update_secret(secret_id := $1, new_secret := $2)'
        using v_secret_id, v_credentials::text;
    end if;
    insert into sync_engine.integration_credentials as c (integration_id, vault_secret_id, credentials)
    values (v_id, v_secret_id, null)
    on conflict (integration_id) do update
      set vault_secret_id = excluded.vault_secret_id, credentials = null, updated_at = now();
    return 'vault';
  end if;

  insert into sync_engine.integration_credentials as c (integration_id, vault_secret_id, credentials)
  values (v_id, null, v_credentials)
  on conflict (integration_id) do update
    set vault_secret_id = null, credentials = excluded.credentials, updated_at = now();
  return 'table';
end;
$_$;

--
-- Name: FUNCTION set_integration_credentials(integration_id uuid, credentials jsonb); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.set_integration_credentials(integration_id uuid, credentials jsonb) IS 'Stores credentials (Vault where available, else the owner-only table); returns ''vault'' or ''table''. Errors: integration_not_found, invalid_credentials.';

--
-- Name: uninstall_serverless(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.uninstall_serverless() RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_unscheduled boolean := false;
  v_exists boolean;
  v_removed integer;
begin
  if to_regprocedure('cron.unschedule(text)') is not null and to_regclass('cron.job') is not null then
    -- cron.unschedule raises for an unknown job name: look first.
    execute 'select exists (select from cron.job where jobname = $1)' into v_exists using 'sync-scheduler-sweep';
    if v_exists then
      execute 'select cron.unschedule($1)' into v_unscheduled using 'sync-scheduler-sweep';
    end if;
    execute 'select exists (select from cron.job where jobname = $1)' into v_exists using 'sync-scheduler-prewarm';
    if v_exists then
      execute 'select cron.unschedule($1)' using 'sync-scheduler-prewarm';
    end if;
  end if;
  delete from sync_engine.settings s
  where s.key in ('dispatch_url', 'dispatch_token', 'dispatch_token_vault_name');
  get diagnostics v_removed = row_count;
  -- A Vault secret is left in place: it may be the caller's own (p_token_vault_name).
  return pg_catalog.jsonb_build_object('unscheduled', coalesce(v_unscheduled, false), 'settings_removed', v_removed);
end;
$_$;

--
-- Name: FUNCTION uninstall_serverless(); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.uninstall_serverless() IS 'Removes the pg_cron sweep job and the dispatch settings: enqueues only notify LISTENing workers again. Service role / owner only.';

--
-- Name: validate_integration(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.validate_integration() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  -- Checked only when the zone changes: the scheduler updates next_run_at on every period, and
  -- a scan of pg_timezone_names costs ~100 ms, while `at time zone` is a cache lookup.
  if tg_op = 'INSERT' or new.schedule_timezone is distinct from old.schedule_timezone then
    begin
      perform now() at time zone new.schedule_timezone;
    exception when invalid_parameter_value then
      raise exception 'unknown time zone "%"', left(new.schedule_timezone, 100)
        using errcode = '22023', hint = 'Use an IANA zone name such as Europe/Oslo.';
    end;
  end if;
  if tg_op = 'UPDATE' then
    new.updated_at := now();
    -- A changed schedule invalidates the stored next run; the scheduler recomputes it.
    if new.schedule_cron is distinct from old.schedule_cron
       or new.schedule_timezone is distinct from old.schedule_timezone then
      new.next_run_at := null;
    end if;
  end if;
  return new;
end;
$$;

--
-- Name: vault_available(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.vault_available() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select (select count(*) from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'vault' and c.relname in ('secrets', 'decrypted_secrets')) = 2
     and exists (
       select from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'vault' and p.proname = 'create_secret')
     and exists (
       select from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'vault' and p.proname = 'update_secret')
$$;

--
-- Name: wake_workers(text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.wake_workers(p_payload text DEFAULT ''::text) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  select pg_catalog.pg_notify('sync_engine_wakeup', p_payload)
$$;

--
-- Name: FUNCTION wake_workers(p_payload text); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.wake_workers(p_payload text) IS 'NOTIFY sync_engine_wakeup: listening workers claim at once instead of at their next poll.';

--
-- Name: function_cold_starts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.function_cold_starts (
    id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    kind text NOT NULL,
    org_id uuid,
    integration_id uuid,
    integration_type text,
    run_id uuid,
    worker_id text,
    isolate_age_ms integer,
    prewarm_sent_at timestamp with time zone,
    CONSTRAINT function_cold_starts_kind_check CHECK ((kind = ANY (ARRAY['dispatch'::text, 'sweep'::text])))
);

--
-- Name: TABLE function_cold_starts; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.function_cold_starts IS 'Cold starts of the sync-worker Edge Function that real work paid for (warm-ups excluded); written by sync_engine.record_cold_start.';

--
-- Name: function_cold_starts_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.function_cold_starts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.function_cold_starts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: integration_health_checks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.integration_health_checks (
    id bigint NOT NULL,
    integration_id uuid NOT NULL,
    org_id uuid NOT NULL,
    checked_at timestamp with time zone DEFAULT now() NOT NULL,
    ok boolean NOT NULL,
    latency_ms integer,
    error_code text,
    error_message text
);

--
-- Name: integration_health_checks_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.integration_health_checks ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.integration_health_checks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: ledger_entries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ledger_entries (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    entry_date date DEFAULT CURRENT_DATE NOT NULL,
    account text NOT NULL,
    amount numeric(14,2) NOT NULL,
    currency text DEFAULT 'NOK'::text NOT NULL,
    description text,
    approved_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ledger_entries_account_check CHECK (((length(account) >= 1) AND (length(account) <= 50))),
    CONSTRAINT ledger_entries_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT ledger_entries_description_check CHECK (((description IS NULL) OR (length(description) <= 1000)))
);

--
-- Name: ledger_entry_exports; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ledger_entry_exports (
    entry_id uuid NOT NULL,
    integration_id uuid NOT NULL,
    org_id uuid NOT NULL,
    run_id uuid,
    external_id text NOT NULL,
    exported_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: organization_integrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.organization_integrations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    integration_type text NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    schedule_cron text,
    schedule_timezone text DEFAULT 'Europe/Oslo'::text NOT NULL,
    next_run_at timestamp with time zone,
    config jsonb DEFAULT '{}'::jsonb NOT NULL,
    health_status text DEFAULT 'unknown'::text NOT NULL,
    health_mode text DEFAULT 'active'::text NOT NULL,
    health_checked_at timestamp with time zone,
    health_next_check_at timestamp with time zone,
    health_consecutive_failures integer DEFAULT 0 NOT NULL,
    health_last_error text,
    max_attempts integer DEFAULT 5 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organization_integrations_config_check CHECK ((jsonb_typeof(config) = 'object'::text)),
    CONSTRAINT organization_integrations_health_consecutive_failures_check CHECK ((health_consecutive_failures >= 0)),
    CONSTRAINT organization_integrations_health_mode_check CHECK ((health_mode = ANY (ARRAY['active'::text, 'passive'::text]))),
    CONSTRAINT organization_integrations_health_status_check CHECK ((health_status = ANY (ARRAY['unknown'::text, 'healthy'::text, 'degraded'::text, 'unhealthy'::text]))),
    CONSTRAINT organization_integrations_integration_type_check CHECK ((integration_type = ANY (ARRAY['xledger'::text, 'dynamics'::text]))),
    CONSTRAINT organization_integrations_max_attempts_check CHECK (((max_attempts >= 1) AND (max_attempts <= 100))),
    CONSTRAINT organization_integrations_schedule_cron_check CHECK (((schedule_cron IS NULL) OR (length(schedule_cron) <= 200)))
);

--
-- Name: organization_members; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.organization_members (
    org_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organization_members_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'coordinator'::text, 'peer_mentor'::text, 'viewer'::text])))
);

--
-- Name: organizations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.organizations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organizations_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200)))
);

--
-- Name: sync_alerts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sync_alerts (
    id bigint NOT NULL,
    org_id uuid NOT NULL,
    integration_id uuid,
    run_id uuid,
    kind text NOT NULL,
    severity text DEFAULT 'warning'::text NOT NULL,
    message text NOT NULL,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    resolved_at timestamp with time zone,
    CONSTRAINT sync_alerts_kind_check CHECK ((kind = ANY (ARRAY['drift'::text, 'health'::text, 'missed'::text]))),
    CONSTRAINT sync_alerts_severity_check CHECK ((severity = ANY (ARRAY['info'::text, 'warning'::text, 'critical'::text])))
);

--
-- Name: sync_alerts_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.sync_alerts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.sync_alerts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: sync_trigger_audit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sync_trigger_audit (
    id bigint NOT NULL,
    run_id uuid NOT NULL,
    actor_user_id uuid NOT NULL,
    org_id uuid NOT NULL,
    integration_type text NOT NULL,
    action text DEFAULT 'trigger'::text NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT sync_trigger_audit_action_check CHECK ((action = ANY (ARRAY['trigger'::text, 'cancel'::text])))
);

--
-- Name: sync_trigger_audit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.sync_trigger_audit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.sync_trigger_audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: export_in_flight; Type: TABLE; Schema: sync_engine; Owner: -
--

CREATE TABLE sync_engine.export_in_flight (
    integration_id uuid NOT NULL,
    entry_id uuid NOT NULL,
    run_id uuid NOT NULL,
    attempt integer NOT NULL,
    marked_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: integration_credentials; Type: TABLE; Schema: sync_engine; Owner: -
--

CREATE TABLE sync_engine.integration_credentials (
    integration_id uuid NOT NULL,
    vault_secret_id uuid,
    credentials jsonb,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT integration_credentials_check CHECK (((vault_secret_id IS NULL) <> (credentials IS NULL)))
);

--
-- Name: TABLE integration_credentials; Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON TABLE sync_engine.integration_credentials IS 'Owner-only: reached through sync_engine.set_integration_credentials and sync_engine.integration_runtime (both definer, service_role only).';

--
-- Name: prewarms; Type: TABLE; Schema: sync_engine; Owner: -
--

CREATE TABLE sync_engine.prewarms (
    integration_id uuid NOT NULL,
    period_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone NOT NULL
);

--
-- Name: settings; Type: TABLE; Schema: sync_engine; Owner: -
--

CREATE TABLE sync_engine.settings (
    key text NOT NULL,
    value text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT settings_key_check CHECK ((key = ANY (ARRAY['dispatch_url'::text, 'dispatch_token'::text, 'dispatch_token_vault_name'::text])))
);

--
-- Name: function_cold_starts function_cold_starts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.function_cold_starts
    ADD CONSTRAINT function_cold_starts_pkey PRIMARY KEY (id);

--
-- Name: integration_health_checks integration_health_checks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integration_health_checks
    ADD CONSTRAINT integration_health_checks_pkey PRIMARY KEY (id);

--
-- Name: ledger_entries ledger_entries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_entries
    ADD CONSTRAINT ledger_entries_pkey PRIMARY KEY (id);

--
-- Name: ledger_entry_exports ledger_entry_exports_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_entry_exports
    ADD CONSTRAINT ledger_entry_exports_pkey PRIMARY KEY (entry_id, integration_id);

--
-- Name: organization_integrations organization_integrations_org_id_integration_type_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organization_integrations
    ADD CONSTRAINT organization_integrations_org_id_integration_type_key UNIQUE (org_id, integration_type);

--
-- Name: organization_integrations organization_integrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organization_integrations
    ADD CONSTRAINT organization_integrations_pkey PRIMARY KEY (id);

--
-- Name: organization_members organization_members_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organization_members
    ADD CONSTRAINT organization_members_pkey PRIMARY KEY (org_id, user_id);

--
-- Name: organizations organizations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_pkey PRIMARY KEY (id);

--
-- Name: sync_alerts sync_alerts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_alerts
    ADD CONSTRAINT sync_alerts_pkey PRIMARY KEY (id);

--
-- Name: sync_run_log sync_run_log_idempotency_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_run_log
    ADD CONSTRAINT sync_run_log_idempotency_key_key UNIQUE (idempotency_key);

--
-- Name: sync_run_log sync_run_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_run_log
    ADD CONSTRAINT sync_run_log_pkey PRIMARY KEY (id);

--
-- Name: sync_trigger_audit sync_trigger_audit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_trigger_audit
    ADD CONSTRAINT sync_trigger_audit_pkey PRIMARY KEY (id);

--
-- Name: export_in_flight export_in_flight_pkey; Type: CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.export_in_flight
    ADD CONSTRAINT export_in_flight_pkey PRIMARY KEY (integration_id, entry_id);

--
-- Name: integration_credentials integration_credentials_pkey; Type: CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.integration_credentials
    ADD CONSTRAINT integration_credentials_pkey PRIMARY KEY (integration_id);

--
-- Name: prewarms prewarms_pkey; Type: CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.prewarms
    ADD CONSTRAINT prewarms_pkey PRIMARY KEY (integration_id);

--
-- Name: settings settings_pkey; Type: CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (key);

--
-- Name: function_cold_starts_integration_recent; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX function_cold_starts_integration_recent ON public.function_cold_starts USING btree (integration_id, occurred_at DESC);

--
-- Name: integration_health_checks_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX integration_health_checks_idx ON public.integration_health_checks USING btree (integration_id, checked_at DESC);

--
-- Name: ledger_entries_approved_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_entries_approved_idx ON public.ledger_entries USING btree (org_id, id) WHERE (approved_at IS NOT NULL);

--
-- Name: ledger_entry_exports_integration_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_entry_exports_integration_idx ON public.ledger_entry_exports USING btree (integration_id, entry_id);

--
-- Name: organization_integrations_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organization_integrations_due_idx ON public.organization_integrations USING btree (COALESCE(next_run_at, '-infinity'::timestamp with time zone)) WHERE (enabled AND (schedule_cron IS NOT NULL));

--
-- Name: organization_members_user_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organization_members_user_idx ON public.organization_members USING btree (user_id);

--
-- Name: sync_alerts_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_alerts_org_idx ON public.sync_alerts USING btree (org_id, created_at DESC);

--
-- Name: sync_run_log_claim_order_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_run_log_claim_order_idx ON public.sync_run_log USING btree (run_after, triggered_at) WHERE (status = 'pending'::text);

--
-- Name: sync_run_log_integration_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_run_log_integration_idx ON public.sync_run_log USING btree (integration_id, triggered_at DESC);

--
-- Name: sync_run_log_lease_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_run_log_lease_idx ON public.sync_run_log USING btree (lease_expires_at) WHERE (status = 'running'::text);

--
-- Name: sync_run_log_one_active_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX sync_run_log_one_active_idx ON public.sync_run_log USING btree (org_id, integration_type) WHERE (status = ANY (ARRAY['pending'::text, 'running'::text]));

--
-- Name: sync_run_log_org_history_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_run_log_org_history_idx ON public.sync_run_log USING btree (org_id, triggered_at DESC);

--
-- Name: sync_trigger_audit_rate_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_trigger_audit_rate_idx ON public.sync_trigger_audit USING btree (org_id, integration_type, occurred_at DESC) WHERE (action = 'trigger'::text);

--
-- Name: sync_trigger_audit_run_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_trigger_audit_run_idx ON public.sync_trigger_audit USING btree (run_id);

--
-- Name: export_in_flight_entry_idx; Type: INDEX; Schema: sync_engine; Owner: -
--

CREATE INDEX export_in_flight_entry_idx ON sync_engine.export_in_flight USING btree (entry_id);

--
-- Name: organization_integrations organization_integrations_validate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER organization_integrations_validate BEFORE INSERT ON public.organization_integrations FOR EACH ROW EXECUTE FUNCTION sync_engine.validate_integration();

--
-- Name: organization_integrations organization_integrations_validate_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER organization_integrations_validate_update BEFORE UPDATE ON public.organization_integrations FOR EACH ROW WHEN (((NOT (new.updated_at IS DISTINCT FROM old.updated_at)) OR (new.schedule_cron IS DISTINCT FROM old.schedule_cron) OR (new.schedule_timezone IS DISTINCT FROM old.schedule_timezone))) EXECUTE FUNCTION sync_engine.validate_integration();

--
-- Name: sync_run_log sync_run_log_guard_transition; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER sync_run_log_guard_transition BEFORE UPDATE ON public.sync_run_log FOR EACH ROW EXECUTE FUNCTION sync_engine.guard_run_transition();

--
-- Name: sync_run_log sync_run_log_passive_health; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER sync_run_log_passive_health AFTER UPDATE OF status ON public.sync_run_log FOR EACH ROW WHEN (((new.status = ANY (ARRAY['succeeded'::text, 'failed'::text])) AND (old.status IS DISTINCT FROM new.status))) EXECUTE FUNCTION sync_engine.passive_health_from_run();

--
-- Name: sync_trigger_audit sync_trigger_audit_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER sync_trigger_audit_append_only BEFORE DELETE OR UPDATE ON public.sync_trigger_audit FOR EACH ROW EXECUTE FUNCTION sync_engine.audit_is_append_only();

--
-- Name: sync_trigger_audit sync_trigger_audit_no_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER sync_trigger_audit_no_truncate BEFORE TRUNCATE ON public.sync_trigger_audit FOR EACH STATEMENT EXECUTE FUNCTION sync_engine.audit_is_append_only();

--
-- Name: function_cold_starts function_cold_starts_integration_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.function_cold_starts
    ADD CONSTRAINT function_cold_starts_integration_id_fkey FOREIGN KEY (integration_id) REFERENCES public.organization_integrations(id) ON DELETE CASCADE;

--
-- Name: function_cold_starts function_cold_starts_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.function_cold_starts
    ADD CONSTRAINT function_cold_starts_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

--
-- Name: integration_health_checks integration_health_checks_integration_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integration_health_checks
    ADD CONSTRAINT integration_health_checks_integration_id_fkey FOREIGN KEY (integration_id) REFERENCES public.organization_integrations(id) ON DELETE CASCADE;

--
-- Name: integration_health_checks integration_health_checks_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integration_health_checks
    ADD CONSTRAINT integration_health_checks_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

--
-- Name: ledger_entries ledger_entries_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_entries
    ADD CONSTRAINT ledger_entries_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

--
-- Name: ledger_entry_exports ledger_entry_exports_entry_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_entry_exports
    ADD CONSTRAINT ledger_entry_exports_entry_id_fkey FOREIGN KEY (entry_id) REFERENCES public.ledger_entries(id) ON DELETE RESTRICT;

--
-- Name: ledger_entry_exports ledger_entry_exports_integration_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_entry_exports
    ADD CONSTRAINT ledger_entry_exports_integration_id_fkey FOREIGN KEY (integration_id) REFERENCES public.organization_integrations(id) ON DELETE CASCADE;

--
-- Name: ledger_entry_exports ledger_entry_exports_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_entry_exports
    ADD CONSTRAINT ledger_entry_exports_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

--
-- Name: organization_integrations organization_integrations_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organization_integrations
    ADD CONSTRAINT organization_integrations_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

--
-- Name: organization_members organization_members_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organization_members
    ADD CONSTRAINT organization_members_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

--
-- Name: organization_members organization_members_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organization_members
    ADD CONSTRAINT organization_members_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

--
-- Name: sync_alerts sync_alerts_integration_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_alerts
    ADD CONSTRAINT sync_alerts_integration_id_fkey FOREIGN KEY (integration_id) REFERENCES public.organization_integrations(id) ON DELETE CASCADE;

--
-- Name: sync_alerts sync_alerts_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_alerts
    ADD CONSTRAINT sync_alerts_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

--
-- Name: sync_run_log sync_run_log_integration_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_run_log
    ADD CONSTRAINT sync_run_log_integration_id_fkey FOREIGN KEY (integration_id) REFERENCES public.organization_integrations(id) ON DELETE CASCADE;

--
-- Name: sync_run_log sync_run_log_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_run_log
    ADD CONSTRAINT sync_run_log_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

--
-- Name: export_in_flight export_in_flight_entry_id_fkey; Type: FK CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.export_in_flight
    ADD CONSTRAINT export_in_flight_entry_id_fkey FOREIGN KEY (entry_id) REFERENCES public.ledger_entries(id) ON DELETE RESTRICT;

--
-- Name: export_in_flight export_in_flight_integration_id_fkey; Type: FK CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.export_in_flight
    ADD CONSTRAINT export_in_flight_integration_id_fkey FOREIGN KEY (integration_id) REFERENCES public.organization_integrations(id) ON DELETE CASCADE;

--
-- Name: integration_credentials integration_credentials_integration_id_fkey; Type: FK CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.integration_credentials
    ADD CONSTRAINT integration_credentials_integration_id_fkey FOREIGN KEY (integration_id) REFERENCES public.organization_integrations(id) ON DELETE CASCADE;

--
-- Name: prewarms prewarms_integration_id_fkey; Type: FK CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.prewarms
    ADD CONSTRAINT prewarms_integration_id_fkey FOREIGN KEY (integration_id) REFERENCES public.organization_integrations(id) ON DELETE CASCADE;

--
-- Name: sync_trigger_audit admins and coordinators read their org's trigger audit; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "admins and coordinators read their org's trigger audit" ON public.sync_trigger_audit FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_admin_org_ids() AS user_admin_org_ids)));

--
-- Name: organization_members auth admin reads memberships for the token hook; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "auth admin reads memberships for the token hook" ON public.organization_members FOR SELECT TO supabase_auth_admin USING (true);

--
-- Name: function_cold_starts; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.function_cold_starts ENABLE ROW LEVEL SECURITY;

--
-- Name: integration_health_checks; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.integration_health_checks ENABLE ROW LEVEL SECURITY;

--
-- Name: ledger_entries; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.ledger_entries ENABLE ROW LEVEL SECURITY;

--
-- Name: ledger_entry_exports; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.ledger_entry_exports ENABLE ROW LEVEL SECURITY;

--
-- Name: sync_alerts members read their org's alerts; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's alerts" ON public.sync_alerts FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: function_cold_starts members read their org's cold starts; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's cold starts" ON public.function_cold_starts FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: ledger_entry_exports members read their org's exports; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's exports" ON public.ledger_entry_exports FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: integration_health_checks members read their org's health checks; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's health checks" ON public.integration_health_checks FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: organization_integrations members read their org's integrations; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's integrations" ON public.organization_integrations FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: ledger_entries members read their org's ledger entries; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's ledger entries" ON public.ledger_entries FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: organization_members members read their org's members; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's members" ON public.organization_members FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: sync_run_log members read their org's runs; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's runs" ON public.sync_run_log FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: organizations members read their organizations; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their organizations" ON public.organizations FOR SELECT TO authenticated USING ((id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: organization_integrations; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.organization_integrations ENABLE ROW LEVEL SECURITY;

--
-- Name: organization_members; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.organization_members ENABLE ROW LEVEL SECURITY;

--
-- Name: organizations; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;

--
-- Name: sync_alerts; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.sync_alerts ENABLE ROW LEVEL SECURITY;

--
-- Name: sync_run_log; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.sync_run_log ENABLE ROW LEVEL SECURITY;

--
-- Name: sync_trigger_audit; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.sync_trigger_audit ENABLE ROW LEVEL SECURITY;

--
-- Name: export_in_flight; Type: ROW SECURITY; Schema: sync_engine; Owner: -
--

ALTER TABLE sync_engine.export_in_flight ENABLE ROW LEVEL SECURITY;

--
-- Name: integration_credentials; Type: ROW SECURITY; Schema: sync_engine; Owner: -
--

ALTER TABLE sync_engine.integration_credentials ENABLE ROW LEVEL SECURITY;

--
-- Name: SCHEMA public; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA public TO anon;
GRANT USAGE ON SCHEMA public TO authenticated;
GRANT USAGE ON SCHEMA public TO service_role;
GRANT USAGE ON SCHEMA public TO supabase_auth_admin;

--
-- Name: SCHEMA sync_auth; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA sync_auth TO authenticated;
GRANT USAGE ON SCHEMA sync_auth TO service_role;

--
-- Name: SCHEMA sync_engine; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA sync_engine TO service_role;

--
-- Name: FUNCTION cancel_integration_sync(run_id uuid); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.cancel_integration_sync(run_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.cancel_integration_sync(run_id uuid) TO authenticated;

--
-- Name: FUNCTION custom_access_token_hook(event jsonb); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.custom_access_token_hook(event jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.custom_access_token_hook(event jsonb) TO supabase_auth_admin;

--
-- Name: FUNCTION trigger_integration_sync(org_id uuid, integration_type text); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.trigger_integration_sync(org_id uuid, integration_type text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.trigger_integration_sync(org_id uuid, integration_type text) TO authenticated;

--
-- Name: FUNCTION user_admin_org_ids(); Type: ACL; Schema: sync_auth; Owner: -
--

REVOKE ALL ON FUNCTION sync_auth.user_admin_org_ids() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_auth.user_admin_org_ids() TO authenticated;
GRANT ALL ON FUNCTION sync_auth.user_admin_org_ids() TO service_role;

--
-- Name: FUNCTION user_org_ids(); Type: ACL; Schema: sync_auth; Owner: -
--

REVOKE ALL ON FUNCTION sync_auth.user_org_ids() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_auth.user_org_ids() TO authenticated;
GRANT ALL ON FUNCTION sync_auth.user_org_ids() TO service_role;

--
-- Name: FUNCTION audit_is_append_only(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.audit_is_append_only() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.audit_is_append_only() TO service_role;

--
-- Name: FUNCTION authorize_org_caller(p_org_id uuid, p_roles text[], p_action text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.authorize_org_caller(p_org_id uuid, p_roles text[], p_action text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.authorize_org_caller(p_org_id uuid, p_roles text[], p_action text) TO service_role;

--
-- Name: FUNCTION backoff_seconds(p_attempt integer, p_base_seconds double precision, p_cap_seconds double precision); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.backoff_seconds(p_attempt integer, p_base_seconds double precision, p_cap_seconds double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.backoff_seconds(p_attempt integer, p_base_seconds double precision, p_cap_seconds double precision) TO service_role;

--
-- Name: FUNCTION caller_user_id(p_action text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.caller_user_id(p_action text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.caller_user_id(p_action text) TO service_role;

--
-- Name: FUNCTION cancel_run(p_run_id uuid); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.cancel_run(p_run_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.cancel_run(p_run_id uuid) TO service_role;

--
-- Name: TABLE sync_run_log; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.sync_run_log TO authenticated;
GRANT ALL ON TABLE public.sync_run_log TO service_role;

--
-- Name: FUNCTION claim_runs(p_worker_id text, p_limit integer, p_lease_seconds integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.claim_runs(p_worker_id text, p_limit integer, p_lease_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.claim_runs(p_worker_id text, p_limit integer, p_lease_seconds integer) TO service_role;

--
-- Name: FUNCTION complete_runs(p_worker_id text, p_run_ids uuid[], p_attempts integer[], p_records_exported integer[]); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.complete_runs(p_worker_id text, p_run_ids uuid[], p_attempts integer[], p_records_exported integer[]) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.complete_runs(p_worker_id text, p_run_ids uuid[], p_attempts integer[], p_records_exported integer[]) TO service_role;

--
-- Name: FUNCTION dispatch_run(p_run_id uuid); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.dispatch_run(p_run_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.dispatch_run(p_run_id uuid) TO service_role;

--
-- Name: FUNCTION enqueue_run(p_integration_id uuid, p_triggered_by text, p_user_id uuid, p_scheduled_for timestamp with time zone, p_idempotency_key text, OUT run_id uuid, OUT outcome text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.enqueue_run(p_integration_id uuid, p_triggered_by text, p_user_id uuid, p_scheduled_for timestamp with time zone, p_idempotency_key text, OUT run_id uuid, OUT outcome text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.enqueue_run(p_integration_id uuid, p_triggered_by text, p_user_id uuid, p_scheduled_for timestamp with time zone, p_idempotency_key text, OUT run_id uuid, OUT outcome text) TO service_role;

--
-- Name: FUNCTION fail_run(p_run_id uuid, p_worker_id text, p_attempt integer, p_error_code text, p_error_message text, p_retryable boolean, p_retry_after_seconds double precision, p_charge_attempt boolean, p_backoff_base_seconds double precision, p_backoff_cap_seconds double precision); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.fail_run(p_run_id uuid, p_worker_id text, p_attempt integer, p_error_code text, p_error_message text, p_retryable boolean, p_retry_after_seconds double precision, p_charge_attempt boolean, p_backoff_base_seconds double precision, p_backoff_cap_seconds double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.fail_run(p_run_id uuid, p_worker_id text, p_attempt integer, p_error_code text, p_error_message text, p_retryable boolean, p_retry_after_seconds double precision, p_charge_attempt boolean, p_backoff_base_seconds double precision, p_backoff_cap_seconds double precision) TO service_role;

--
-- Name: FUNCTION finish_cancelled(p_run_id uuid, p_worker_id text, p_attempt integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.finish_cancelled(p_run_id uuid, p_worker_id text, p_attempt integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.finish_cancelled(p_run_id uuid, p_worker_id text, p_attempt integer) TO service_role;

--
-- Name: FUNCTION guard_run_transition(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.guard_run_transition() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.guard_run_transition() TO service_role;

--
-- Name: FUNCTION heartbeat_runs(p_worker_id text, p_run_ids uuid[], p_lease_seconds integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.heartbeat_runs(p_worker_id text, p_run_ids uuid[], p_lease_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.heartbeat_runs(p_worker_id text, p_run_ids uuid[], p_lease_seconds integer) TO service_role;

--
-- Name: FUNCTION install_serverless(p_function_url text, p_token_vault_name text, p_token text, p_schedule text, p_prewarm_lead_seconds integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.install_serverless(p_function_url text, p_token_vault_name text, p_token text, p_schedule text, p_prewarm_lead_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.install_serverless(p_function_url text, p_token_vault_name text, p_token text, p_schedule text, p_prewarm_lead_seconds integer) TO service_role;

--
-- Name: FUNCTION integration_runtime(integration_id uuid); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.integration_runtime(integration_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.integration_runtime(integration_id uuid) TO service_role;

--
-- Name: FUNCTION mark_batch_in_flight(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[], p_lease_seconds integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.mark_batch_in_flight(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[], p_lease_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.mark_batch_in_flight(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[], p_lease_seconds integer) TO service_role;

--
-- Name: FUNCTION next_export_batch(p_run_id uuid, p_worker_id text, p_attempt integer, p_after_id uuid, p_limit integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.next_export_batch(p_run_id uuid, p_worker_id text, p_attempt integer, p_after_id uuid, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.next_export_batch(p_run_id uuid, p_worker_id text, p_attempt integer, p_after_id uuid, p_limit integer) TO service_role;

--
-- Name: FUNCTION passive_health_from_run(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.passive_health_from_run() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.passive_health_from_run() TO service_role;

--
-- Name: FUNCTION period_key(p_integration_id uuid, p_period timestamp with time zone); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.period_key(p_integration_id uuid, p_period timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.period_key(p_integration_id uuid, p_period timestamp with time zone) TO service_role;

--
-- Name: FUNCTION post_to_worker(p_body jsonb); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.post_to_worker(p_body jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.post_to_worker(p_body jsonb) TO service_role;

--
-- Name: FUNCTION prune_run_log(p_older_than interval, p_limit integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.prune_run_log(p_older_than interval, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.prune_run_log(p_older_than interval, p_limit integer) TO service_role;

--
-- Name: FUNCTION purge_trigger_audit(p_older_than interval); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.purge_trigger_audit(p_older_than interval) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.purge_trigger_audit(p_older_than interval) TO service_role;

--
-- Name: FUNCTION raise_api_error(p_code text, p_status integer, p_message text, p_details jsonb, p_hint text, p_headers jsonb); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.raise_api_error(p_code text, p_status integer, p_message text, p_details jsonb, p_hint text, p_headers jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.raise_api_error(p_code text, p_status integer, p_message text, p_details jsonb, p_hint text, p_headers jsonb) TO service_role;

--
-- Name: FUNCTION raise_drift_alert(p_run_id uuid, p_threshold_ms integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.raise_drift_alert(p_run_id uuid, p_threshold_ms integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.raise_drift_alert(p_run_id uuid, p_threshold_ms integer) TO service_role;

--
-- Name: FUNCTION raise_run_not_held(p_run_id uuid, p_worker_id text, p_attempt integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.raise_run_not_held(p_run_id uuid, p_worker_id text, p_attempt integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.raise_run_not_held(p_run_id uuid, p_worker_id text, p_attempt integer) TO service_role;

--
-- Name: FUNCTION reap_expired_leases(p_limit integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.reap_expired_leases(p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.reap_expired_leases(p_limit integer) TO service_role;

--
-- Name: FUNCTION record_cold_start(p_kind text, p_run_id uuid, p_worker_id text, p_isolate_age_ms integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.record_cold_start(p_kind text, p_run_id uuid, p_worker_id text, p_isolate_age_ms integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.record_cold_start(p_kind text, p_run_id uuid, p_worker_id text, p_isolate_age_ms integer) TO service_role;

--
-- Name: FUNCTION record_exports(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[], p_external_ids text[], p_cursor jsonb); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.record_exports(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[], p_external_ids text[], p_cursor jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.record_exports(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[], p_external_ids text[], p_cursor jsonb) TO service_role;

--
-- Name: FUNCTION record_health_check(p_integration_id uuid, p_ok boolean, p_latency_ms integer, p_error_code text, p_error_message text, p_status text, p_mode text, p_next_check_at timestamp with time zone); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.record_health_check(p_integration_id uuid, p_ok boolean, p_latency_ms integer, p_error_code text, p_error_message text, p_status text, p_mode text, p_next_check_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.record_health_check(p_integration_id uuid, p_ok boolean, p_latency_ms integer, p_error_code text, p_error_message text, p_status text, p_mode text, p_next_check_at timestamp with time zone) TO service_role;

--
-- Name: FUNCTION record_snooze(p_run_id uuid, p_worker_id text, p_attempt integer, p_code text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.record_snooze(p_run_id uuid, p_worker_id text, p_attempt integer, p_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.record_snooze(p_run_id uuid, p_worker_id text, p_attempt integer, p_code text) TO service_role;

--
-- Name: FUNCTION release_runs(p_worker_id text, p_run_ids uuid[]); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.release_runs(p_worker_id text, p_run_ids uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.release_runs(p_worker_id text, p_run_ids uuid[]) TO service_role;

--
-- Name: FUNCTION require_member_role(p_org_id uuid, p_user_id uuid, p_roles text[], p_action text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.require_member_role(p_org_id uuid, p_user_id uuid, p_roles text[], p_action text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.require_member_role(p_org_id uuid, p_user_id uuid, p_roles text[], p_action text) TO service_role;

--
-- Name: FUNCTION run_lock_key(p_org_id uuid, p_integration_type text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.run_lock_key(p_org_id uuid, p_integration_type text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.run_lock_key(p_org_id uuid, p_integration_type text) TO service_role;

--
-- Name: FUNCTION schedule_due_plans(p_now timestamp with time zone, p_limit integer, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.schedule_due_plans(p_now timestamp with time zone, p_limit integer, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.schedule_due_plans(p_now timestamp with time zone, p_limit integer, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]) TO service_role;

--
-- Name: FUNCTION schedule_periods(p_integration_id uuid, p_expected_next_run_at timestamp with time zone, p_run_period timestamp with time zone, p_missed_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.schedule_periods(p_integration_id uuid, p_expected_next_run_at timestamp with time zone, p_run_period timestamp with time zone, p_missed_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.schedule_periods(p_integration_id uuid, p_expected_next_run_at timestamp with time zone, p_run_period timestamp with time zone, p_missed_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone) TO service_role;

--
-- Name: FUNCTION serverless_prewarm(p_lead_seconds integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.serverless_prewarm(p_lead_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.serverless_prewarm(p_lead_seconds integer) TO service_role;

--
-- Name: FUNCTION serverless_sweep(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.serverless_sweep() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.serverless_sweep() TO service_role;

--
-- Name: FUNCTION set_integration_credentials(integration_id uuid, credentials jsonb); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.set_integration_credentials(integration_id uuid, credentials jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.set_integration_credentials(integration_id uuid, credentials jsonb) TO service_role;

--
-- Name: FUNCTION uninstall_serverless(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.uninstall_serverless() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.uninstall_serverless() TO service_role;

--
-- Name: FUNCTION validate_integration(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.validate_integration() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.validate_integration() TO service_role;

--
-- Name: FUNCTION vault_available(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.vault_available() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.vault_available() TO service_role;

--
-- Name: FUNCTION wake_workers(p_payload text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.wake_workers(p_payload text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.wake_workers(p_payload text) TO service_role;

--
-- Name: TABLE function_cold_starts; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.function_cold_starts TO authenticated;
GRANT SELECT ON TABLE public.function_cold_starts TO service_role;

--
-- Name: TABLE integration_health_checks; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.integration_health_checks TO authenticated;
GRANT ALL ON TABLE public.integration_health_checks TO service_role;

--
-- Name: TABLE ledger_entries; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.ledger_entries TO authenticated;
GRANT ALL ON TABLE public.ledger_entries TO service_role;

--
-- Name: TABLE ledger_entry_exports; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.ledger_entry_exports TO authenticated;
GRANT ALL ON TABLE public.ledger_entry_exports TO service_role;

--
-- Name: TABLE organization_integrations; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.organization_integrations TO authenticated;
GRANT ALL ON TABLE public.organization_integrations TO service_role;

--
-- Name: TABLE organization_members; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.organization_members TO authenticated;
GRANT ALL ON TABLE public.organization_members TO service_role;
GRANT SELECT ON TABLE public.organization_members TO supabase_auth_admin;

--
-- Name: TABLE organizations; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.organizations TO authenticated;
GRANT ALL ON TABLE public.organizations TO service_role;

--
-- Name: TABLE sync_alerts; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.sync_alerts TO authenticated;
GRANT ALL ON TABLE public.sync_alerts TO service_role;

--
-- Name: TABLE sync_trigger_audit; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.sync_trigger_audit TO authenticated;
GRANT SELECT,INSERT,REFERENCES,TRIGGER ON TABLE public.sync_trigger_audit TO service_role;

--
-- Name: TABLE export_in_flight; Type: ACL; Schema: sync_engine; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE sync_engine.export_in_flight TO service_role;

--
-- Name: TABLE prewarms; Type: ACL; Schema: sync_engine; Owner: -
--

GRANT ALL ON TABLE sync_engine.prewarms TO service_role;

--
-- Name: TABLE settings; Type: ACL; Schema: sync_engine; Owner: -
--

GRANT ALL ON TABLE sync_engine.settings TO service_role;

--
-- PostgreSQL database dump complete
--
