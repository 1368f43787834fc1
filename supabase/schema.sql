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
-- Name: acknowledge_reconciliation_finding(uuid, uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.acknowledge_reconciliation_finding(org_id uuid, finding_id uuid, note text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
  v_row public.reconciliation_findings%rowtype;
  v_note text := btrim(acknowledge_reconciliation_finding.note);
  v_uid uuid;
begin
  v_row := sync_engine.open_finding_for_caller(acknowledge_reconciliation_finding.org_id,
    acknowledge_reconciliation_finding.finding_id);
  v_uid := (auth.jwt() ->> 'sub')::uuid;
  if v_row.kind = 'missing' then
    perform sync_engine.raise_api_error('finding_not_acknowledgeable', 409,
      'A missing entry is re-queued for export, not acknowledged.',
      p_details => pg_catalog.jsonb_build_object('kind', v_row.kind));
  end if;
  if v_note is null or length(v_note) not between 1 and 500 then
    perform sync_engine.raise_api_error('invalid_note', 400, 'A note of 1–500 characters is required.',
      p_details => pg_catalog.jsonb_build_object('max_length', 500));
  end if;
  update public.reconciliation_findings f
  set status = 'acknowledged', acted_by = v_uid, acted_at = now(), note = v_note
  where f.id = v_row.id;
  insert into public.reconciliation_audit (finding_id, run_id, org_id, integration_type, actor_user_id, action, note)
  values (v_row.id, v_row.run_id, v_row.org_id, v_row.integration_type, v_uid, 'acknowledge', v_note);
end;
$$;

--
-- Name: FUNCTION acknowledge_reconciliation_finding(org_id uuid, finding_id uuid, note text); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.acknowledge_reconciliation_finding(org_id uuid, finding_id uuid, note text) IS 'Acknowledges a reconciliation finding other than missing with a note of 1–500 characters (admins and coordinators). Errors: permission_denied, org_scope_violation, finding_not_found, finding_not_open, finding_not_acknowledgeable, invalid_note.';

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
-- Name: configure_integration(uuid, text, jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.configure_integration(org_id uuid, integration_type text, settings jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
  c_keys constant text[] := array['enabled', 'schedule_cron', 'schedule_timezone', 'config', 'reconcile_cron'];
  v_org uuid := configure_integration.org_id;
  v_type text := configure_integration.integration_type;
  v_settings jsonb := configure_integration.settings;
  v_uid uuid;
  v_problems jsonb := '[]'::jsonb;
  v_key text;
  v_reason text;
  v_issues jsonb;
  v_before public.organization_integrations%rowtype;
  v_after public.organization_integrations%rowtype;
  v_changed jsonb;
begin
  v_uid := sync_engine.authorize_integration_caller(v_org, v_type, array['admin'], 'change integration settings');

  -- Shape: an object of known keys with the right JSON types. Key names are echoed at most 50
  -- characters long (the input may be anything).
  if v_settings is null or pg_catalog.jsonb_typeof(v_settings) <> 'object' then
    perform sync_engine.raise_api_error('invalid_settings', 400, 'Settings must be a JSON object.',
      p_details => pg_catalog.jsonb_build_object('allowed_keys', to_jsonb(c_keys)));
  end if;
  for v_key in select k from pg_catalog.jsonb_object_keys(v_settings) as k order by k loop
    if not (v_key = any (c_keys)) then
      v_problems := v_problems || pg_catalog.jsonb_build_object('key', left(v_key, 50), 'problem', 'unknown key');
    elsif pg_catalog.jsonb_typeof(v_settings -> v_key) is distinct from
        (array['boolean', 'object', 'string'])[coalesce(array_position(array['enabled', 'config'], v_key), 3)]
      and not (v_key in ('schedule_cron', 'reconcile_cron') and v_settings -> v_key = 'null'::jsonb) then
      v_problems := v_problems || pg_catalog.jsonb_build_object('key', v_key, 'problem',
        case v_key when 'enabled' then 'must be a boolean' when 'config' then 'must be an object'
          when 'schedule_cron' then 'must be a string or null' when 'reconcile_cron' then 'must be a string or null'
          else 'must be a string' end);
    end if;
  end loop;
  if pg_catalog.jsonb_array_length(v_problems) > 0 then
    perform sync_engine.raise_api_error('invalid_settings', 400, 'Some settings are unknown or of the wrong type.',
      p_details => pg_catalog.jsonb_build_object('problems', v_problems, 'allowed_keys', to_jsonb(c_keys)));
  end if;

  if v_settings ? 'schedule_cron' then
    v_reason := sync_engine.cron_problem(v_settings ->> 'schedule_cron');
    if v_reason is not null then
      perform sync_engine.raise_api_error('invalid_schedule', 400, 'The schedule is not a valid 5-field cron expression.',
        p_details => pg_catalog.jsonb_build_object('reason', v_reason));
    end if;
  end if;
  -- The reconciliation schedule: the same cron rules; null or blank turns scheduled reconciliation off.
  if v_settings ? 'reconcile_cron' and nullif(btrim(v_settings ->> 'reconcile_cron'), '') is not null then
    v_reason := sync_engine.cron_problem(v_settings ->> 'reconcile_cron');
    if v_reason is not null then
      perform sync_engine.raise_api_error('invalid_schedule', 400, 'The reconciliation schedule is not a valid 5-field cron expression.',
        p_details => pg_catalog.jsonb_build_object('key', 'reconcile_cron', 'reason', v_reason));
    end if;
  end if;

  -- pg_timezone_names, not `at time zone`: the latter also accepts POSIX strings ("UTC+3",
  -- "EST5EDT") that browsers' Intl, which shows the zone to people, does not.
  if v_settings ? 'schedule_timezone' and not exists (
      select from pg_catalog.pg_timezone_names z where z.name = v_settings ->> 'schedule_timezone'
        and z.name !~ '^(posix|right)/' and z.name <> 'posixrules') then
    perform sync_engine.raise_api_error('invalid_timezone', 400, 'Unknown time zone; use an IANA name such as Europe/Oslo.');
  end if;

  if v_settings ? 'config' then
    v_issues := sync_engine.json_schema_issues(sync_engine.integration_schema(v_type, 'config'), v_settings -> 'config');
    if pg_catalog.jsonb_array_length(v_issues) > 0 then
      perform sync_engine.raise_api_error('invalid_config', 400,
        format('The %s configuration is not valid.', case v_type when 'xledger' then 'Xledger' else 'Business Central' end),
        p_details => pg_catalog.jsonb_build_object('issues', v_issues));
    end if;
  end if;

  select * into v_before from public.organization_integrations i
  where i.org_id = v_org and i.integration_type = v_type for no key update;
  if not found then
    insert into public.organization_integrations as i (org_id, integration_type) values (v_org, v_type)
    on conflict on constraint organization_integrations_org_id_integration_type_key do nothing;
    select * into v_before from public.organization_integrations i
    where i.org_id = v_org and i.integration_type = v_type for no key update;
  end if;

  -- updated_at is left to the validation trigger, which also resets next_run_at when the
  -- schedule changes so the next scheduler tick plans it afresh.
  update public.organization_integrations i set
    enabled = case when v_settings ? 'enabled' then (v_settings ->> 'enabled')::boolean else i.enabled end,
    schedule_cron = case when v_settings ? 'schedule_cron' then nullif(btrim(v_settings ->> 'schedule_cron'), '') else i.schedule_cron end,
    schedule_timezone = coalesce(v_settings ->> 'schedule_timezone', i.schedule_timezone),
    config = coalesce(v_settings -> 'config', i.config),
    reconcile_cron = case when v_settings ? 'reconcile_cron' then nullif(btrim(v_settings ->> 'reconcile_cron'), '') else i.reconcile_cron end
  where i.id = v_before.id
  returning * into v_after;

  select coalesce(pg_catalog.jsonb_object_agg(b.key, pg_catalog.jsonb_build_object('from', b.value, 'to', a.value)), '{}')
    into v_changed
  from pg_catalog.jsonb_each(to_jsonb(v_before)) b
  join pg_catalog.jsonb_each(to_jsonb(v_after)) a on a.key = b.key
  where b.key = any (c_keys) and a.value is distinct from b.value;

  insert into public.integration_admin_audit (org_id, integration_type, actor_user_id, action, details)
  values (v_org, v_type, v_uid, 'configure', pg_catalog.jsonb_build_object('changed', v_changed));

  return to_jsonb(v_after);
end;
$$;

--
-- Name: FUNCTION configure_integration(org_id uuid, integration_type text, settings jsonb); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.configure_integration(org_id uuid, integration_type text, settings jsonb) IS 'Changes an integration''s enabled flag, schedule, time zone, config and reconciliation schedule (admins only); returns the integration. Errors: permission_denied, org_scope_violation, unknown_integration_type, invalid_settings, invalid_schedule, invalid_timezone, invalid_config.';

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
-- Name: delete_notification_target(uuid, uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.delete_notification_target(org_id uuid, target_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
  v_uid uuid;
  v_row public.notification_targets%rowtype;
begin
  v_uid := sync_engine.authorize_integration_caller(delete_notification_target.org_id, '*', array['admin'], 'manage notifications');
  delete from public.notification_targets t
  where t.id = delete_notification_target.target_id and t.org_id = delete_notification_target.org_id
  returning * into v_row;
  if not found then
    perform sync_engine.raise_api_error('notification_target_not_found', 404, 'No such notification target in your organization.');
  end if;
  insert into public.integration_admin_audit (org_id, integration_type, actor_user_id, action, details)
  values (v_row.org_id, null, v_uid, 'notification_target_delete',
    pg_catalog.jsonb_build_object('target_id', v_row.id, 'name', v_row.name, 'url', v_row.url));
end;
$$;

--
-- Name: FUNCTION delete_notification_target(org_id uuid, target_id uuid); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.delete_notification_target(org_id uuid, target_id uuid) IS 'Deletes a webhook target and its pending deliveries (admins only). Errors: permission_denied, org_scope_violation, notification_target_not_found.';

--
-- Name: integration_credentials_status(uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.integration_credentials_status(org_id uuid) RETURNS TABLE(integration_type text, stored boolean, updated_at timestamp with time zone)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select i.integration_type, c.integration_id is not null, c.updated_at
  from public.organization_integrations i
  left join sync_engine.integration_credentials c on c.integration_id = i.id
  where i.org_id = integration_credentials_status.org_id
    and i.org_id in (select sync_auth.user_org_ids())
$$;

--
-- Name: org_member_directory(uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.org_member_directory(org_id uuid) RETURNS TABLE(user_id uuid, role text, email text, display_name text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select m.user_id, m.role, u.email::text,
    -- GoTrue keeps the name the user signed up with in raw_user_meta_data (full_name or name).
    coalesce(nullif(btrim(u.raw_user_meta_data ->> 'full_name'), ''), nullif(btrim(u.raw_user_meta_data ->> 'name'), ''))
  from public.organization_members m
  join auth.users u on u.id = m.user_id
  where m.org_id = org_member_directory.org_id
    and m.org_id in (select sync_auth.user_org_ids())
    and lower(coalesce(auth.jwt() ->> 'org_id', '')) = m.org_id::text
  order by m.role, u.email
$$;

--
-- Name: FUNCTION org_member_directory(org_id uuid); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.org_member_directory(org_id uuid) IS 'Definer: members of the caller''s own org with email and display name (auth.users is not client-readable). Empty for any other org.';

--
-- Name: reconcile_integration(uuid, text, date, date); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.reconcile_integration(org_id uuid, integration_type text, period_start date DEFAULT NULL::date, period_end date DEFAULT NULL::date) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
  c_allowed constant text[] := array['xledger', 'dynamics'];
  -- 15 minutes between manual reconciliations per (org, integration type): a read-back of two months
  -- costs tens to hundreds of requests against the same monthly allowance as exports.
  c_rate_window constant interval := interval '15 minutes';
  -- The longest period one run may read: a year and a day (a leap year's close plus the carry-over).
  c_max_days constant integer := 366;
  v_org uuid := reconcile_integration.org_id;
  v_type text := reconcile_integration.integration_type;
  v_start date := reconcile_integration.period_start;
  v_end date := reconcile_integration.period_end;
  v_uid uuid;
  v_integration public.organization_integrations%rowtype;
  v_active record;
  v_last timestamptz;
  v_retry_after integer;
  v_label text;
  v_run_id uuid;
begin
  -- 1–3. A signed-in user, a session scoped to this org, an admin or coordinator there.
  v_uid := sync_engine.authorize_org_caller(v_org, array['admin', 'coordinator'], 'reconcile the books');

  -- 4. Hard-coded allowlist; the input is never echoed back.
  if v_type is null or not (v_type = any (c_allowed)) then
    perform sync_engine.raise_api_error('unknown_integration_type', 400, 'Unknown integration type.',
      p_details => pg_catalog.jsonb_build_object('allowed', to_jsonb(c_allowed)));
  end if;
  v_label := case v_type when 'xledger' then 'Xledger' else 'Dynamics 365 Business Central' end;

  -- 5. Configured and enabled for this org.
  select * into v_integration from public.organization_integrations i
  where i.org_id = v_org and i.integration_type = v_type;
  if not found then
    perform sync_engine.raise_api_error('integration_not_configured', 404,
      format('%s is not set up for this organization.', v_label));
  end if;
  if not v_integration.enabled then
    perform sync_engine.raise_api_error('integration_disabled', 409,
      format('The %s integration is turned off for this organization.', v_label));
  end if;

  -- The period: both given, or neither (the default).
  if (v_start is null) <> (v_end is null) then
    perform sync_engine.raise_api_error('invalid_period', 400,
      'Give both period_start and period_end, or neither for the default (last month and this month).',
      p_details => pg_catalog.jsonb_build_object('reason', 'one_bound'));
  end if;
  if v_start is null then
    select d.period_start, d.period_end into v_start, v_end
    from sync_engine.default_reconcile_period(v_integration.schedule_timezone) d;
  elsif v_start > v_end then
    perform sync_engine.raise_api_error('invalid_period', 400, 'period_start is after period_end.',
      p_details => pg_catalog.jsonb_build_object('reason', 'start_after_end'));
  elsif v_end - v_start + 1 > c_max_days then
    perform sync_engine.raise_api_error('invalid_period', 400,
      format('A reconciliation covers at most %s days.', c_max_days),
      p_details => pg_catalog.jsonb_build_object('reason', 'too_long', 'max_days', c_max_days));
  end if;

  -- Serialize the rest per (org, type), as trigger_integration_sync does.
  perform pg_catalog.pg_advisory_xact_lock(sync_engine.run_lock_key(v_org, v_type));

  -- One active run per (org, type), whatever its kind.
  select r.id, r.kind into v_active from public.sync_run_log r
  where r.org_id = v_org and r.integration_type = v_type and r.status in ('pending', 'running');
  if found then
    if v_active.kind = 'reconcile' then
      perform sync_engine.raise_api_error('reconciliation_already_in_progress', 409,
        format('A reconciliation of %s is already in progress.', v_label),
        p_details => pg_catalog.jsonb_build_object('run_id', v_active.id));
    end if;
    perform sync_engine.raise_api_error('sync_already_in_progress', 409,
      format('A sync to %s is in progress; reconcile when it has finished.', v_label),
      p_details => pg_catalog.jsonb_build_object('run_id', v_active.id));
  end if;

  -- One manual reconciliation per (org, type) per 15 minutes.
  select max(a.occurred_at) into v_last from public.sync_trigger_audit a
  where a.org_id = v_org and a.integration_type = v_type and a.action = 'reconcile'
    and a.occurred_at > now() - c_rate_window;
  if v_last is not null then
    v_retry_after := greatest(1, ceil(extract(epoch from (v_last + c_rate_window - now())))::integer);
    perform sync_engine.raise_api_error('rate_limited', 429,
      format('%s was reconciled less than 15 minutes ago. Try again in %s seconds.', v_label, v_retry_after),
      p_details => pg_catalog.jsonb_build_object('retry_after_seconds', v_retry_after),
      p_headers => pg_catalog.jsonb_build_object('Retry-After', v_retry_after::text));
  end if;

  v_run_id := sync_engine.insert_reconcile_run(v_integration, 'manual', v_uid, v_start, v_end);
  if v_run_id is null then
    -- Only reachable if a writer bypassed the advisory lock; the unique index caught it.
    perform sync_engine.raise_api_error('sync_already_in_progress', 409,
      format('A sync to %s is already in progress.', v_label));
  end if;
  insert into public.sync_trigger_audit (run_id, actor_user_id, org_id, integration_type, action)
  values (v_run_id, v_uid, v_org, v_type, 'reconcile');
  return v_run_id;
end;
$$;

--
-- Name: FUNCTION reconcile_integration(org_id uuid, integration_type text, period_start date, period_end date); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.reconcile_integration(org_id uuid, integration_type text, period_start date, period_end date) IS 'Starts a reconciliation of (org, integration type) for a period (default: last month and this month) and returns the run id. Errors: permission_denied, org_scope_violation, unknown_integration_type, integration_not_configured, integration_disabled, invalid_period, reconciliation_already_in_progress, sync_already_in_progress, rate_limited.';

--
-- Name: requeue_reconciliation_finding(uuid, uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.requeue_reconciliation_finding(org_id uuid, finding_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
  v_row public.reconciliation_findings%rowtype;
  v_uid uuid;
  v_export public.ledger_entry_exports%rowtype;
begin
  v_row := sync_engine.open_finding_for_caller(requeue_reconciliation_finding.org_id,
    requeue_reconciliation_finding.finding_id);
  v_uid := (auth.jwt() ->> 'sub')::uuid;
  if v_row.kind <> 'missing' or v_row.ledger_entry_id is null then
    perform sync_engine.raise_api_error('finding_not_requeueable', 409,
      'Only a missing entry can be re-queued for export; acknowledge other findings with a note.',
      p_details => pg_catalog.jsonb_build_object('kind', v_row.kind));
  end if;

  -- The export row as the reconciliation saw it (same external id): a row recorded since (the entry was
  -- re-exported meanwhile) is left alone.
  delete from public.ledger_entry_exports x
  where x.entry_id = v_row.ledger_entry_id and x.integration_id = v_row.integration_id
    and x.external_id is not distinct from (v_row.expected ->> 'external_id')
  returning * into v_export;
  if found then
    insert into sync_engine.export_in_flight as f (integration_id, entry_id, run_id, attempt, marked_at, first_marked_at)
    values (v_row.integration_id, v_row.ledger_entry_id, v_row.run_id, 0, now(), v_export.exported_at)
    on conflict (integration_id, entry_id) do update
      set first_marked_at = least(f.first_marked_at, excluded.first_marked_at), marked_at = now();
  end if;

  with closed as (
    update public.reconciliation_findings f
    set status = 'requeued', acted_by = v_uid, acted_at = now()
    where f.integration_id = v_row.integration_id and f.ledger_entry_id = v_row.ledger_entry_id
      and f.kind = 'missing' and f.status = 'open'
    returning f.id, f.run_id
  )
  insert into public.reconciliation_audit (finding_id, run_id, org_id, integration_type, actor_user_id, action)
  select c.id, c.run_id, v_row.org_id, v_row.integration_type, v_uid, 'requeue' from closed c;
end;
$$;

--
-- Name: FUNCTION requeue_reconciliation_finding(org_id uuid, finding_id uuid); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.requeue_reconciliation_finding(org_id uuid, finding_id uuid) IS 'Re-queues a missing entry for the next export run, which sends it only if it is still missing (admins and coordinators). Errors: permission_denied, org_scope_violation, finding_not_found, finding_not_open, finding_not_requeueable.';

--
-- Name: requeue_rejected_voucher(uuid, uuid); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.requeue_rejected_voucher(org_id uuid, rejection_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
  v_row public.export_rejections%rowtype;
begin
  v_row := sync_engine.open_rejection_for_caller(requeue_rejected_voucher.org_id, requeue_rejected_voucher.rejection_id);
  update public.export_rejections j
  set status = 'requeued', resolved_at = now(), resolved_by = (auth.jwt() ->> 'sub')::uuid
  where j.id = v_row.id;
  insert into public.export_rejection_audit (rejection_id, org_id, integration_type, voucher_number,
    actor_user_id, action)
  values (v_row.id, v_row.org_id, v_row.integration_type, v_row.voucher_number,
    (auth.jwt() ->> 'sub')::uuid, 'requeue');
end;
$$;

--
-- Name: FUNCTION requeue_rejected_voucher(org_id uuid, rejection_id uuid); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.requeue_rejected_voucher(org_id uuid, rejection_id uuid) IS 'Re-queues a rejected voucher for the next export run. Errors: permission_denied, org_scope_violation, rejection_not_found, rejection_not_open.';

--
-- Name: resume_integration_health(uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.resume_integration_health(org_id uuid, integration_type text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
  v_org uuid := resume_integration_health.org_id;
  v_type text := resume_integration_health.integration_type;
  v_uid uuid;
  v_integration public.organization_integrations%rowtype;
begin
  v_uid := sync_engine.authorize_integration_caller(v_org, v_type, array['admin'], 'change health monitoring');
  select * into v_integration from public.organization_integrations i
  where i.org_id = v_org and i.integration_type = v_type for no key update;
  if not found then
    perform sync_engine.raise_api_error('integration_not_configured', 404,
      'This integration is not set up for this organization.');
  end if;
  update public.organization_integrations i set
    health_mode = 'active', health_next_check_at = now(), health_consecutive_failures = 0
  where i.id = v_integration.id;
  insert into public.integration_admin_audit (org_id, integration_type, actor_user_id, action, details)
  values (v_org, v_type, v_uid, 'resume_health',
    pg_catalog.jsonb_build_object('from', v_integration.health_mode, 'to', 'active'));
end;
$$;

--
-- Name: FUNCTION resume_integration_health(org_id uuid, integration_type text); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.resume_integration_health(org_id uuid, integration_type text) IS 'Sets health monitoring back to active pings (admins only). Errors: permission_denied, org_scope_violation, unknown_integration_type, integration_not_configured.';

--
-- Name: save_notification_target(uuid, jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.save_notification_target(org_id uuid, target jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
#variable_conflict use_column
declare
  c_keys constant text[] := array['id', 'name', 'kind', 'url', 'events', 'enabled', 'rotate_secret'];
  c_events constant text[] := array['drift', 'run_failed', 'health_changed', 'vouchers_rejected', 'reconciliation_differences'];
  v_org uuid := save_notification_target.org_id;
  v_in jsonb := save_notification_target.target;
  v_uid uuid;
  v_problems jsonb := '[]'::jsonb;
  v_key text;
  v_row public.notification_targets%rowtype;
  v_secret text;
  v_events text[];
begin
  v_uid := sync_engine.authorize_integration_caller(v_org, '*', array['admin'], 'manage notifications');
  if v_in is null or pg_catalog.jsonb_typeof(v_in) <> 'object' then
    perform sync_engine.raise_api_error('invalid_notification_target', 400, 'A notification target must be a JSON object.');
  end if;
  for v_key in select k from pg_catalog.jsonb_object_keys(v_in) k order by k loop
    if not (v_key = any (c_keys)) then
      v_problems := v_problems || pg_catalog.jsonb_build_object('key', left(v_key, 50), 'problem', 'unknown key');
    end if;
  end loop;
  if v_in ? 'id' and (pg_catalog.jsonb_typeof(v_in -> 'id') <> 'string'
      or v_in ->> 'id' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$') then
    v_problems := v_problems || '{"key":"id","problem":"must be a target id"}'::jsonb;
  end if;
  if not v_in ? 'id' and not (v_in ? 'name' and v_in ? 'url') then
    v_problems := v_problems || '{"key":"url","problem":"name and url are required for a new target"}'::jsonb;
  end if;
  if v_in ? 'name' and (pg_catalog.jsonb_typeof(v_in -> 'name') <> 'string' or length(btrim(v_in ->> 'name')) not between 1 and 100) then
    v_problems := v_problems || '{"key":"name","problem":"must be 1-100 characters"}'::jsonb;
  end if;
  if v_in ? 'url' and (pg_catalog.jsonb_typeof(v_in -> 'url') <> 'string' or length(v_in ->> 'url') > 2000
      or v_in ->> 'url' !~ '^https?://[^\s/?#]+([/?#]\S*)?$') then
    v_problems := v_problems || '{"key":"url","problem":"must be an http(s) URL"}'::jsonb;
  end if;
  if v_in ? 'kind' and (v_in ->> 'kind') is distinct from 'webhook' and (v_in ->> 'kind') is distinct from 'slack' then
    v_problems := v_problems || '{"key":"kind","problem":"must be webhook or slack"}'::jsonb;
  end if;
  if v_in ? 'events' then
    if pg_catalog.jsonb_typeof(v_in -> 'events') <> 'array' or pg_catalog.jsonb_array_length(v_in -> 'events') = 0
       or exists (select from pg_catalog.jsonb_array_elements(v_in -> 'events') e
                  where pg_catalog.jsonb_typeof(e) <> 'string' or not ((e #>> '{}') = any (c_events))) then
      v_problems := v_problems || pg_catalog.jsonb_build_object('key', 'events', 'problem',
        'must be a non-empty list of ' || array_to_string(c_events, ', '));
    else
      select array_agg(distinct e) into v_events from pg_catalog.jsonb_array_elements_text(v_in -> 'events') e;
    end if;
  end if;
  foreach v_key in array array['enabled', 'rotate_secret'] loop
    if v_in ? v_key and pg_catalog.jsonb_typeof(v_in -> v_key) <> 'boolean' then
      v_problems := v_problems || pg_catalog.jsonb_build_object('key', v_key, 'problem', 'must be a boolean');
    end if;
  end loop;
  if pg_catalog.jsonb_array_length(v_problems) > 0 then
    perform sync_engine.raise_api_error('invalid_notification_target', 400, 'The notification target is not valid.',
      p_details => pg_catalog.jsonb_build_object('problems', v_problems));
  end if;

  if v_in ? 'id' then
    update public.notification_targets t set
      name = coalesce(btrim(v_in ->> 'name'), t.name),
      kind = coalesce(v_in ->> 'kind', t.kind),
      url = coalesce(v_in ->> 'url', t.url),
      events = coalesce(v_events, t.events),
      enabled = coalesce((v_in ->> 'enabled')::boolean, t.enabled),
      updated_at = now()
    where t.id = (v_in ->> 'id')::uuid and t.org_id = v_org
    returning * into v_row;
    if not found then
      perform sync_engine.raise_api_error('notification_target_not_found', 404, 'No such notification target in your organization.');
    end if;
  else
    insert into public.notification_targets (org_id, name, kind, url, events, enabled)
    values (v_org, btrim(v_in ->> 'name'), coalesce(v_in ->> 'kind', 'webhook'), v_in ->> 'url',
      coalesce(v_events, array['drift', 'run_failed', 'health_changed', 'vouchers_rejected', 'reconciliation_differences']),
      coalesce((v_in ->> 'enabled')::boolean, true))
    returning * into v_row;
  end if;

  if not (v_in ? 'id') or coalesce((v_in ->> 'rotate_secret')::boolean, false) then
    -- 244 random bits: two v4 UUIDs from gen_random_uuid (a CSPRNG), hex without dashes.
    v_secret := 'whsec_' || replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
    insert into sync_engine.notification_secrets as s (target_id, secret) values (v_row.id, v_secret)
    on conflict (target_id) do update set secret = excluded.secret, created_at = now();
  end if;

  insert into public.integration_admin_audit (org_id, integration_type, actor_user_id, action, details)
  values (v_org, null, v_uid, 'notification_target_save', pg_catalog.jsonb_build_object(
    'target_id', v_row.id, 'name', v_row.name, 'url', v_row.url, 'events', to_jsonb(v_row.events),
    'enabled', v_row.enabled, 'secret_rotated', v_secret is not null));

  return to_jsonb(v_row) || case when v_secret is null then '{}'::jsonb
                                 else pg_catalog.jsonb_build_object('secret', v_secret) end;
end;
$_$;

--
-- Name: FUNCTION save_notification_target(org_id uuid, target jsonb); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.save_notification_target(org_id uuid, target jsonb) IS 'Creates (no id) or updates (id) a webhook target (admins only); returns it, with "secret" once when created or rotated. Errors: permission_denied, org_scope_violation, invalid_notification_target, notification_target_not_found.';

--
-- Name: set_integration_credentials(uuid, text, jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.set_integration_credentials(org_id uuid, integration_type text, credentials jsonb) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
  v_org uuid := set_integration_credentials.org_id;
  v_type text := set_integration_credentials.integration_type;
  v_uid uuid;
  v_integration_id uuid;
  v_store text;
begin
  v_uid := sync_engine.authorize_integration_caller(v_org, v_type, array['admin'], 'change credentials');
  select i.id into v_integration_id from public.organization_integrations i
  where i.org_id = v_org and i.integration_type = v_type;
  if v_integration_id is null then
    perform sync_engine.raise_api_error('integration_not_configured', 404,
      'This integration is not set up for this organization; save its settings first.');
  end if;
  v_store := sync_engine.set_integration_credentials(v_integration_id, set_integration_credentials.credentials);
  insert into public.integration_admin_audit (org_id, integration_type, actor_user_id, action, details)
  values (v_org, v_type, v_uid, 'set_credentials', pg_catalog.jsonb_build_object('store', v_store,
    'keys', (select pg_catalog.jsonb_agg(k order by k) from pg_catalog.jsonb_object_keys(set_integration_credentials.credentials) k)));
end;
$$;

--
-- Name: FUNCTION set_integration_credentials(org_id uuid, integration_type text, credentials jsonb); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.set_integration_credentials(org_id uuid, integration_type text, credentials jsonb) IS 'Stores an integration''s credentials (admins only; Vault where present; never readable back). Errors: permission_denied, org_scope_violation, unknown_integration_type, integration_not_configured, invalid_credentials.';

--
-- Name: skip_rejected_voucher(uuid, uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.skip_rejected_voucher(org_id uuid, rejection_id uuid, reason text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
  v_reason text := pg_catalog.btrim(skip_rejected_voucher.reason);
  v_row public.export_rejections%rowtype;
begin
  v_row := sync_engine.open_rejection_for_caller(skip_rejected_voucher.org_id, skip_rejected_voucher.rejection_id);
  if v_reason is null or v_reason = '' or length(v_reason) > 500 then
    perform sync_engine.raise_api_error('invalid_reason', 400,
      'Say why the voucher is skipped (1 to 500 characters).');
  end if;
  update public.export_rejections j
  set status = 'skipped', resolved_at = now(), resolved_by = (auth.jwt() ->> 'sub')::uuid,
    resolution_reason = v_reason
  where j.id = v_row.id;
  insert into public.export_rejection_audit (rejection_id, org_id, integration_type, voucher_number,
    actor_user_id, action, reason)
  values (v_row.id, v_row.org_id, v_row.integration_type, v_row.voucher_number,
    (auth.jwt() ->> 'sub')::uuid, 'skip', v_reason);
end;
$$;

--
-- Name: FUNCTION skip_rejected_voucher(org_id uuid, rejection_id uuid, reason text); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.skip_rejected_voucher(org_id uuid, rejection_id uuid, reason text) IS 'Marks a rejected voucher as never to be exported, with a reason. Errors: permission_denied, org_scope_violation, rejection_not_found, rejection_not_open, invalid_reason.';

--
-- Name: test_integration_connection(uuid, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.test_integration_connection(org_id uuid, integration_type text) RETURNS timestamp with time zone
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
#variable_conflict use_column
declare
  -- One test a minute per (org, type): at most 15 extra pings in the monitor's shortest 15-minute
  -- interval, each one request, against quotas of thousands of requests per 5 minutes.
  c_window constant interval := interval '1 minute';
  v_org uuid := test_integration_connection.org_id;
  v_type text := test_integration_connection.integration_type;
  v_uid uuid;
  v_id uuid;
  v_last timestamptz;
  v_retry integer;
begin
  v_uid := sync_engine.authorize_integration_caller(v_org, v_type, array['admin'], 'test a connection');
  select i.id into v_id from public.organization_integrations i
  where i.org_id = v_org and i.integration_type = v_type for no key update;
  if v_id is null then
    perform sync_engine.raise_api_error('integration_not_configured', 404,
      'This integration is not set up for this organization.');
  end if;
  -- The monitor pings only enabled integrations in active mode.
  if exists (select from public.organization_integrations i where i.id = v_id and not i.enabled) then
    perform sync_engine.raise_api_error('integration_disabled', 409,
      'This integration is paused; resume it to test the connection.');
  end if;
  if exists (select from public.organization_integrations i where i.id = v_id and i.health_mode = 'passive') then
    perform sync_engine.raise_api_error('health_passive', 409,
      'Health monitoring is passive; set it back to active to test the connection.');
  end if;
  select max(a.occurred_at) into v_last from public.integration_admin_audit a
  where a.org_id = v_org and a.integration_type = v_type and a.action = 'test_connection'
    and a.occurred_at > now() - c_window;
  if v_last is not null then
    v_retry := greatest(1, ceil(extract(epoch from (v_last + c_window - now())))::integer);
    perform sync_engine.raise_api_error('rate_limited', 429,
      format('A connection test ran less than a minute ago. Try again in %s seconds.', v_retry),
      p_details => pg_catalog.jsonb_build_object('retry_after_seconds', v_retry),
      p_headers => pg_catalog.jsonb_build_object('Retry-After', v_retry::text));
  end if;
  update public.organization_integrations i set health_next_check_at = now() where i.id = v_id;
  insert into public.integration_admin_audit (org_id, integration_type, actor_user_id, action)
  values (v_org, v_type, v_uid, 'test_connection');
  return now();
end;
$$;

--
-- Name: FUNCTION test_integration_connection(org_id uuid, integration_type text); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.test_integration_connection(org_id uuid, integration_type text) IS 'Asks the health monitor to ping the integration on its next tick (admins only, once a minute); returns the request time. Errors: permission_denied, org_scope_violation, unknown_integration_type, integration_not_configured, integration_disabled, health_passive, rate_limited.';

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
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return query select m.org_id from public.organization_members m
  where m.user_id = auth.uid() and m.role in ('admin', 'coordinator');
end;
$$;

--
-- Name: FUNCTION user_admin_org_ids(); Type: COMMENT; Schema: sync_auth; Owner: -
--

COMMENT ON FUNCTION sync_auth.user_admin_org_ids() IS 'Definer: orgs where the caller may trigger syncs and read the trigger audit.';

--
-- Name: user_org_admin_ids(); Type: FUNCTION; Schema: sync_auth; Owner: -
--

CREATE FUNCTION sync_auth.user_org_admin_ids() RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return query select m.org_id from public.organization_members m where m.user_id = auth.uid() and m.role = 'admin';
end;
$$;

--
-- Name: FUNCTION user_org_admin_ids(); Type: COMMENT; Schema: sync_auth; Owner: -
--

COMMENT ON FUNCTION sync_auth.user_org_admin_ids() IS 'Definer: reads memberships for RLS without recursing into organization_members policies. Admins only.';

--
-- Name: user_org_ids(); Type: FUNCTION; Schema: sync_auth; Owner: -
--

CREATE FUNCTION sync_auth.user_org_ids() RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return query select m.org_id from public.organization_members m where m.user_id = auth.uid();
end;
$$;

--
-- Name: FUNCTION user_org_ids(); Type: COMMENT; Schema: sync_auth; Owner: -
--

COMMENT ON FUNCTION sync_auth.user_org_ids() IS 'Definer: reads memberships for RLS without recursing into organization_members policies.';

--
-- Name: add_count(integer, bigint); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.add_count(p_a integer, p_b bigint) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
  select greatest(least(coalesce(p_a, 0)::bigint + coalesce(p_b, 0), 2147483647), 0)::integer
$$;

--
-- Name: FUNCTION add_count(p_a integer, p_b bigint); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.add_count(p_a integer, p_b bigint) IS 'p_a + p_b saturated to [0, 2^31 − 1]: record counters never overflow.';

--
-- Name: admin_audit_is_append_only(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.admin_audit_is_append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  raise exception 'integration_admin_audit is append-only' using errcode = '42501';
end;
$$;

--
-- Name: apply_schedule_group(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.apply_schedule_group() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: FUNCTION apply_schedule_group(); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.apply_schedule_group() IS 'Takes the oldest free schedule group, deletes it and enqueues its periods (schedule_due_plan_ids), parking an integration that cannot be stepped; null when no group was free.';

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
-- Name: authorize_integration_caller(uuid, text, text[], text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.authorize_integration_caller(p_org_id uuid, p_integration_type text, p_roles text[], p_action text) RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
  -- The allowlist of trigger_integration_sync and of the table's check, answered before any lookup.
  c_allowed constant text[] := array['xledger', 'dynamics'];
  v_uid uuid := sync_engine.authorize_org_caller(p_org_id, p_roles, p_action);
begin
  if p_integration_type is distinct from '*'
     and (p_integration_type is null or not (p_integration_type = any (c_allowed))) then
    perform sync_engine.raise_api_error('unknown_integration_type', 400, 'Unknown integration type.',
      p_details => pg_catalog.jsonb_build_object('allowed', to_jsonb(c_allowed)));
  end if;
  return v_uid;
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
  select pg_catalog.random() * least(
    sync_engine.bounded_seconds(p_cap_seconds),
    sync_engine.bounded_seconds(p_base_seconds) * power(2, least(greatest(coalesce(p_attempt, 1), 1) - 1, 60)))
$$;

--
-- Name: bounded_interval(double precision); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.bounded_interval(p_seconds double precision) RETURNS interval
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
  select pg_catalog.make_interval(secs => sync_engine.bounded_seconds(p_seconds))
$$;

--
-- Name: FUNCTION bounded_interval(p_seconds double precision); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.bounded_interval(p_seconds double precision) IS 'sync_engine.bounded_seconds as an interval: every lease, backoff and Retry-After goes through it.';

--
-- Name: bounded_seconds(double precision); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.bounded_seconds(p_seconds double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
  select case
    when p_seconds is null then null
    when p_seconds = 'NaN'::double precision or p_seconds < 1e-6 then 0
    else least(p_seconds, 315576000)  -- 10 years of 365.25 days
  end
$$;

--
-- Name: FUNCTION bounded_seconds(p_seconds double precision); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.bounded_seconds(p_seconds double precision) IS 'A duration in seconds clamped to [0, 10 years]; NaN and negatives are 0.';

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

--
-- Name: claim_health_checks(timestamp with time zone, integer, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.claim_health_checks(p_now timestamp with time zone, p_limit integer, p_lease_seconds integer) RETURNS TABLE(id uuid, org_id uuid, integration_type text, config jsonb, health_status text, health_consecutive_failures integer, evidence_at timestamp with time zone, pings_this_month bigint, test_requested boolean)
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: claim_notifications(integer, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.claim_notifications(p_limit integer DEFAULT 20, p_lease_seconds integer DEFAULT 60) RETURNS TABLE(id uuid, attempt integer, url text, kind text, secret text, payload jsonb)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  -- Definer: the signing secrets are owner-only. SKIP LOCKED lets several workers deliver at
  -- once without waiting on each other; the lease returns a crashed worker's rows.
  return query
  with due as (
    select d.id from public.notification_deliveries d
    where d.status = 'pending' and d.next_attempt_at <= now()
      and (d.locked_until is null or d.locked_until < now())
    order by d.next_attempt_at
    limit greatest(p_limit, 0)
    for update skip locked
  ), claimed as (
    update public.notification_deliveries d set
      attempts = d.attempts + 1,
      locked_until = now() + make_interval(secs => p_lease_seconds)
    from due where d.id = due.id
    returning d.id, d.attempts, d.target_id, d.payload
  )
  select c.id, c.attempts, t.url, t.kind, s.secret, c.payload
  from claimed c
  join public.notification_targets t on t.id = c.target_id
  join sync_engine.notification_secrets s on s.target_id = c.target_id;
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
    drift_ms bigint,
    skip_reason text,
    cancel_requested_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    kind text DEFAULT 'export'::text NOT NULL,
    CONSTRAINT sync_run_log_attempt_check CHECK ((attempt >= 0)),
    CONSTRAINT sync_run_log_check CHECK (((triggered_by = 'manual'::text) OR (triggered_by_user_id IS NULL))),
    CONSTRAINT sync_run_log_check1 CHECK (((status = 'skipped'::text) = (skip_reason IS NOT NULL))),
    CONSTRAINT sync_run_log_kind_check CHECK ((kind = ANY (ARRAY['export'::text, 'reconcile'::text]))),
    CONSTRAINT sync_run_log_max_attempts_check CHECK ((max_attempts >= 1)),
    CONSTRAINT sync_run_log_records_exported_check CHECK ((records_exported >= 0)),
    CONSTRAINT sync_run_log_skip_reason_check CHECK (((skip_reason IS NULL) OR (skip_reason = ANY (ARRAY['overlap'::text, 'missed'::text, 'disabled'::text])))),
    CONSTRAINT sync_run_log_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'running'::text, 'succeeded'::text, 'failed'::text, 'cancelled'::text, 'skipped'::text]))),
    CONSTRAINT sync_run_log_triggered_by_check CHECK ((triggered_by = ANY (ARRAY['manual'::text, 'scheduled'::text])))
);

--
-- Name: COLUMN sync_run_log.kind; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.sync_run_log.kind IS 'export: sends approved entries; reconcile: reads the books back and records findings (docs/reconciliation.md). Both share the one active slot per (org, integration type).';

--
-- Name: claim_runs(text, integer, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.claim_runs(p_worker_id text, p_limit integer DEFAULT 1, p_lease_seconds integer DEFAULT 60) RETURNS SETOF public.sync_run_log
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: complete_runs(text, uuid[], integer[], integer[]); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.complete_runs(p_worker_id text, p_run_ids uuid[], p_attempts integer[], p_records_exported integer[] DEFAULT NULL::integer[]) RETURNS SETOF uuid
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: count_api_requests(uuid, jsonb, timestamp with time zone); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.count_api_requests(p_integration_id uuid, p_counts jsonb, p_at timestamp with time zone DEFAULT now()) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $_$
declare
  v_org uuid;
  v_bad text;
begin
  if p_counts is null or pg_catalog.jsonb_typeof(p_counts) <> 'object' then
    perform sync_engine.raise_api_error('invalid_request_counts', 400,
      'Request counts must be a JSON object of purpose → count.', null);
  end if;
  select k into v_bad from pg_catalog.jsonb_each(p_counts) as e(k, v)
  where k not in ('export', 'lookup', 'ping', 'token', 'reconcile')
     or pg_catalog.jsonb_typeof(v) <> 'number' or v::text !~ '^[0-9]+$'
  limit 1;
  if v_bad is not null then
    perform sync_engine.raise_api_error('invalid_request_counts', 400,
      'Purposes are export, lookup, ping, token and reconcile; counts are whole numbers ≥ 0.',
      pg_catalog.jsonb_build_object('purpose', v_bad));
  end if;
  select i.org_id into v_org from public.organization_integrations i where i.id = p_integration_id;
  if v_org is null then
    return; -- deleted meanwhile: nothing to bill it to
  end if;
  insert into public.api_request_tally as t (integration_id, org_id, month, purpose, requests)
  select p_integration_id, v_org, pg_catalog.date_trunc('month', p_at at time zone 'UTC')::date, e.k, e.v::text::bigint
  from pg_catalog.jsonb_each(p_counts) as e(k, v)
  where e.v::text::bigint > 0
  on conflict (integration_id, month, purpose) do update
    set requests = t.requests + excluded.requests, updated_at = now();
end;
$_$;

--
-- Name: cron_problem(text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.cron_problem(p_cron text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $_$
declare
  c_names constant text[] := array['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
  c_min constant integer[] := array[0, 0, 1, 1, 0];
  -- Day-of-week 7 is Sunday too, as in croner and Vixie cron.
  c_max constant integer[] := array[59, 23, 31, 12, 7];
  v_fields text[];
  v_item text;
  v_range text;
  v_bounds text[];
  v_n integer;
  v_lo integer;
  v_hi integer;
begin
  if p_cron is null then
    return null;
  end if;
  if length(p_cron) > 200 then
    return 'is longer than 200 characters';
  end if;
  v_fields := regexp_split_to_array(btrim(p_cron), '\s+');
  if cardinality(v_fields) <> 5 then
    return format('must have 5 fields (minute hour day-of-month month day-of-week), got %s', cardinality(v_fields));
  end if;
  for i in 1..5 loop
    foreach v_item in array string_to_array(v_fields[i], ',') loop
      -- item := (* | n | n-m) [/step]
      if v_item !~ '^(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?$' then
        return format('%s field: "%s" is not a value, range or step', c_names[i], left(v_item, 20));
      end if;
      if v_item ~ '/' and split_part(v_item, '/', 2)::numeric not between 1 and c_max[i] then
        return format('%s field: step must be between 1 and %s', c_names[i], c_max[i]);
      end if;
      v_range := split_part(v_item, '/', 1);
      continue when v_range = '*';
      v_bounds := string_to_array(v_range, '-');
      for j in 1..cardinality(v_bounds) loop
        v_n := case
          when v_bounds[j] ~ '^[0-9]{1,3}$' then v_bounds[j]::integer
          when i = 4 then array_position(array['JAN','FEB','MAR','APR','MAY','JUN','JUL','AUG','SEP','OCT','NOV','DEC'], upper(v_bounds[j]))
          when i = 5 then array_position(array['SUN','MON','TUE','WED','THU','FRI','SAT'], upper(v_bounds[j])) - 1
        end;
        if v_n is null or v_n < c_min[i] or v_n > c_max[i] then
          return format('%s field: "%s" is outside %s-%s', c_names[i], left(v_bounds[j], 20), c_min[i], c_max[i]);
        end if;
        if j = 1 then v_lo := v_n; else v_hi := v_n; end if;
      end loop;
      if cardinality(v_bounds) = 2 and v_hi < v_lo then
        return format('%s field: range %s is backwards', c_names[i], left(v_range, 20));
      end if;
    end loop;
  end loop;
  return null;
end;
$_$;

--
-- Name: default_reconcile_period(text, timestamp with time zone); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.default_reconcile_period(p_timezone text, p_at timestamp with time zone DEFAULT now(), OUT period_start date, OUT period_end date) RETURNS record
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select (pg_catalog.date_trunc('month', (p_at at time zone p_timezone)) - interval '1 month')::date,
         (pg_catalog.date_trunc('month', (p_at at time zone p_timezone)) + interval '1 month' - interval '1 day')::date
$$;

--
-- Name: default_voucher_number(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.default_voucher_number() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  if new.voucher_number is null then
    new.voucher_number := new.id::text;
  end if;
  return new;
end;
$$;

--
-- Name: defer_health_check(uuid, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.defer_health_check(p_integration_id uuid, p_next_check_at timestamp with time zone, p_evidence_at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_recovered boolean;
begin
  update public.organization_integrations i set health_next_check_at = p_next_check_at
  where i.id = p_integration_id;
  update public.organization_integrations i set
    health_status = 'healthy',
    health_checked_at = p_evidence_at,
    health_consecutive_failures = 0,
    health_last_error = null
  where i.id = p_integration_id
    and p_evidence_at is not null
    and p_evidence_at > coalesce(i.health_checked_at, '-infinity'::timestamptz)
    and i.health_status <> 'healthy';
  get diagnostics v_recovered = row_count;
  if v_recovered then
    update public.sync_alerts a set resolved_at = now()
    where a.integration_id = p_integration_id and a.kind = 'health' and a.resolved_at is null;
  end if;
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
-- Name: due_reconciliations(timestamp with time zone, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.due_reconciliations(p_now timestamp with time zone, p_limit integer DEFAULT 100) RETURNS TABLE(integration_id uuid, reconcile_cron text, schedule_timezone text, next_reconcile_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select i.id, i.reconcile_cron, i.schedule_timezone, i.next_reconcile_at
  from public.organization_integrations i
  where i.reconcile_cron is not null and i.enabled
    and (i.next_reconcile_at is null or i.next_reconcile_at <= p_now)
  order by i.next_reconcile_at nulls first, i.id
  limit greatest(coalesce(p_limit, 0), 0)
$$;

--
-- Name: enqueue_notification(uuid, text, text, jsonb); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.enqueue_notification(p_org_id uuid, p_event text, p_text text, p_data jsonb) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_count integer;
begin
  insert into public.notification_deliveries (id, org_id, target_id, event, payload)
  select d.id, p_org_id, t.id, p_event,
    pg_catalog.jsonb_build_object(
      'id', d.id, 'event', p_event, 'org_id', p_org_id, 'occurred_at', now(),
      -- Slack incoming webhooks show "text"; generic receivers read "data".
      'text', p_text, 'data', coalesce(p_data, '{}'::jsonb))
  from public.notification_targets t
  cross join lateral (select gen_random_uuid() as id) d
  where t.org_id = p_org_id and t.enabled and p_event = any (t.events);
  get diagnostics v_count = row_count;
  return v_count;
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

  if p_triggered_by = 'scheduled' and not v_integration.enabled then
    insert into public.sync_run_log as r (org_id, integration_id, integration_type, status, triggered_by,
      scheduled_for, idempotency_key, max_attempts, finished_at, skip_reason)
    values (v_integration.org_id, v_integration.id, v_integration.integration_type, 'skipped', 'scheduled',
      p_scheduled_for, p_idempotency_key, v_integration.max_attempts, now(), 'disabled')
    returning r.id into run_id;
    outcome := 'skipped';
    return;
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
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: held_reconcile_run(uuid, text, integer, boolean); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.held_reconcile_run(p_run_id uuid, p_worker_id text, p_attempt integer, p_lock boolean DEFAULT false) RETURNS public.sync_run_log
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_run public.sync_run_log%rowtype;
begin
  if p_lock then
    select * into v_run from public.sync_run_log r
    where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running'
      and r.kind = 'reconcile'
    for update;
  else
    select * into v_run from public.sync_run_log r
    where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running'
      and r.kind = 'reconcile';
  end if;
  if not found then
    perform sync_engine.raise_run_not_held(p_run_id, p_worker_id, p_attempt);
  end if;
  return v_run;
end;
$$;

--
-- Name: in_flight_since(uuid, text, integer, uuid[]); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.in_flight_since(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[]) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
  v_run public.sync_run_log%rowtype;
  v_marked timestamptz;
begin
  select * into v_run from public.sync_run_log r
  where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running';
  if not found then
    perform sync_engine.raise_run_not_held(p_run_id, p_worker_id, p_attempt);
  end if;
  select min(f.first_marked_at) into v_marked
  from sync_engine.export_in_flight f
  where f.integration_id = v_run.integration_id and f.entry_id = any (p_entry_ids);
  -- least() ignores nulls: no marker → the run's start; markers of an earlier run → that mark.
  return least(v_marked, v_run.started_at);
end;
$$;

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
    health_passive_until timestamp with time zone,
    reconcile_cron text DEFAULT '0 3 * * *'::text,
    next_reconcile_at timestamp with time zone,
    CONSTRAINT organization_integrations_config_check CHECK ((jsonb_typeof(config) = 'object'::text)),
    CONSTRAINT organization_integrations_health_consecutive_failures_check CHECK ((health_consecutive_failures >= 0)),
    CONSTRAINT organization_integrations_health_mode_check CHECK ((health_mode = ANY (ARRAY['active'::text, 'passive'::text]))),
    CONSTRAINT organization_integrations_health_status_check CHECK ((health_status = ANY (ARRAY['unknown'::text, 'healthy'::text, 'degraded'::text, 'unhealthy'::text]))),
    CONSTRAINT organization_integrations_integration_type_check CHECK ((integration_type = ANY (ARRAY['xledger'::text, 'dynamics'::text]))),
    CONSTRAINT organization_integrations_max_attempts_check CHECK (((max_attempts >= 1) AND (max_attempts <= 100))),
    CONSTRAINT organization_integrations_reconcile_cron_check CHECK (((reconcile_cron IS NULL) OR (length(reconcile_cron) <= 200))),
    CONSTRAINT organization_integrations_schedule_cron_check CHECK (((schedule_cron IS NULL) OR (length(schedule_cron) <= 200)))
);

--
-- Name: insert_reconcile_run(public.organization_integrations, text, uuid, date, date, timestamp with time zone, text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.insert_reconcile_run(p_integration public.organization_integrations, p_triggered_by text, p_user_id uuid, p_period_start date, p_period_end date, p_scheduled_for timestamp with time zone DEFAULT NULL::timestamp with time zone, p_idempotency_key text DEFAULT NULL::text) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_run_id uuid;
begin
  insert into public.sync_run_log as r (org_id, integration_id, integration_type, kind, status, triggered_by,
    triggered_by_user_id, scheduled_for, idempotency_key, max_attempts, progress)
  values (p_integration.org_id, p_integration.id, p_integration.integration_type, 'reconcile', 'pending',
    p_triggered_by, case when p_triggered_by = 'manual' then p_user_id end, p_scheduled_for, p_idempotency_key,
    p_integration.max_attempts,
    pg_catalog.jsonb_build_object('period_start', p_period_start::text, 'period_end', p_period_end::text,
      'checked', 0, 'findings', 0, 'requests', 0))
  on conflict do nothing
  returning r.id into v_run_id;
  if v_run_id is not null then
    perform sync_engine.dispatch_run(v_run_id);
  end if;
  return v_run_id;
end;
$$;

--
-- Name: insert_rejection(public.sync_run_log, text, text, text, text, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.insert_rejection(p_run public.sync_run_log, p_voucher_number text, p_error_code text, p_error_message text, p_remote_code text, p_remote_status integer) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_ids uuid[];
  v_id uuid;
begin
  select array_agg(e.id order by e.id) into v_ids
  from public.ledger_entries e
  where e.org_id = p_run.org_id and e.voucher_number = p_voucher_number
    and not exists (select from public.ledger_entry_exports x
                    where x.entry_id = e.id and x.integration_id = p_run.integration_id);
  insert into public.export_rejections as r (org_id, integration_id, integration_type, voucher_number,
    error_code, error_message, remote_code, remote_status, entry_ids, lines, run_id)
  values (p_run.org_id, p_run.integration_id, p_run.integration_type, p_voucher_number,
    left(p_error_code, 100), left(coalesce(p_error_message, ''), 2000), left(p_remote_code, 200), p_remote_status,
    coalesce(v_ids, array[]::uuid[]), coalesce(cardinality(v_ids), 0), p_run.id)
  on conflict (integration_id, voucher_number) where status in ('rejected', 'skipped') do nothing
  returning r.id into v_id;
  if v_id is not null then
    update public.sync_run_log r
    set progress = r.progress || pg_catalog.jsonb_build_object(
      'rejected_vouchers', coalesce((r.progress ->> 'rejected_vouchers')::integer, 0) + 1)
    where r.id = p_run.id;
  end if;
  return v_id;
end;
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
-- Name: integration_schema(text, text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.integration_schema(p_type text, p_kind text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $_$
  select case p_type || ':' || p_kind
    when 'xledger:config' then $json${"type":"object","properties":{"base_url":{"type":"string","pattern":"^https?:\\/\\/[^\\s/?#]+([/?#]\\S*)?$"},"transaction_source":{"default":"GL","type":"string","minLength":1},"job_level":{"default":{"db_sub_id":1},"anyOf":[{"type":"object","properties":{"db_sub_id":{"type":"integer","minimum":0,"maximum":2147483647}},"required":["db_sub_id"],"additionalProperties":false},{"type":"object","properties":{"db_id":{"type":"integer","minimum":0,"maximum":2147483647}},"required":["db_id"],"additionalProperties":false}]},"tr_reg_number":{"type":"integer","minimum":0,"maximum":2147483647},"base_currency":{"type":"string","pattern":"^[A-Z]{3}$"},"foreign_currency":{"default":"refuse","type":"string","enum":["refuse","invoice_amount"]},"monthly_request_allowance":{"default":5000,"type":"integer","minimum":1,"maximum":9007199254740991}},"required":["base_url"]}$json$::jsonb
    when 'xledger:credentials' then $json${"type":"object","properties":{"token":{"type":"string","minLength":1}},"required":["token"]}$json$::jsonb
    when 'dynamics:config' then $json${"type":"object","properties":{"base_url":{"type":"string","pattern":"^https?:\\/\\/[^\\s/?#]+([/?#]\\S*)?$"},"tenant_id":{"type":"string","minLength":1},"environment":{"type":"string","minLength":1},"token_url":{"type":"string","pattern":"^https?:\\/\\/[^\\s/?#]+([/?#]\\S*)?$"},"company_id":{"type":"string","format":"uuid","pattern":"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"},"journal_id":{"type":"string","format":"uuid","pattern":"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"},"journal_code":{"type":"string","minLength":1,"maxLength":10},"local_currency":{"type":"string","pattern":"^[A-Z]{3}$"},"balancing_account_number":{"type":"string","minLength":1,"maxLength":20,"pattern":"\\S"}},"required":["base_url","company_id"],"allOf":[{"if":{"properties":{"base_url":{"pattern":"^https:\\/\\/[Aa][Pp][Ii]\\.[Bb][Uu][Ss][Ii][Nn][Ee][Ss][Ss][Cc][Ee][Nn][Tt][Rr][Aa][Ll]\\.[Dd][Yy][Nn][Aa][Mm][Ii][Cc][Ss]\\.[Cc][Oo][Mm](?:[/:?#]|$)"}},"required":["base_url"]},"then":{"required":["environment"]},"description":"environment is required for Business Central online (api.businesscentral.dynamics.com)"},{"anyOf":[{"required":["journal_id"]},{"required":["journal_code"]}],"description":"journal_id or journal_code is required"},{"anyOf":[{"required":["token_url"]},{"required":["tenant_id"]}],"description":"token_url is required when tenant_id is not given"}]}$json$::jsonb
    when 'dynamics:credentials' then $json${"type":"object","properties":{"client_id":{"type":"string","minLength":1},"client_secret":{"type":"string","minLength":1}},"required":["client_id","client_secret"]}$json$::jsonb
  end
$_$;

--
-- Name: is_row_error(text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.is_row_error(p_sqlstate text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
  select left(coalesce(p_sqlstate, ''), 2) in ('09', '21', '22', '23', '27', '2F', '39', 'P0')
$$;

--
-- Name: json_schema_issues(jsonb, jsonb, text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.json_schema_issues(p_schema jsonb, p_value jsonb, p_path text DEFAULT ''::text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $_$
declare
  v_issues jsonb := '[]'::jsonb;
  v_key text;
  v_sub jsonb;
  v_type text := pg_catalog.jsonb_typeof(p_value);
  v_want text;
  v_ok boolean;
  v_child_path text;
begin
  for v_key in select k from pg_catalog.jsonb_object_keys(p_schema) as k loop
    if not (v_key = any (array['$schema', 'type', 'properties', 'required', 'additionalProperties',
        'minLength', 'maxLength', 'pattern', 'format', 'enum', 'const', 'anyOf', 'allOf', 'if', 'then',
        'else', 'minimum', 'maximum', 'default', 'description', 'title', 'examples'])) then
      raise exception 'json_schema_issues: unsupported keyword %', v_key using errcode = '0A000';
    end if;
  end loop;

  if p_schema ? 'type' then
    v_want := p_schema ->> 'type';
    v_ok := case v_want
      when 'integer' then v_type = 'number' and (p_value #>> '{}')::numeric = trunc((p_value #>> '{}')::numeric)
      else v_type = v_want end;
    if not v_ok then
      return pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('path', p_path,
        'message', format('must be of type %s', v_want)));
    end if;
  end if;

  if p_schema ? 'enum' and not (p_schema -> 'enum') @> pg_catalog.jsonb_build_array(p_value) then
    v_issues := v_issues || pg_catalog.jsonb_build_object('path', p_path, 'message', 'must be one of the allowed values');
  end if;
  if p_schema ? 'const' and (p_schema -> 'const') <> p_value then
    v_issues := v_issues || pg_catalog.jsonb_build_object('path', p_path, 'message', 'must be the allowed value');
  end if;

  if v_type = 'string' then
    if p_schema ? 'minLength' and length(p_value #>> '{}') < (p_schema ->> 'minLength')::integer then
      v_issues := v_issues || pg_catalog.jsonb_build_object('path', p_path,
        'message', format('must be at least %s characters', p_schema ->> 'minLength'));
    end if;
    if p_schema ? 'maxLength' and length(p_value #>> '{}') > (p_schema ->> 'maxLength')::integer then
      v_issues := v_issues || pg_catalog.jsonb_build_object('path', p_path,
        'message', format('must be at most %s characters', p_schema ->> 'maxLength'));
    end if;
    if p_schema ? 'pattern' and not ((p_value #>> '{}') ~ (p_schema ->> 'pattern')) then
      v_issues := v_issues || pg_catalog.jsonb_build_object('path', p_path,
        'message', coalesce(p_schema ->> 'description', 'has an invalid format'));
    end if;
  elsif v_type = 'number' then
    if p_schema ? 'minimum' and (p_value #>> '{}')::numeric < (p_schema ->> 'minimum')::numeric then
      v_issues := v_issues || pg_catalog.jsonb_build_object('path', p_path,
        'message', format('must be at least %s', p_schema ->> 'minimum'));
    end if;
    if p_schema ? 'maximum' and (p_value #>> '{}')::numeric > (p_schema ->> 'maximum')::numeric then
      v_issues := v_issues || pg_catalog.jsonb_build_object('path', p_path,
        'message', format('must be at most %s', p_schema ->> 'maximum'));
    end if;
  elsif v_type = 'object' then
    for v_key in select pg_catalog.jsonb_array_elements_text(coalesce(p_schema -> 'required', '[]')) loop
      if not p_value ? v_key then
        v_issues := v_issues || pg_catalog.jsonb_build_object('path', concat_ws('.', nullif(p_path, ''), v_key),
          'message', 'is required');
      end if;
    end loop;
    for v_key, v_sub in select e.key, e.value from pg_catalog.jsonb_each(p_value) e order by e.key loop
      v_child_path := concat_ws('.', nullif(p_path, ''), v_key);
      if p_schema -> 'properties' ? v_key then
        v_issues := v_issues || sync_engine.json_schema_issues(p_schema -> 'properties' -> v_key, v_sub, v_child_path);
      elsif p_schema -> 'additionalProperties' = 'false'::jsonb then
        v_issues := v_issues || pg_catalog.jsonb_build_object('path', v_child_path, 'message', 'is not allowed');
      elsif pg_catalog.jsonb_typeof(p_schema -> 'additionalProperties') = 'object' then
        v_issues := v_issues || sync_engine.json_schema_issues(p_schema -> 'additionalProperties', v_sub, v_child_path);
      end if;
    end loop;
  end if;

  for v_sub in select pg_catalog.jsonb_array_elements(coalesce(p_schema -> 'allOf', '[]')) loop
    v_issues := v_issues || sync_engine.json_schema_issues(v_sub, p_value, p_path);
  end loop;
  if p_schema ? 'anyOf' then
    v_ok := false;
    for v_sub in select pg_catalog.jsonb_array_elements(p_schema -> 'anyOf') loop
      if sync_engine.json_schema_issues(v_sub, p_value, p_path) = '[]'::jsonb then
        v_ok := true;
        exit;
      end if;
    end loop;
    if not v_ok then
      -- Our cross-field rules name their first key's path and say what is missing in description.
      v_issues := v_issues || pg_catalog.jsonb_build_object(
        'path', concat_ws('.', nullif(p_path, ''), p_schema -> 'anyOf' -> 0 -> 'required' ->> 0),
        'message', coalesce(p_schema ->> 'description', 'matches none of the allowed shapes'));
    end if;
  end if;
  if p_schema ? 'if' then
    if sync_engine.json_schema_issues(p_schema -> 'if', p_value, p_path) = '[]'::jsonb then
      if p_schema ? 'then' then
        v_issues := v_issues || sync_engine.json_schema_issues(p_schema -> 'then', p_value, p_path);
      end if;
    elsif p_schema ? 'else' then
      v_issues := v_issues || sync_engine.json_schema_issues(p_schema -> 'else', p_value, p_path);
    end if;
  end if;
  return v_issues;
end;
$_$;

--
-- Name: jsonb_count(jsonb); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.jsonb_count(p_value jsonb) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
  select case when pg_catalog.jsonb_typeof(p_value) = 'number'
    then greatest(least(floor((p_value #>> '{}')::numeric), 2147483647), 0)::integer
    else 0 end
$$;

--
-- Name: FUNCTION jsonb_count(p_value jsonb); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.jsonb_count(p_value jsonb) IS 'A counter read from progress jsonb: anything but a number is 0; clamped to [0, 2^31 − 1].';

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
      else greatest(r.lease_expires_at, now() + sync_engine.bounded_interval(p_lease_seconds)) end
  where r.id = v_run.id
  returning r.lease_expires_at into v_run.lease_expires_at;
  return v_run.lease_expires_at;
end;
$$;

--
-- Name: ms_between(timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.ms_between(p_from timestamp with time zone, p_to timestamp with time zone) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
  -- extract(epoch) is numeric (±Infinity for infinite timestamps; ∞ − ∞ is NaN, taken as 0).
  select case
    when d is null then null
    when d = 'NaN'::numeric then 0
    else greatest(least(d, 9007199254740991), -9007199254740991)::bigint
  end
  from (select (extract(epoch from p_to) - extract(epoch from p_from)) * 1000 as d) x
$$;

--
-- Name: FUNCTION ms_between(p_from timestamp with time zone, p_to timestamp with time zone); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.ms_between(p_from timestamp with time zone, p_to timestamp with time zone) IS 'p_to − p_from in milliseconds, saturated at ±(2^53 − 1); null if either is null.';

--
-- Name: next_export_batch(uuid, text, integer, text, integer, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.next_export_batch(p_run_id uuid, p_worker_id text, p_attempt integer, p_after_voucher text, p_limit integer, p_max_vouchers integer DEFAULT NULL::integer) RETURNS TABLE(entry_id uuid, voucher_number text, entry_date text, account text, amount text, currency text, description text, in_flight boolean)
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  -- 1,000 at most: one batch is one external request.
  v_limit integer := least(greatest(coalesce(p_limit, 100), 1), 1000);
  v_max_vouchers integer := least(greatest(coalesce(p_max_vouchers, v_limit), 1), v_limit);
  v_run public.sync_run_log%rowtype;
  v_vouchers text[];
  v_lines integer[];
  v_problems text[];
  v_messages text[];
  v_taken text[];
  v_running integer;
  v_full boolean;
begin
  select * into v_run from public.sync_run_log r
  where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running';
  if not found then
    perform sync_engine.raise_run_not_held(p_run_id, p_worker_id, p_attempt);
  end if;

  loop
    -- Candidate vouchers: at least one approved line not yet exported to this integration, no line
    -- awaiting approval, no open rejection. At most v_limit of them (each has at least one line).
    select array_agg(c.voucher_number order by c.voucher_number),
      array_agg(s.pending order by c.voucher_number),
      array_agg(case
        when s.pending > v_limit then 'voucher_too_large'
        when s.exported > 0 and s.fresh > 0 then 'voucher_amended'
        when s.unbalanced is not null then 'voucher_unbalanced'
        when s.dates > 1 then 'voucher_mixed_dates'
      end order by c.voucher_number),
      array_agg(case
        when s.pending > v_limit then format('Voucher %s has %s lines; one request carries at most %s.',
          c.voucher_number, s.pending, v_limit)
        when s.exported > 0 and s.fresh > 0 then format('Voucher %s has %s lines exported before and %s added since; fix it in the accounting system and skip it here, or give the new lines a voucher of their own.',
          c.voucher_number, s.exported, s.pending)
        when s.unbalanced is not null then format('Voucher %s does not balance: %s.', c.voucher_number, s.unbalanced)
        when s.dates > 1 then format('Voucher %s has lines on %s different dates; a voucher is booked on one date.',
          c.voucher_number, s.dates)
      end order by c.voucher_number)
    into v_vouchers, v_lines, v_problems, v_messages
    from (
      select e.voucher_number
      from public.ledger_entries e
      where e.org_id = v_run.org_id
        and e.approved_at is not null
        and (p_after_voucher is null or e.voucher_number > p_after_voucher)
        and not exists (select from public.ledger_entry_exports x
                        where x.entry_id = e.id and x.integration_id = v_run.integration_id)
        and not exists (select from public.export_rejections j
                        where j.integration_id = v_run.integration_id and j.voucher_number = e.voucher_number
                          and j.status in ('rejected', 'skipped'))
        and not exists (select from public.ledger_entries u
                        where u.org_id = e.org_id and u.voucher_number = e.voucher_number and u.approved_at is null)
      group by e.voucher_number
      order by e.voucher_number
      limit v_limit
    ) c
    cross join lateral (
      select
        count(*) filter (where x.entry_id is null)::integer as pending,
        -- Unexported lines without an in-flight marker: new since the voucher went out. A line re-queued
        -- by a reconciliation carries a marker (public.requeue_reconciliation_finding), so a voucher
        -- whose only unexported lines were re-queued is sent again (looked up first), not "amended".
        count(*) filter (where x.entry_id is null and not exists (
          select from sync_engine.export_in_flight m
          where m.integration_id = v_run.integration_id and m.entry_id = l.id))::integer as fresh,
        count(*) filter (where x.entry_id is not null)::integer as exported,
        count(distinct l.entry_date)::integer as dates,
        -- Balanced per currency over ALL lines of the voucher (exported ones included).
        (select string_agg(format('%s %s', b.currency, b.total), ', ' order by b.currency)
         from (select l2.currency, sum(l2.amount) as total from public.ledger_entries l2
               where l2.org_id = v_run.org_id and l2.voucher_number = c.voucher_number
               group by l2.currency having sum(l2.amount) <> 0) b) as unbalanced
      from public.ledger_entries l
      left join public.ledger_entry_exports x on x.entry_id = l.id and x.integration_id = v_run.integration_id
      where l.org_id = v_run.org_id and l.voucher_number = c.voucher_number
    ) s;
    exit when v_vouchers is null;

    -- Invalid ones are rejected now; whole valid vouchers are taken in order while the running line
    -- count stays within the limit (the first one always).
    v_taken := array[]::text[];
    v_running := 0;
    v_full := false;
    for i in 1 .. cardinality(v_vouchers) loop
      if v_problems[i] is not null then
        perform sync_engine.insert_rejection(v_run, v_vouchers[i], v_problems[i], v_messages[i], null, null);
      elsif not v_full then
        if cardinality(v_taken) > 0
           and (v_running + v_lines[i] > v_limit or cardinality(v_taken) >= v_max_vouchers) then
          v_full := true;
        else
          v_taken := v_taken || v_vouchers[i];
          v_running := v_running + v_lines[i];
        end if;
      end if;
    end loop;

    if cardinality(v_taken) > 0 then
      return query
      select e.id, e.voucher_number,
        to_char(e.entry_date, 'YYYY-MM-DD'),
        e.account,
        e.amount::text,
        e.currency,
        e.description,
        exists (select from sync_engine.export_in_flight f
                where f.integration_id = v_run.integration_id and f.entry_id = e.id)
      from public.ledger_entries e
      where e.org_id = v_run.org_id and e.voucher_number = any (v_taken)
        and not exists (select from public.ledger_entry_exports x
                        where x.entry_id = e.id and x.integration_id = v_run.integration_id)
      order by e.voucher_number, e.id;
      return;
    end if;
    -- Nothing valid among these candidates: they are rejected now (so excluded), look further.
  end loop;
end;
$$;

--
-- Name: notify_from_alert(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.notify_from_alert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_type text;
begin
  select i.integration_type into v_type from public.organization_integrations i where i.id = new.integration_id;
  if tg_op = 'INSERT' and new.kind = 'drift' then
    perform sync_engine.enqueue_notification(new.org_id, 'drift',
      format('%s: %s', coalesce(v_type, 'sync'), new.message),
      pg_catalog.jsonb_build_object('alert_id', new.id, 'integration_type', v_type, 'run_id', new.run_id,
        'severity', new.severity, 'message', new.message, 'details', new.details));
  elsif new.kind = 'health' and (tg_op = 'INSERT' or (old.resolved_at is null and new.resolved_at is not null)) then
    perform sync_engine.enqueue_notification(new.org_id, 'health_changed',
      format('%s: %s', coalesce(v_type, 'integration'),
        case when tg_op = 'INSERT' then new.message else 'Integration health recovered.' end),
      pg_catalog.jsonb_build_object('alert_id', new.id, 'integration_type', v_type,
        'severity', case when tg_op = 'INSERT' then new.severity else 'info' end,
        'resolved', tg_op = 'UPDATE', 'message', new.message, 'details', new.details));
  elsif tg_op = 'INSERT' and new.kind = 'reconciliation' then
    perform sync_engine.enqueue_notification(new.org_id, 'reconciliation_differences',
      format('%s: %s', coalesce(v_type, 'integration'), new.message),
      pg_catalog.jsonb_build_object('alert_id', new.id, 'integration_type', v_type, 'run_id', new.run_id,
        'severity', new.severity, 'message', new.message, 'details', new.details));
  end if;
  return null;
end;
$$;

--
-- Name: notify_from_rejection(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.notify_from_rejection() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  perform sync_engine.enqueue_notification(new.org_id, 'vouchers_rejected',
    format('%s refused voucher %s: %s', new.integration_type, new.voucher_number, new.error_message),
    pg_catalog.jsonb_build_object('rejection_id', new.id, 'integration_type', new.integration_type,
      'voucher_number', new.voucher_number, 'error_code', new.error_code, 'error_message', new.error_message,
      'remote_code', new.remote_code, 'remote_status', new.remote_status, 'run_id', new.run_id, 'lines', new.lines));
  return null;
end;
$$;

--
-- Name: notify_from_run(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.notify_from_run() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  perform sync_engine.enqueue_notification(new.org_id, 'run_failed',
    format('%s %s failed after attempt %s of %s: %s', new.integration_type,
      case new.kind when 'reconcile' then 'reconciliation' else 'sync' end, new.attempt, new.max_attempts,
      coalesce(new.error_message, new.error_code, 'unknown error')),
    pg_catalog.jsonb_build_object('run_id', new.id, 'integration_type', new.integration_type, 'kind', new.kind,
      'triggered_by', new.triggered_by, 'attempt', new.attempt, 'max_attempts', new.max_attempts,
      'error_code', new.error_code, 'error_message', new.error_message, 'records_exported', new.records_exported));
  return null;
end;
$$;

--
-- Name: reconciliation_findings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reconciliation_findings (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    run_id uuid NOT NULL,
    org_id uuid NOT NULL,
    integration_id uuid NOT NULL,
    integration_type text NOT NULL,
    ledger_entry_id uuid,
    kind text NOT NULL,
    expected jsonb,
    actual jsonb,
    found_at timestamp with time zone DEFAULT now() NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    acted_by uuid,
    acted_at timestamp with time zone,
    note text,
    CONSTRAINT reconciliation_findings_actual_check CHECK (((actual IS NULL) OR (jsonb_typeof(actual) = 'object'::text))),
    CONSTRAINT reconciliation_findings_check CHECK (((status = 'open'::text) = (acted_at IS NULL))),
    CONSTRAINT reconciliation_findings_check1 CHECK (((kind = 'missing'::text) = (actual IS NULL))),
    CONSTRAINT reconciliation_findings_check2 CHECK (((kind = 'extra'::text) = (expected IS NULL))),
    CONSTRAINT reconciliation_findings_expected_check CHECK (((expected IS NULL) OR (jsonb_typeof(expected) = 'object'::text))),
    CONSTRAINT reconciliation_findings_integration_type_check CHECK ((integration_type = ANY (ARRAY['xledger'::text, 'dynamics'::text]))),
    CONSTRAINT reconciliation_findings_kind_check CHECK ((kind = ANY (ARRAY['missing'::text, 'extra'::text, 'amount_mismatch'::text, 'account_mismatch'::text, 'date_mismatch'::text]))),
    CONSTRAINT reconciliation_findings_note_check CHECK (((note IS NULL) OR ((length(note) >= 1) AND (length(note) <= 500)))),
    CONSTRAINT reconciliation_findings_status_check CHECK ((status = ANY (ARRAY['open'::text, 'requeued'::text, 'acknowledged'::text])))
);

--
-- Name: open_finding_for_caller(uuid, uuid); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.open_finding_for_caller(p_org_id uuid, p_finding_id uuid) RETURNS public.reconciliation_findings
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_row public.reconciliation_findings%rowtype;
begin
  perform sync_engine.authorize_org_caller(p_org_id, array['admin', 'coordinator'], 'act on reconciliation findings');
  select * into v_row from public.reconciliation_findings f
  where f.id = p_finding_id and f.org_id = p_org_id
  for update;
  if not found then
    perform sync_engine.raise_api_error('finding_not_found', 404,
      'No reconciliation finding with this id in your organization.');
  end if;
  if v_row.status <> 'open' then
    perform sync_engine.raise_api_error('finding_not_open', 409,
      format('This finding was already %s.', v_row.status),
      p_details => pg_catalog.jsonb_build_object('status', v_row.status, 'acted_at', v_row.acted_at));
  end if;
  return v_row;
end;
$$;

--
-- Name: export_rejections; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.export_rejections (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    integration_id uuid NOT NULL,
    integration_type text NOT NULL,
    voucher_number text NOT NULL,
    status text DEFAULT 'rejected'::text NOT NULL,
    error_code text NOT NULL,
    error_message text NOT NULL,
    remote_code text,
    remote_status integer,
    entry_ids uuid[] NOT NULL,
    lines integer NOT NULL,
    run_id uuid,
    rejected_at timestamp with time zone DEFAULT now() NOT NULL,
    resolved_at timestamp with time zone,
    resolved_by uuid,
    resolution_reason text,
    CONSTRAINT export_rejections_check CHECK (((status = 'rejected'::text) = (resolved_at IS NULL))),
    CONSTRAINT export_rejections_error_code_check CHECK (((length(error_code) >= 1) AND (length(error_code) <= 100))),
    CONSTRAINT export_rejections_error_message_check CHECK ((length(error_message) <= 2000)),
    CONSTRAINT export_rejections_remote_code_check CHECK (((remote_code IS NULL) OR (length(remote_code) <= 200))),
    CONSTRAINT export_rejections_resolution_reason_check CHECK (((resolution_reason IS NULL) OR (length(resolution_reason) <= 500))),
    CONSTRAINT export_rejections_status_check CHECK ((status = ANY (ARRAY['rejected'::text, 'requeued'::text, 'skipped'::text])))
);

--
-- Name: open_rejection_for_caller(uuid, uuid); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.open_rejection_for_caller(p_org_id uuid, p_rejection_id uuid) RETURNS public.export_rejections
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_row public.export_rejections%rowtype;
begin
  perform sync_engine.authorize_org_caller(p_org_id, array['admin', 'coordinator'],
    're-queue or skip rejected vouchers');
  select * into v_row from public.export_rejections j
  where j.id = p_rejection_id and j.org_id = p_org_id
  for update;
  if not found then
    perform sync_engine.raise_api_error('rejection_not_found', 404,
      'No rejected voucher with this id in your organization.');
  end if;
  if v_row.status <> 'rejected' then
    perform sync_engine.raise_api_error('rejection_not_open', 409,
      format('This voucher was already %s.', v_row.status),
      p_details => pg_catalog.jsonb_build_object('status', v_row.status, 'resolved_at', v_row.resolved_at));
  end if;
  return v_row;
end;
$$;

--
-- Name: park_integration(uuid, text, text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.park_integration(p_integration_id uuid, p_code text, p_message text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: FUNCTION park_integration(p_integration_id uuid, p_code text, p_message text); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.park_integration(p_integration_id uuid, p_code text, p_message text) IS 'Pauses the schedule of an integration the scheduler cannot step (next_run_at infinity) and raises a critical parked alert.';

--
-- Name: park_run(uuid, text, text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.park_run(p_run_id uuid, p_code text, p_message text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: FUNCTION park_run(p_run_id uuid, p_code text, p_message text); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.park_run(p_run_id uuid, p_code text, p_message text) IS 'Fails a run the engine cannot process (coded error) and raises a critical parked alert once.';

--
-- Name: park_run_safely(uuid, text, text, text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.park_run_safely(p_run_id uuid, p_stage text, p_sqlstate text, p_error text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  begin
    perform sync_engine.park_run(p_run_id, 'run_unprocessable',
      format('The engine could not %s this run: %s (SQLSTATE %s).', p_stage, p_error, p_sqlstate));
  exception when others then
    raise warning 'sync_engine: run % could not be %ed or parked: %', p_run_id, p_stage, sqlerrm;
  end;
end;
$$;

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
  select (sync_engine.period_keys(array[p_integration_id], array[p_period]))[1]
$$;

--
-- Name: FUNCTION period_key(p_integration_id uuid, p_period timestamp with time zone); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.period_key(p_integration_id uuid, p_period timestamp with time zone) IS 'Idempotency key of a scheduled period: <integration id>:<nominal period start, ISO UTC, ms>.';

--
-- Name: period_keys(uuid[], timestamp with time zone[]); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.period_keys(p_integration_ids uuid[], p_periods timestamp with time zone[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
  select coalesce(pg_catalog.array_agg(x.id::text || ':'
    || pg_catalog.to_char(x.period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') order by x.n), '{}')
  from unnest(p_integration_ids, p_periods) with ordinality as x (id, period, n)
$$;

--
-- Name: FUNCTION period_keys(p_integration_ids uuid[], p_periods timestamp with time zone[]); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.period_keys(p_integration_ids uuid[], p_periods timestamp with time zone[]) IS 'Idempotency keys of scheduled periods, element by element (the one definition of the format; period_key calls it): <integration id>:<nominal period start, ISO UTC, ms>.';

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
-- Name: prune_alerts(interval, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.prune_alerts(p_older_than interval DEFAULT '90 days'::interval, p_limit integer DEFAULT 5000) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_count integer;
begin
  if p_older_than < interval '1 day' then
    raise exception 'alert retention must be at least 1 day, got %', p_older_than using errcode = '22023';
  end if;
  delete from public.sync_alerts a
  where a.id = any (array(
    select x.id from public.sync_alerts x
    where x.created_at < now() - least(p_older_than, interval '1000 years')
      and not (x.resolved_at is null and x.kind in ('health', 'parked'))
    order by x.created_at
    limit greatest(coalesce(p_limit, 0), 0)
  ));
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

--
-- Name: FUNCTION prune_alerts(p_older_than interval, p_limit integer); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.prune_alerts(p_older_than interval, p_limit integer) IS 'Alert retention: deletes up to p_limit alerts older than p_older_than (≥ 1 day), keeping unresolved health and parked alerts.';

--
-- Name: prune_health_checks(interval, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.prune_health_checks(p_older_than interval DEFAULT '30 days'::interval, p_limit integer DEFAULT 5000) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_count integer;
begin
  if p_older_than < interval '1 day' then
    raise exception 'health-check retention must be at least 1 day, got %', p_older_than using errcode = '22023';
  end if;
  delete from public.integration_health_checks h
  where h.id = any (array(
    select x.id from public.integration_health_checks x
    where x.checked_at < now() - least(p_older_than, interval '1000 years')
    order by x.checked_at
    limit greatest(coalesce(p_limit, 0), 0)
  ));
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

--
-- Name: FUNCTION prune_health_checks(p_older_than interval, p_limit integer); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.prune_health_checks(p_older_than interval, p_limit integer) IS 'Health-history retention: deletes up to p_limit checks older than p_older_than (≥ 1 day).';

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
  where r.id = any (array(
    select x.id from public.sync_run_log x
    where x.status in ('succeeded', 'failed', 'cancelled', 'skipped')
      and coalesce(x.finished_at, x.triggered_at) < now() - least(p_older_than, interval '1000 years')
    order by coalesce(x.finished_at, x.triggered_at)
    limit greatest(coalesce(p_limit, 0), 0)
  ));
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
-- Name: queue_due_schedule_groups(timestamp with time zone, text[], text[], timestamp with time zone[], timestamp with time zone[], timestamp with time zone[], integer, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.queue_due_schedule_groups(p_now timestamp with time zone, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[], p_first integer, p_group_size integer DEFAULT 500) RETURNS TABLE(step_ids uuid[], groups integer, integrations integer)
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: FUNCTION queue_due_schedule_groups(p_now timestamp with time zone, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[], p_first integer, p_group_size integer); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.queue_due_schedule_groups(p_now timestamp with time zone, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[], p_first integer, p_group_size integer) IS 'Scheduler tick: reads the due integrations of the given plans once, queues all but the first p_first (and those of plans that cannot be queued) as schedule groups, and returns the ids the tick steps itself.';

--
-- Name: queue_schedule_groups(uuid[], integer[], text[], text[], timestamp with time zone[], timestamp with time zone[], timestamp with time zone[], integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.queue_schedule_groups(p_ids uuid[], p_plans integer[], p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[], p_group_size integer DEFAULT 500) RETURNS TABLE(groups integer, integrations integer)
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: FUNCTION queue_schedule_groups(p_ids uuid[], p_plans integer[], p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[], p_group_size integer); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.queue_schedule_groups(p_ids uuid[], p_plans integer[], p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[], p_group_size integer) IS 'Scheduler tick: queues due integrations beyond its first batch as schedule groups (plans that already have one are left out); claim_runs applies them.';

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
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

--
-- Name: reconcile_entries(uuid, text, integer, uuid[]); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.reconcile_entries(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[]) RETURNS TABLE(entry_id uuid, voucher_number text, entry_date text, account text, amount text, currency text, external_id text)
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
  v_run public.sync_run_log%rowtype := sync_engine.held_reconcile_run(p_run_id, p_worker_id, p_attempt);
begin
  return query
  select e.id, e.voucher_number, to_char(e.entry_date, 'YYYY-MM-DD'), e.account, e.amount::text, e.currency,
    x.external_id
  from public.ledger_entry_exports x
  join public.ledger_entries e on e.id = x.entry_id
  where x.integration_id = v_run.integration_id and x.entry_id = any (p_entry_ids)
  order by x.entry_id;
end;
$$;

--
-- Name: reconcile_expected(uuid, text, integer, uuid, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.reconcile_expected(p_run_id uuid, p_worker_id text, p_attempt integer, p_after uuid, p_limit integer) RETURNS TABLE(entry_id uuid, voucher_number text, entry_date text, account text, amount text, currency text, external_id text)
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
  v_run public.sync_run_log%rowtype := sync_engine.held_reconcile_run(p_run_id, p_worker_id, p_attempt);
begin
  return query
  select e.id, e.voucher_number, to_char(e.entry_date, 'YYYY-MM-DD'), e.account, e.amount::text, e.currency,
    x.external_id
  from public.ledger_entry_exports x
  join public.ledger_entries e on e.id = x.entry_id
  where x.integration_id = v_run.integration_id
    and e.entry_date between (v_run.progress ->> 'period_start')::date and (v_run.progress ->> 'period_end')::date
    and (p_after is null or x.entry_id > p_after)
  order by x.entry_id
  limit least(greatest(coalesce(p_limit, 1000), 1), 10000);
end;
$$;

--
-- Name: reconcile_progress(uuid, text, integer, integer, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.reconcile_progress(p_run_id uuid, p_worker_id text, p_attempt integer, p_requests integer, p_lines_read integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_run public.sync_run_log%rowtype := sync_engine.held_reconcile_run(p_run_id, p_worker_id, p_attempt, true);
begin
  if v_run.progress ? 'recorded_at' then
    return;
  end if;
  update public.sync_run_log r set
    progress = r.progress || pg_catalog.jsonb_build_object(
      'requests', greatest(coalesce(p_requests, 0), 0), 'lines_read', greatest(coalesce(p_lines_read, 0), 0))
  where r.id = v_run.id;
end;
$$;

--
-- Name: reconcile_requests_this_month(uuid, text, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.reconcile_requests_this_month(p_run_id uuid, p_worker_id text, p_attempt integer) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
  v_run public.sync_run_log%rowtype := sync_engine.held_reconcile_run(p_run_id, p_worker_id, p_attempt);
begin
  return coalesce((select sum(t.requests) from public.api_request_tally t
    where t.integration_id = v_run.integration_id
      and t.month = pg_catalog.date_trunc('month', now() at time zone 'UTC')::date), 0);
end;
$$;

--
-- Name: reconciliation_audit_is_append_only(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.reconciliation_audit_is_append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  raise exception 'reconciliation_audit is append-only' using errcode = '42501';
end;
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

--
-- Name: record_health_decision(uuid, boolean, integer, text, text, text, text, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.record_health_decision(p_integration_id uuid, p_ok boolean, p_latency_ms integer, p_error_code text, p_error_message text, p_status text, p_mode text, p_next_check_at timestamp with time zone, p_passive_until timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  perform sync_engine.record_health_check(p_integration_id, p_ok, p_latency_ms, p_error_code, p_error_message,
    p_status, p_mode, p_next_check_at);
  update public.organization_integrations i
  set health_passive_until = case when p_mode = 'passive' then p_passive_until end
  where i.id = p_integration_id;
end;
$$;

--
-- Name: record_notification_attempt(uuid, integer, integer, text, integer, double precision, double precision); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.record_notification_attempt(p_id uuid, p_attempt integer, p_http_status integer, p_error text, p_duration_ms integer, p_backoff_base_seconds double precision DEFAULT 30, p_backoff_cap_seconds double precision DEFAULT 3600) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_ok boolean := p_http_status between 200 and 299;
  v_status text;
begin
  update public.notification_deliveries d set
    status = case when v_ok then 'delivered' when d.attempts >= d.max_attempts then 'failed' else 'pending' end,
    delivered_at = case when v_ok then now() end,
    next_attempt_at = case when v_ok then d.next_attempt_at
      else now() + make_interval(secs => sync_engine.backoff_seconds(p_attempt, p_backoff_base_seconds, p_backoff_cap_seconds)) end,
    locked_until = null,
    last_http_status = p_http_status,
    last_error = left(p_error, 500)
  where d.id = p_id and d.attempts = p_attempt and d.status = 'pending'
  returning d.status into v_status;
  if v_status is null then
    return null; -- not ours any more (lease expired and another worker took it)
  end if;
  insert into public.notification_delivery_attempts (delivery_id, org_id, attempt, http_status, error, duration_ms)
  select p_id, d.org_id, p_attempt, p_http_status, left(p_error, 500), p_duration_ms
  from public.notification_deliveries d where d.id = p_id;
  return v_status;
end;
$$;

--
-- Name: record_reconciliation(uuid, text, integer, jsonb, jsonb, integer, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.record_reconciliation(p_run_id uuid, p_worker_id text, p_attempt integer, p_findings jsonb, p_totals jsonb, p_checked integer, p_requests integer) RETURNS TABLE(findings integer, open_findings integer)
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $_$
declare
  v_run public.sync_run_log%rowtype := sync_engine.held_reconcile_run(p_run_id, p_worker_id, p_attempt, true);
  v_findings integer;
  v_open integer;
  v_by_kind jsonb;
  v_label text;
begin
  if v_run.progress ? 'recorded_at' then
    return query select coalesce((v_run.progress ->> 'findings')::integer, 0),
      (select count(*)::integer from public.reconciliation_findings f where f.run_id = v_run.id and f.status = 'open');
    return;
  end if;
  if pg_catalog.jsonb_typeof(coalesce(p_findings, '[]')) <> 'array'
     or pg_catalog.jsonb_typeof(coalesce(p_totals, '[]')) <> 'array' then
    perform sync_engine.raise_api_error('invalid_reconciliation', 400, 'Findings and totals must be JSON arrays.');
  end if;

  with given as (
    -- A reference that is not one of this org's entries stays in `actual` only, never as a reference.
    select case when exists (select from public.ledger_entries e where e.id = f.ledger_entry_id and e.org_id = v_run.org_id)
             then f.ledger_entry_id end as ledger_entry_id,
      f.kind, f.expected, f.actual
    from pg_catalog.jsonb_to_recordset(coalesce(p_findings, '[]'))
      as f (ledger_entry_id uuid, kind text, expected jsonb, actual jsonb)
  )
  insert into public.reconciliation_findings (run_id, org_id, integration_id, integration_type, ledger_entry_id,
    kind, expected, actual, found_at, status, acted_by, acted_at, note)
  select v_run.id, v_run.org_id, v_run.integration_id, v_run.integration_type, g.ledger_entry_id,
    g.kind, g.expected, g.actual, now(),
    coalesce(ack.status, 'open'), ack.acted_by, ack.acted_at, ack.note
  from given g
  left join lateral (
    select 'acknowledged'::text as status, a.acted_by, a.acted_at, a.note
    from public.reconciliation_findings a
    where a.integration_id = v_run.integration_id and a.status = 'acknowledged' and a.kind = g.kind
      and a.ledger_entry_id is not distinct from g.ledger_entry_id
      and a.expected is not distinct from g.expected and a.actual is not distinct from g.actual
    order by a.acted_at desc
    limit 1
  ) ack on true
  where not (g.kind = 'missing' and not exists (
      select from public.ledger_entry_exports x
      where x.entry_id = g.ledger_entry_id and x.integration_id = v_run.integration_id));

  -- What the accounting system reports is kept as it comes where the columns allow, and folded where
  -- they do not (a blank account as '(none)', a currency that is not an ISO code as ''), summed again
  -- after folding so one bad line never fails the record.
  insert into public.reconciliation_totals (run_id, org_id, integration_type, period_month, account, currency,
    our_total, their_total, our_entries, their_entries)
  select v_run.id, v_run.org_id, v_run.integration_type, x.period_month, x.account, x.currency,
    sum(x.our_total), sum(x.their_total), sum(x.our_entries), sum(x.their_entries)
  from (
    select pg_catalog.date_trunc('month', t.period_month)::date as period_month,
      left(coalesce(nullif(btrim(t.account), ''), '(none)'), 200) as account,
      case when t.currency ~ '^[A-Z]{3}$' then t.currency else '' end as currency,
      coalesce(t.our_total, 0) as our_total, coalesce(t.their_total, 0) as their_total,
      greatest(coalesce(t.our_entries, 0), 0) as our_entries, greatest(coalesce(t.their_entries, 0), 0) as their_entries
    from pg_catalog.jsonb_to_recordset(coalesce(p_totals, '[]'))
      as t (period_month date, account text, currency text, our_total numeric, their_total numeric,
            our_entries integer, their_entries integer)
    where t.period_month is not null
  ) x
  group by x.period_month, x.account, x.currency;

  select count(*)::integer, count(*) filter (where f.status = 'open')::integer into v_findings, v_open
  from public.reconciliation_findings f where f.run_id = v_run.id;
  select coalesce(pg_catalog.jsonb_object_agg(x.kind, x.n), '{}') into v_by_kind
  from (select f.kind, count(*)::integer as n from public.reconciliation_findings f
        where f.run_id = v_run.id and f.status = 'open' group by f.kind) x;

  update public.sync_run_log r set
    progress = r.progress || pg_catalog.jsonb_build_object(
      'checked', greatest(coalesce(p_checked, 0), 0), 'findings', v_findings,
      'requests', greatest(coalesce(p_requests, 0), 0), 'recorded_at', now())
  where r.id = v_run.id;

  if v_open > 0 then
    v_label := case v_run.integration_type when 'xledger' then 'Xledger' else 'Business Central' end;
    insert into public.sync_alerts (org_id, integration_id, run_id, kind, severity, message, details)
    values (v_run.org_id, v_run.integration_id, v_run.id, 'reconciliation', 'warning',
      format('%s difference%s between our exports and %s for %s – %s.', v_open,
        case when v_open = 1 then '' else 's' end, v_label,
        v_run.progress ->> 'period_start', v_run.progress ->> 'period_end'),
      pg_catalog.jsonb_build_object('findings', v_findings, 'open', v_open, 'by_kind', v_by_kind,
        'period_start', v_run.progress ->> 'period_start', 'period_end', v_run.progress ->> 'period_end'));
  end if;
  return query select v_findings, v_open;
end;
$_$;

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

--
-- Name: reject_voucher(uuid, text, integer, text, text, text, text, integer); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.reject_voucher(p_run_id uuid, p_worker_id text, p_attempt integer, p_voucher_number text, p_error_code text, p_error_message text, p_remote_code text DEFAULT NULL::text, p_remote_status integer DEFAULT NULL::integer) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_run public.sync_run_log%rowtype;
begin
  select * into v_run from public.sync_run_log r
  where r.id = p_run_id and r.worker_id = p_worker_id and r.attempt = p_attempt and r.status = 'running'
  for update;
  if not found then
    perform sync_engine.raise_run_not_held(p_run_id, p_worker_id, p_attempt);
  end if;
  if p_voucher_number is null or not exists (
    select from public.ledger_entries e where e.org_id = v_run.org_id and e.voucher_number = p_voucher_number
  ) then
    perform sync_engine.raise_api_error('invalid_export_batch', 400,
      'No voucher with this number in the run''s organization.',
      pg_catalog.jsonb_build_object('run_id', p_run_id));
  end if;
  -- The in-flight markers stay: a re-queued voucher is looked up before it is sent again.
  return sync_engine.insert_rejection(v_run, p_voucher_number, coalesce(p_error_code, 'bad_request'),
    p_error_message, p_remote_code, p_remote_status);
end;
$$;

--
-- Name: rejection_audit_is_append_only(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.rejection_audit_is_append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  raise exception 'export_rejection_audit is append-only' using errcode = '42501';
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
-- Name: reset_next_reconcile(); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.reset_next_reconcile() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  -- A changed schedule or zone invalidates the planned reconciliation; the next tick plans it afresh.
  new.next_reconcile_at := null;
  return new;
end;
$$;

--
-- Name: run_lock_key(uuid, text); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.run_lock_key(p_org_id uuid, p_integration_type text) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
  select (sync_engine.run_lock_keys(array[p_org_id], array[p_integration_type]))[1]
$$;

--
-- Name: FUNCTION run_lock_key(p_org_id uuid, p_integration_type text); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.run_lock_key(p_org_id uuid, p_integration_type text) IS 'The advisory lock key that serializes enqueues per (org, integration type).';

--
-- Name: run_lock_keys(uuid[], text[]); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.run_lock_keys(p_org_ids uuid[], p_integration_types text[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO ''
    AS $$
  select coalesce(pg_catalog.array_agg(pg_catalog.hashtextextended('sync:' || x.org_id::text || ':' || x.integration_type, 0)
    order by x.n), '{}')
  from unnest(p_org_ids, p_integration_types) with ordinality as x (org_id, integration_type, n)
$$;

--
-- Name: FUNCTION run_lock_keys(p_org_ids uuid[], p_integration_types text[]); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.run_lock_keys(p_org_ids uuid[], p_integration_types text[]) IS 'Advisory lock keys that serialize enqueues per (org, integration type), element by element (the one definition; run_lock_key calls it).';

--
-- Name: schedule_due_plan_ids(timestamp with time zone, uuid[], text[], text[], timestamp with time zone[], timestamp with time zone[], timestamp with time zone[]); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.schedule_due_plan_ids(p_now timestamp with time zone, p_ids uuid[], p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]) RETURNS TABLE(integration_id uuid, org_id uuid, integration_type text, run_id uuid, outcome text)
    LANGUAGE plpgsql
    SET search_path TO ''
    SET enable_seqscan TO 'off'
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

--
-- Name: FUNCTION schedule_due_plan_ids(p_now timestamp with time zone, p_ids uuid[], p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.schedule_due_plan_ids(p_now timestamp with time zone, p_ids uuid[], p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]) IS 'Scheduler bulk step for the given due integrations: locks those matching a plan (skip locked), enqueues their periods, advances next_run_at; one row per locked integration.';

--
-- Name: schedule_due_plans(timestamp with time zone, integer, text[], text[], timestamp with time zone[], timestamp with time zone[], timestamp with time zone[]); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.schedule_due_plans(p_now timestamp with time zone, p_limit integer, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]) RETURNS TABLE(integration_id uuid, org_id uuid, integration_type text, run_id uuid, outcome text)
    LANGUAGE sql
    SET search_path TO ''
    AS $$
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

--
-- Name: FUNCTION schedule_due_plans(p_now timestamp with time zone, p_limit integer, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]); Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON FUNCTION sync_engine.schedule_due_plans(p_now timestamp with time zone, p_limit integer, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]) IS 'Scheduler step from plans: locks up to p_limit due integrations whose (cron, zone, next_run_at) has a plan without missed periods, enqueues each period (set-based; duplicates and overlaps through enqueue_run), moves next_run_at. Returns one row per locked integration.';

--
-- Name: schedule_due_reconciliations(timestamp with time zone, uuid[], timestamp with time zone[], timestamp with time zone[]); Type: FUNCTION; Schema: sync_engine; Owner: -
--

CREATE FUNCTION sync_engine.schedule_due_reconciliations(p_now timestamp with time zone, p_integration_ids uuid[], p_expected_next timestamp with time zone[], p_new_next timestamp with time zone[]) RETURNS TABLE(integration_id uuid, run_id uuid, outcome text)
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_plan record;
  v_integration public.organization_integrations%rowtype;
  v_period record;
  v_run_id uuid;
  v_key text;
begin
  for v_plan in
    select x.id, x.expected, x.new_next
    from unnest(p_integration_ids, p_expected_next, p_new_next) as x (id, expected, new_next)
    order by x.id
  loop
    select * into v_integration from public.organization_integrations i
    -- Compared to the millisecond: the plan went through a JavaScript Date.
    where i.id = v_plan.id
      and pg_catalog.date_trunc('milliseconds', i.next_reconcile_at)
        is not distinct from pg_catalog.date_trunc('milliseconds', v_plan.expected)
      and i.reconcile_cron is not null and i.enabled
    for no key update skip locked;
    if not found then
      integration_id := v_plan.id; run_id := null; outcome := 'stale';
      return next;
      continue;
    end if;
    if v_integration.next_reconcile_at is null or v_integration.next_reconcile_at > p_now then
      update public.organization_integrations i set next_reconcile_at = v_plan.new_next where i.id = v_integration.id;
      integration_id := v_integration.id; run_id := null; outcome := 'planned';
      return next;
      continue;
    end if;

    perform pg_catalog.pg_advisory_xact_lock(
      sync_engine.run_lock_key(v_integration.org_id, v_integration.integration_type));
    select r.id into v_run_id from public.sync_run_log r
    where r.org_id = v_integration.org_id and r.integration_type = v_integration.integration_type
      and r.status in ('pending', 'running');
    if found then
      integration_id := v_integration.id; run_id := v_run_id; outcome := 'busy';
      return next;
      continue;
    end if;

    v_key := 'reconcile:' || sync_engine.period_key(v_integration.id, v_integration.next_reconcile_at);
    select r.id into v_run_id from public.sync_run_log r where r.idempotency_key = v_key;
    if found then
      outcome := 'duplicate';
    else
      select d.period_start, d.period_end into v_period
      from sync_engine.default_reconcile_period(v_integration.schedule_timezone, p_now) d;
      v_run_id := sync_engine.insert_reconcile_run(v_integration, 'scheduled', null,
        v_period.period_start, v_period.period_end, v_integration.next_reconcile_at, v_key);
      outcome := case when v_run_id is null then 'busy' else 'enqueued' end;
    end if;
    if outcome <> 'busy' then
      update public.organization_integrations i set next_reconcile_at = v_plan.new_next where i.id = v_integration.id;
    end if;
    integration_id := v_integration.id; run_id := v_run_id;
    return next;
  end loop;
end;
$$;

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
-- Name: api_request_tally; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_request_tally (
    integration_id uuid NOT NULL,
    org_id uuid NOT NULL,
    month date NOT NULL,
    purpose text NOT NULL,
    requests bigint DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT api_request_tally_month_check CHECK ((EXTRACT(day FROM month) = (1)::numeric)),
    CONSTRAINT api_request_tally_purpose_check CHECK ((purpose = ANY (ARRAY['export'::text, 'lookup'::text, 'ping'::text, 'token'::text, 'reconcile'::text]))),
    CONSTRAINT api_request_tally_requests_check CHECK ((requests >= 0))
);

--
-- Name: export_rejection_audit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.export_rejection_audit (
    id bigint NOT NULL,
    rejection_id uuid NOT NULL,
    org_id uuid NOT NULL,
    integration_type text NOT NULL,
    voucher_number text NOT NULL,
    actor_user_id uuid NOT NULL,
    action text NOT NULL,
    reason text,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT export_rejection_audit_action_check CHECK ((action = ANY (ARRAY['requeue'::text, 'skip'::text])))
);

--
-- Name: export_rejection_audit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.export_rejection_audit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.export_rejection_audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

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
-- Name: integration_admin_audit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.integration_admin_audit (
    id bigint NOT NULL,
    org_id uuid NOT NULL,
    integration_type text,
    actor_user_id uuid NOT NULL,
    action text NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT integration_admin_audit_action_check CHECK ((action = ANY (ARRAY['configure'::text, 'set_credentials'::text, 'resume_health'::text, 'test_connection'::text, 'notification_target_save'::text, 'notification_target_delete'::text]))),
    CONSTRAINT integration_admin_audit_details_check CHECK ((jsonb_typeof(details) = 'object'::text))
);

--
-- Name: integration_admin_audit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.integration_admin_audit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.integration_admin_audit_id_seq
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
    voucher_number text NOT NULL,
    CONSTRAINT ledger_entries_account_check CHECK (((length(account) >= 1) AND (length(account) <= 50))),
    CONSTRAINT ledger_entries_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT ledger_entries_description_check CHECK (((description IS NULL) OR (length(description) <= 1000))),
    CONSTRAINT ledger_entries_voucher_number_check CHECK (((length(voucher_number) >= 1) AND (length(voucher_number) <= 50)))
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
-- Name: notification_deliveries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.notification_deliveries (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    target_id uuid NOT NULL,
    event text NOT NULL,
    payload jsonb NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 8 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    locked_until timestamp with time zone,
    last_http_status integer,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_at timestamp with time zone,
    CONSTRAINT notification_deliveries_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT notification_deliveries_max_attempts_check CHECK (((max_attempts >= 1) AND (max_attempts <= 50))),
    CONSTRAINT notification_deliveries_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text])))
);

--
-- Name: notification_delivery_attempts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.notification_delivery_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    org_id uuid NOT NULL,
    attempt integer NOT NULL,
    attempted_at timestamp with time zone DEFAULT now() NOT NULL,
    http_status integer,
    error text,
    duration_ms integer
);

--
-- Name: notification_delivery_attempts_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.notification_delivery_attempts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.notification_delivery_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: notification_targets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.notification_targets (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    org_id uuid NOT NULL,
    name text NOT NULL,
    kind text DEFAULT 'webhook'::text NOT NULL,
    url text NOT NULL,
    events text[] DEFAULT ARRAY['drift'::text, 'run_failed'::text, 'health_changed'::text, 'vouchers_rejected'::text, 'reconciliation_differences'::text] NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT notification_targets_events_check CHECK (((cardinality(events) > 0) AND (events <@ ARRAY['drift'::text, 'run_failed'::text, 'health_changed'::text, 'vouchers_rejected'::text, 'reconciliation_differences'::text]))),
    CONSTRAINT notification_targets_kind_check CHECK ((kind = ANY (ARRAY['webhook'::text, 'slack'::text]))),
    CONSTRAINT notification_targets_name_check CHECK (((length(name) >= 1) AND (length(name) <= 100))),
    CONSTRAINT notification_targets_url_check CHECK (((url ~ '^https?://[^\s/?#]+([/?#]\S*)?$'::text) AND (length(url) <= 2000)))
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
-- Name: reconciliation_audit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reconciliation_audit (
    id bigint NOT NULL,
    finding_id uuid NOT NULL,
    run_id uuid NOT NULL,
    org_id uuid NOT NULL,
    integration_type text NOT NULL,
    actor_user_id uuid NOT NULL,
    action text NOT NULL,
    note text,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT reconciliation_audit_action_check CHECK ((action = ANY (ARRAY['requeue'::text, 'acknowledge'::text]))),
    CONSTRAINT reconciliation_audit_note_check CHECK (((note IS NULL) OR (length(note) <= 500)))
);

--
-- Name: reconciliation_audit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.reconciliation_audit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.reconciliation_audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: reconciliation_totals; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reconciliation_totals (
    run_id uuid NOT NULL,
    org_id uuid NOT NULL,
    integration_type text NOT NULL,
    period_month date NOT NULL,
    account text NOT NULL,
    currency text NOT NULL,
    our_total numeric(14,2) DEFAULT 0 NOT NULL,
    their_total numeric(14,2) DEFAULT 0 NOT NULL,
    our_entries integer DEFAULT 0 NOT NULL,
    their_entries integer DEFAULT 0 NOT NULL,
    CONSTRAINT reconciliation_totals_account_check CHECK (((length(account) >= 1) AND (length(account) <= 200))),
    CONSTRAINT reconciliation_totals_currency_check CHECK ((currency ~ '^([A-Z]{3})?$'::text)),
    CONSTRAINT reconciliation_totals_integration_type_check CHECK ((integration_type = ANY (ARRAY['xledger'::text, 'dynamics'::text]))),
    CONSTRAINT reconciliation_totals_our_entries_check CHECK ((our_entries >= 0)),
    CONSTRAINT reconciliation_totals_period_month_check CHECK ((EXTRACT(day FROM period_month) = (1)::numeric)),
    CONSTRAINT reconciliation_totals_their_entries_check CHECK ((their_entries >= 0))
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
    CONSTRAINT sync_alerts_kind_check CHECK ((kind = ANY (ARRAY['drift'::text, 'health'::text, 'missed'::text, 'parked'::text, 'reconciliation'::text]))),
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
    CONSTRAINT sync_trigger_audit_action_check CHECK ((action = ANY (ARRAY['trigger'::text, 'cancel'::text, 'reconcile'::text])))
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
    marked_at timestamp with time zone DEFAULT now() NOT NULL,
    first_marked_at timestamp with time zone DEFAULT now() NOT NULL
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
-- Name: notification_secrets; Type: TABLE; Schema: sync_engine; Owner: -
--

CREATE TABLE sync_engine.notification_secrets (
    target_id uuid NOT NULL,
    secret text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: prewarms; Type: TABLE; Schema: sync_engine; Owner: -
--

CREATE TABLE sync_engine.prewarms (
    integration_id uuid NOT NULL,
    period_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone NOT NULL
);

--
-- Name: schedule_groups; Type: TABLE; Schema: sync_engine; Owner: -
--

CREATE TABLE sync_engine.schedule_groups (
    id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    schedule_cron text NOT NULL,
    schedule_timezone text NOT NULL,
    expected_next_run_at timestamp with time zone NOT NULL,
    run_period timestamp with time zone NOT NULL,
    new_next_run_at timestamp with time zone NOT NULL,
    integration_ids uuid[] NOT NULL,
    CONSTRAINT schedule_groups_integration_ids_check CHECK (((cardinality(integration_ids) >= 1) AND (cardinality(integration_ids) <= 10000)))
);

--
-- Name: TABLE schedule_groups; Type: COMMENT; Schema: sync_engine; Owner: -
--

COMMENT ON TABLE sync_engine.schedule_groups IS 'Due scheduled periods queued by the scheduler tick beyond its first batch; claim_runs applies one group at a time (schedule_due_plan_ids) when it has room. Rows live seconds to minutes.';

--
-- Name: schedule_groups_id_seq; Type: SEQUENCE; Schema: sync_engine; Owner: -
--

ALTER TABLE sync_engine.schedule_groups ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME sync_engine.schedule_groups_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
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
-- Name: api_request_tally api_request_tally_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_request_tally
    ADD CONSTRAINT api_request_tally_pkey PRIMARY KEY (integration_id, month, purpose);

--
-- Name: export_rejection_audit export_rejection_audit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.export_rejection_audit
    ADD CONSTRAINT export_rejection_audit_pkey PRIMARY KEY (id);

--
-- Name: export_rejections export_rejections_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.export_rejections
    ADD CONSTRAINT export_rejections_pkey PRIMARY KEY (id);

--
-- Name: function_cold_starts function_cold_starts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.function_cold_starts
    ADD CONSTRAINT function_cold_starts_pkey PRIMARY KEY (id);

--
-- Name: integration_admin_audit integration_admin_audit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integration_admin_audit
    ADD CONSTRAINT integration_admin_audit_pkey PRIMARY KEY (id);

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
-- Name: notification_deliveries notification_deliveries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification_deliveries
    ADD CONSTRAINT notification_deliveries_pkey PRIMARY KEY (id);

--
-- Name: notification_delivery_attempts notification_delivery_attempts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification_delivery_attempts
    ADD CONSTRAINT notification_delivery_attempts_pkey PRIMARY KEY (id);

--
-- Name: notification_targets notification_targets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification_targets
    ADD CONSTRAINT notification_targets_pkey PRIMARY KEY (id);

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
-- Name: reconciliation_audit reconciliation_audit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_audit
    ADD CONSTRAINT reconciliation_audit_pkey PRIMARY KEY (id);

--
-- Name: reconciliation_findings reconciliation_findings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_findings
    ADD CONSTRAINT reconciliation_findings_pkey PRIMARY KEY (id);

--
-- Name: reconciliation_totals reconciliation_totals_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_totals
    ADD CONSTRAINT reconciliation_totals_pkey PRIMARY KEY (run_id, period_month, account, currency);

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
-- Name: notification_secrets notification_secrets_pkey; Type: CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.notification_secrets
    ADD CONSTRAINT notification_secrets_pkey PRIMARY KEY (target_id);

--
-- Name: prewarms prewarms_pkey; Type: CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.prewarms
    ADD CONSTRAINT prewarms_pkey PRIMARY KEY (integration_id);

--
-- Name: schedule_groups schedule_groups_pkey; Type: CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.schedule_groups
    ADD CONSTRAINT schedule_groups_pkey PRIMARY KEY (id);

--
-- Name: settings settings_pkey; Type: CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (key);

--
-- Name: api_request_tally_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX api_request_tally_org_idx ON public.api_request_tally USING btree (org_id, month DESC);

--
-- Name: export_rejection_audit_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX export_rejection_audit_org_idx ON public.export_rejection_audit USING btree (org_id, occurred_at DESC);

--
-- Name: export_rejections_open_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX export_rejections_open_idx ON public.export_rejections USING btree (integration_id, voucher_number) WHERE (status = ANY (ARRAY['rejected'::text, 'skipped'::text]));

--
-- Name: export_rejections_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX export_rejections_org_idx ON public.export_rejections USING btree (org_id, integration_type, rejected_at DESC);

--
-- Name: function_cold_starts_integration_recent; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX function_cold_starts_integration_recent ON public.function_cold_starts USING btree (integration_id, occurred_at DESC);

--
-- Name: integration_admin_audit_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX integration_admin_audit_org_idx ON public.integration_admin_audit USING btree (org_id, occurred_at DESC);

--
-- Name: integration_admin_audit_test_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX integration_admin_audit_test_idx ON public.integration_admin_audit USING btree (org_id, integration_type, occurred_at DESC) WHERE (action = 'test_connection'::text);

--
-- Name: integration_health_checks_checked_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX integration_health_checks_checked_idx ON public.integration_health_checks USING btree (checked_at);

--
-- Name: integration_health_checks_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX integration_health_checks_idx ON public.integration_health_checks USING btree (integration_id, checked_at DESC);

--
-- Name: integration_health_checks_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX integration_health_checks_org_idx ON public.integration_health_checks USING btree (org_id, checked_at DESC);

--
-- Name: ledger_entries_approved_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_entries_approved_idx ON public.ledger_entries USING btree (org_id, id) WHERE (approved_at IS NOT NULL);

--
-- Name: ledger_entries_voucher_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_entries_voucher_idx ON public.ledger_entries USING btree (org_id, voucher_number);

--
-- Name: ledger_entry_exports_integration_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_entry_exports_integration_idx ON public.ledger_entry_exports USING btree (integration_id, entry_id);

--
-- Name: ledger_entry_exports_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_entry_exports_org_idx ON public.ledger_entry_exports USING btree (org_id, exported_at DESC);

--
-- Name: notification_deliveries_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX notification_deliveries_due_idx ON public.notification_deliveries USING btree (next_attempt_at) WHERE (status = 'pending'::text);

--
-- Name: notification_deliveries_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX notification_deliveries_org_idx ON public.notification_deliveries USING btree (org_id, created_at DESC);

--
-- Name: notification_delivery_attempts_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX notification_delivery_attempts_idx ON public.notification_delivery_attempts USING btree (delivery_id, attempt);

--
-- Name: notification_targets_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX notification_targets_org_idx ON public.notification_targets USING btree (org_id);

--
-- Name: organization_integrations_due_disabled_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organization_integrations_due_disabled_idx ON public.organization_integrations USING btree (COALESCE(next_run_at, '-infinity'::timestamp with time zone)) WHERE ((NOT enabled) AND (schedule_cron IS NOT NULL));

--
-- Name: organization_integrations_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organization_integrations_due_idx ON public.organization_integrations USING btree (COALESCE(next_run_at, '-infinity'::timestamp with time zone)) WHERE (enabled AND (schedule_cron IS NOT NULL));

--
-- Name: organization_integrations_health_due_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organization_integrations_health_due_idx ON public.organization_integrations USING btree (COALESCE(health_next_check_at, '-infinity'::timestamp with time zone)) WHERE (enabled AND (health_mode = 'active'::text));

--
-- Name: organization_integrations_next_reconcile_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organization_integrations_next_reconcile_idx ON public.organization_integrations USING btree (next_reconcile_at) WHERE (reconcile_cron IS NOT NULL);

--
-- Name: organization_integrations_passive_until_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organization_integrations_passive_until_idx ON public.organization_integrations USING btree (health_passive_until) WHERE (health_passive_until IS NOT NULL);

--
-- Name: organization_members_user_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organization_members_user_idx ON public.organization_members USING btree (user_id);

--
-- Name: reconciliation_audit_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reconciliation_audit_org_idx ON public.reconciliation_audit USING btree (org_id, occurred_at DESC);

--
-- Name: reconciliation_findings_entry_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reconciliation_findings_entry_idx ON public.reconciliation_findings USING btree (integration_id, ledger_entry_id);

--
-- Name: reconciliation_findings_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reconciliation_findings_org_idx ON public.reconciliation_findings USING btree (org_id, found_at DESC);

--
-- Name: reconciliation_findings_run_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reconciliation_findings_run_idx ON public.reconciliation_findings USING btree (run_id);

--
-- Name: reconciliation_totals_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reconciliation_totals_org_idx ON public.reconciliation_totals USING btree (org_id);

--
-- Name: sync_alerts_created_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_alerts_created_idx ON public.sync_alerts USING btree (created_at);

--
-- Name: sync_alerts_integration_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_alerts_integration_idx ON public.sync_alerts USING btree (integration_id, kind, resolved_at);

--
-- Name: sync_alerts_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_alerts_org_idx ON public.sync_alerts USING btree (org_id, created_at DESC);

--
-- Name: sync_alerts_run_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_alerts_run_idx ON public.sync_alerts USING btree (run_id, kind) WHERE (run_id IS NOT NULL);

--
-- Name: sync_run_log_claim_order_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_run_log_claim_order_idx ON public.sync_run_log USING btree (run_after, triggered_at) WHERE (status = 'pending'::text);

--
-- Name: sync_run_log_finished_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_run_log_finished_idx ON public.sync_run_log USING btree (COALESCE(finished_at, triggered_at)) WHERE (status = ANY (ARRAY['succeeded'::text, 'failed'::text, 'cancelled'::text, 'skipped'::text]));

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
-- Name: sync_trigger_audit_occurred_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_trigger_audit_occurred_idx ON public.sync_trigger_audit USING btree (occurred_at);

--
-- Name: sync_trigger_audit_org_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sync_trigger_audit_org_idx ON public.sync_trigger_audit USING btree (org_id, occurred_at DESC);

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
-- Name: schedule_groups_plan_idx; Type: INDEX; Schema: sync_engine; Owner: -
--

CREATE INDEX schedule_groups_plan_idx ON sync_engine.schedule_groups USING btree (schedule_cron, schedule_timezone, expected_next_run_at);

--
-- Name: export_rejection_audit export_rejection_audit_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER export_rejection_audit_append_only BEFORE DELETE OR UPDATE ON public.export_rejection_audit FOR EACH ROW EXECUTE FUNCTION sync_engine.rejection_audit_is_append_only();

--
-- Name: export_rejection_audit export_rejection_audit_no_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER export_rejection_audit_no_truncate BEFORE TRUNCATE ON public.export_rejection_audit FOR EACH STATEMENT EXECUTE FUNCTION sync_engine.rejection_audit_is_append_only();

--
-- Name: export_rejections export_rejections_notify; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER export_rejections_notify AFTER INSERT ON public.export_rejections FOR EACH ROW EXECUTE FUNCTION sync_engine.notify_from_rejection();

--
-- Name: integration_admin_audit integration_admin_audit_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER integration_admin_audit_append_only BEFORE DELETE OR UPDATE ON public.integration_admin_audit FOR EACH ROW EXECUTE FUNCTION sync_engine.admin_audit_is_append_only();

--
-- Name: integration_admin_audit integration_admin_audit_no_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER integration_admin_audit_no_truncate BEFORE TRUNCATE ON public.integration_admin_audit FOR EACH STATEMENT EXECUTE FUNCTION sync_engine.admin_audit_is_append_only();

--
-- Name: ledger_entries ledger_entries_default_voucher_number; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ledger_entries_default_voucher_number BEFORE INSERT OR UPDATE OF voucher_number ON public.ledger_entries FOR EACH ROW EXECUTE FUNCTION sync_engine.default_voucher_number();

--
-- Name: organization_integrations organization_integrations_reset_next_reconcile; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER organization_integrations_reset_next_reconcile BEFORE UPDATE OF reconcile_cron, schedule_timezone ON public.organization_integrations FOR EACH ROW WHEN (((new.reconcile_cron IS DISTINCT FROM old.reconcile_cron) OR (new.schedule_timezone IS DISTINCT FROM old.schedule_timezone))) EXECUTE FUNCTION sync_engine.reset_next_reconcile();

--
-- Name: organization_integrations organization_integrations_validate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER organization_integrations_validate BEFORE INSERT ON public.organization_integrations FOR EACH ROW EXECUTE FUNCTION sync_engine.validate_integration();

--
-- Name: organization_integrations organization_integrations_validate_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER organization_integrations_validate_update BEFORE UPDATE ON public.organization_integrations FOR EACH ROW WHEN (((NOT (new.updated_at IS DISTINCT FROM old.updated_at)) OR (new.schedule_cron IS DISTINCT FROM old.schedule_cron) OR (new.schedule_timezone IS DISTINCT FROM old.schedule_timezone))) EXECUTE FUNCTION sync_engine.validate_integration();

--
-- Name: reconciliation_audit reconciliation_audit_append_only; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER reconciliation_audit_append_only BEFORE DELETE OR UPDATE ON public.reconciliation_audit FOR EACH ROW EXECUTE FUNCTION sync_engine.reconciliation_audit_is_append_only();

--
-- Name: reconciliation_audit reconciliation_audit_no_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER reconciliation_audit_no_truncate BEFORE TRUNCATE ON public.reconciliation_audit FOR EACH STATEMENT EXECUTE FUNCTION sync_engine.reconciliation_audit_is_append_only();

--
-- Name: sync_alerts sync_alerts_notify; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER sync_alerts_notify AFTER INSERT OR UPDATE OF resolved_at ON public.sync_alerts FOR EACH ROW EXECUTE FUNCTION sync_engine.notify_from_alert();

--
-- Name: sync_run_log sync_run_log_guard_transition; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER sync_run_log_guard_transition BEFORE UPDATE ON public.sync_run_log FOR EACH ROW EXECUTE FUNCTION sync_engine.guard_run_transition();

--
-- Name: sync_run_log sync_run_log_notify_failed; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER sync_run_log_notify_failed AFTER UPDATE OF status ON public.sync_run_log FOR EACH ROW WHEN (((new.status = 'failed'::text) AND (old.status IS DISTINCT FROM new.status))) EXECUTE FUNCTION sync_engine.notify_from_run();

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
-- Name: api_request_tally api_request_tally_integration_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_request_tally
    ADD CONSTRAINT api_request_tally_integration_id_fkey FOREIGN KEY (integration_id) REFERENCES public.organization_integrations(id) ON DELETE CASCADE;

--
-- Name: api_request_tally api_request_tally_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_request_tally
    ADD CONSTRAINT api_request_tally_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

--
-- Name: export_rejections export_rejections_integration_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.export_rejections
    ADD CONSTRAINT export_rejections_integration_id_fkey FOREIGN KEY (integration_id) REFERENCES public.organization_integrations(id) ON DELETE CASCADE;

--
-- Name: export_rejections export_rejections_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.export_rejections
    ADD CONSTRAINT export_rejections_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

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
-- Name: notification_deliveries notification_deliveries_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification_deliveries
    ADD CONSTRAINT notification_deliveries_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

--
-- Name: notification_deliveries notification_deliveries_target_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification_deliveries
    ADD CONSTRAINT notification_deliveries_target_id_fkey FOREIGN KEY (target_id) REFERENCES public.notification_targets(id) ON DELETE CASCADE;

--
-- Name: notification_delivery_attempts notification_delivery_attempts_delivery_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification_delivery_attempts
    ADD CONSTRAINT notification_delivery_attempts_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES public.notification_deliveries(id) ON DELETE CASCADE;

--
-- Name: notification_targets notification_targets_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification_targets
    ADD CONSTRAINT notification_targets_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

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
-- Name: reconciliation_findings reconciliation_findings_integration_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_findings
    ADD CONSTRAINT reconciliation_findings_integration_id_fkey FOREIGN KEY (integration_id) REFERENCES public.organization_integrations(id) ON DELETE CASCADE;

--
-- Name: reconciliation_findings reconciliation_findings_ledger_entry_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_findings
    ADD CONSTRAINT reconciliation_findings_ledger_entry_id_fkey FOREIGN KEY (ledger_entry_id) REFERENCES public.ledger_entries(id) ON DELETE SET NULL;

--
-- Name: reconciliation_findings reconciliation_findings_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_findings
    ADD CONSTRAINT reconciliation_findings_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

--
-- Name: reconciliation_findings reconciliation_findings_run_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_findings
    ADD CONSTRAINT reconciliation_findings_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.sync_run_log(id) ON DELETE CASCADE;

--
-- Name: reconciliation_totals reconciliation_totals_org_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_totals
    ADD CONSTRAINT reconciliation_totals_org_id_fkey FOREIGN KEY (org_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

--
-- Name: reconciliation_totals reconciliation_totals_run_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_totals
    ADD CONSTRAINT reconciliation_totals_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.sync_run_log(id) ON DELETE CASCADE;

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
-- Name: notification_secrets notification_secrets_target_id_fkey; Type: FK CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.notification_secrets
    ADD CONSTRAINT notification_secrets_target_id_fkey FOREIGN KEY (target_id) REFERENCES public.notification_targets(id) ON DELETE CASCADE;

--
-- Name: prewarms prewarms_integration_id_fkey; Type: FK CONSTRAINT; Schema: sync_engine; Owner: -
--

ALTER TABLE ONLY sync_engine.prewarms
    ADD CONSTRAINT prewarms_integration_id_fkey FOREIGN KEY (integration_id) REFERENCES public.organization_integrations(id) ON DELETE CASCADE;

--
-- Name: reconciliation_audit admins and coordinators read their org's reconciliation audit; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "admins and coordinators read their org's reconciliation audit" ON public.reconciliation_audit FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_admin_org_ids() AS user_admin_org_ids)));

--
-- Name: reconciliation_findings admins and coordinators read their org's reconciliation finding; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "admins and coordinators read their org's reconciliation finding" ON public.reconciliation_findings FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_admin_org_ids() AS user_admin_org_ids)));

--
-- Name: reconciliation_totals admins and coordinators read their org's reconciliation totals; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "admins and coordinators read their org's reconciliation totals" ON public.reconciliation_totals FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_admin_org_ids() AS user_admin_org_ids)));

--
-- Name: export_rejection_audit admins and coordinators read their org's rejection audit; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "admins and coordinators read their org's rejection audit" ON public.export_rejection_audit FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_admin_org_ids() AS user_admin_org_ids)));

--
-- Name: sync_trigger_audit admins and coordinators read their org's trigger audit; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "admins and coordinators read their org's trigger audit" ON public.sync_trigger_audit FOR SELECT TO authenticated USING ((org_id = ANY (ARRAY( SELECT sync_auth.user_admin_org_ids() AS user_admin_org_ids))));

--
-- Name: integration_admin_audit admins read their org's admin audit; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "admins read their org's admin audit" ON public.integration_admin_audit FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_admin_ids() AS user_org_admin_ids)));

--
-- Name: notification_deliveries admins read their org's notification deliveries; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "admins read their org's notification deliveries" ON public.notification_deliveries FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_admin_ids() AS user_org_admin_ids)));

--
-- Name: notification_delivery_attempts admins read their org's notification delivery attempts; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "admins read their org's notification delivery attempts" ON public.notification_delivery_attempts FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_admin_ids() AS user_org_admin_ids)));

--
-- Name: notification_targets admins read their org's notification targets; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "admins read their org's notification targets" ON public.notification_targets FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_admin_ids() AS user_org_admin_ids)));

--
-- Name: api_request_tally; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.api_request_tally ENABLE ROW LEVEL SECURITY;

--
-- Name: organization_members auth admin reads memberships for the token hook; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "auth admin reads memberships for the token hook" ON public.organization_members FOR SELECT TO supabase_auth_admin USING (true);

--
-- Name: export_rejection_audit; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.export_rejection_audit ENABLE ROW LEVEL SECURITY;

--
-- Name: export_rejections; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.export_rejections ENABLE ROW LEVEL SECURITY;

--
-- Name: function_cold_starts; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.function_cold_starts ENABLE ROW LEVEL SECURITY;

--
-- Name: integration_admin_audit; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.integration_admin_audit ENABLE ROW LEVEL SECURITY;

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
-- Name: api_request_tally members read their org's API request tally; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's API request tally" ON public.api_request_tally FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: sync_alerts members read their org's alerts; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's alerts" ON public.sync_alerts FOR SELECT TO authenticated USING ((org_id = ANY (ARRAY( SELECT sync_auth.user_org_ids() AS user_org_ids))));

--
-- Name: function_cold_starts members read their org's cold starts; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's cold starts" ON public.function_cold_starts FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: ledger_entry_exports members read their org's exports; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's exports" ON public.ledger_entry_exports FOR SELECT TO authenticated USING ((org_id = ANY (ARRAY( SELECT sync_auth.user_org_ids() AS user_org_ids))));

--
-- Name: integration_health_checks members read their org's health checks; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's health checks" ON public.integration_health_checks FOR SELECT TO authenticated USING ((org_id = ANY (ARRAY( SELECT sync_auth.user_org_ids() AS user_org_ids))));

--
-- Name: organization_integrations members read their org's integrations; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's integrations" ON public.organization_integrations FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: ledger_entries members read their org's ledger entries; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's ledger entries" ON public.ledger_entries FOR SELECT TO authenticated USING ((org_id = ANY (ARRAY( SELECT sync_auth.user_org_ids() AS user_org_ids))));

--
-- Name: organization_members members read their org's members; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's members" ON public.organization_members FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: export_rejections members read their org's rejected vouchers; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's rejected vouchers" ON public.export_rejections FOR SELECT TO authenticated USING ((org_id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: sync_run_log members read their org's runs; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their org's runs" ON public.sync_run_log FOR SELECT TO authenticated USING ((org_id = ANY (ARRAY( SELECT sync_auth.user_org_ids() AS user_org_ids))));

--
-- Name: organizations members read their organizations; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY "members read their organizations" ON public.organizations FOR SELECT TO authenticated USING ((id IN ( SELECT sync_auth.user_org_ids() AS user_org_ids)));

--
-- Name: notification_deliveries; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.notification_deliveries ENABLE ROW LEVEL SECURITY;

--
-- Name: notification_delivery_attempts; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.notification_delivery_attempts ENABLE ROW LEVEL SECURITY;

--
-- Name: notification_targets; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.notification_targets ENABLE ROW LEVEL SECURITY;

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
-- Name: reconciliation_audit; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.reconciliation_audit ENABLE ROW LEVEL SECURITY;

--
-- Name: reconciliation_findings; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.reconciliation_findings ENABLE ROW LEVEL SECURITY;

--
-- Name: reconciliation_totals; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.reconciliation_totals ENABLE ROW LEVEL SECURITY;

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
-- Name: notification_secrets; Type: ROW SECURITY; Schema: sync_engine; Owner: -
--

ALTER TABLE sync_engine.notification_secrets ENABLE ROW LEVEL SECURITY;

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
-- Name: FUNCTION acknowledge_reconciliation_finding(org_id uuid, finding_id uuid, note text); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.acknowledge_reconciliation_finding(org_id uuid, finding_id uuid, note text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.acknowledge_reconciliation_finding(org_id uuid, finding_id uuid, note text) TO authenticated;

--
-- Name: FUNCTION cancel_integration_sync(run_id uuid); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.cancel_integration_sync(run_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.cancel_integration_sync(run_id uuid) TO authenticated;

--
-- Name: FUNCTION configure_integration(org_id uuid, integration_type text, settings jsonb); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.configure_integration(org_id uuid, integration_type text, settings jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.configure_integration(org_id uuid, integration_type text, settings jsonb) TO authenticated;

--
-- Name: FUNCTION custom_access_token_hook(event jsonb); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.custom_access_token_hook(event jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.custom_access_token_hook(event jsonb) TO supabase_auth_admin;

--
-- Name: FUNCTION delete_notification_target(org_id uuid, target_id uuid); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.delete_notification_target(org_id uuid, target_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.delete_notification_target(org_id uuid, target_id uuid) TO authenticated;

--
-- Name: FUNCTION integration_credentials_status(org_id uuid); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.integration_credentials_status(org_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.integration_credentials_status(org_id uuid) TO authenticated;

--
-- Name: FUNCTION org_member_directory(org_id uuid); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.org_member_directory(org_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.org_member_directory(org_id uuid) TO authenticated;

--
-- Name: FUNCTION reconcile_integration(org_id uuid, integration_type text, period_start date, period_end date); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.reconcile_integration(org_id uuid, integration_type text, period_start date, period_end date) FROM PUBLIC;
GRANT ALL ON FUNCTION public.reconcile_integration(org_id uuid, integration_type text, period_start date, period_end date) TO authenticated;

--
-- Name: FUNCTION requeue_reconciliation_finding(org_id uuid, finding_id uuid); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.requeue_reconciliation_finding(org_id uuid, finding_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.requeue_reconciliation_finding(org_id uuid, finding_id uuid) TO authenticated;

--
-- Name: FUNCTION requeue_rejected_voucher(org_id uuid, rejection_id uuid); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.requeue_rejected_voucher(org_id uuid, rejection_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.requeue_rejected_voucher(org_id uuid, rejection_id uuid) TO authenticated;

--
-- Name: FUNCTION resume_integration_health(org_id uuid, integration_type text); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.resume_integration_health(org_id uuid, integration_type text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.resume_integration_health(org_id uuid, integration_type text) TO authenticated;

--
-- Name: FUNCTION save_notification_target(org_id uuid, target jsonb); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.save_notification_target(org_id uuid, target jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.save_notification_target(org_id uuid, target jsonb) TO authenticated;

--
-- Name: FUNCTION set_integration_credentials(org_id uuid, integration_type text, credentials jsonb); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.set_integration_credentials(org_id uuid, integration_type text, credentials jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.set_integration_credentials(org_id uuid, integration_type text, credentials jsonb) TO authenticated;

--
-- Name: FUNCTION skip_rejected_voucher(org_id uuid, rejection_id uuid, reason text); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.skip_rejected_voucher(org_id uuid, rejection_id uuid, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.skip_rejected_voucher(org_id uuid, rejection_id uuid, reason text) TO authenticated;

--
-- Name: FUNCTION test_integration_connection(org_id uuid, integration_type text); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.test_integration_connection(org_id uuid, integration_type text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.test_integration_connection(org_id uuid, integration_type text) TO authenticated;

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
-- Name: FUNCTION user_org_admin_ids(); Type: ACL; Schema: sync_auth; Owner: -
--

REVOKE ALL ON FUNCTION sync_auth.user_org_admin_ids() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_auth.user_org_admin_ids() TO authenticated;
GRANT ALL ON FUNCTION sync_auth.user_org_admin_ids() TO service_role;

--
-- Name: FUNCTION user_org_ids(); Type: ACL; Schema: sync_auth; Owner: -
--

REVOKE ALL ON FUNCTION sync_auth.user_org_ids() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_auth.user_org_ids() TO authenticated;
GRANT ALL ON FUNCTION sync_auth.user_org_ids() TO service_role;

--
-- Name: FUNCTION add_count(p_a integer, p_b bigint); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.add_count(p_a integer, p_b bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.add_count(p_a integer, p_b bigint) TO service_role;

--
-- Name: FUNCTION admin_audit_is_append_only(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.admin_audit_is_append_only() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.admin_audit_is_append_only() TO service_role;

--
-- Name: FUNCTION apply_schedule_group(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.apply_schedule_group() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.apply_schedule_group() TO service_role;

--
-- Name: FUNCTION audit_is_append_only(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.audit_is_append_only() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.audit_is_append_only() TO service_role;

--
-- Name: FUNCTION authorize_integration_caller(p_org_id uuid, p_integration_type text, p_roles text[], p_action text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.authorize_integration_caller(p_org_id uuid, p_integration_type text, p_roles text[], p_action text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.authorize_integration_caller(p_org_id uuid, p_integration_type text, p_roles text[], p_action text) TO service_role;

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
-- Name: FUNCTION bounded_interval(p_seconds double precision); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.bounded_interval(p_seconds double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.bounded_interval(p_seconds double precision) TO service_role;

--
-- Name: FUNCTION bounded_seconds(p_seconds double precision); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.bounded_seconds(p_seconds double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.bounded_seconds(p_seconds double precision) TO service_role;

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
-- Name: FUNCTION claim_health_checks(p_now timestamp with time zone, p_limit integer, p_lease_seconds integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.claim_health_checks(p_now timestamp with time zone, p_limit integer, p_lease_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.claim_health_checks(p_now timestamp with time zone, p_limit integer, p_lease_seconds integer) TO service_role;

--
-- Name: FUNCTION claim_notifications(p_limit integer, p_lease_seconds integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.claim_notifications(p_limit integer, p_lease_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.claim_notifications(p_limit integer, p_lease_seconds integer) TO service_role;

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
-- Name: FUNCTION count_api_requests(p_integration_id uuid, p_counts jsonb, p_at timestamp with time zone); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.count_api_requests(p_integration_id uuid, p_counts jsonb, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.count_api_requests(p_integration_id uuid, p_counts jsonb, p_at timestamp with time zone) TO service_role;

--
-- Name: FUNCTION cron_problem(p_cron text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.cron_problem(p_cron text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.cron_problem(p_cron text) TO service_role;

--
-- Name: FUNCTION default_reconcile_period(p_timezone text, p_at timestamp with time zone, OUT period_start date, OUT period_end date); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.default_reconcile_period(p_timezone text, p_at timestamp with time zone, OUT period_start date, OUT period_end date) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.default_reconcile_period(p_timezone text, p_at timestamp with time zone, OUT period_start date, OUT period_end date) TO service_role;

--
-- Name: FUNCTION default_voucher_number(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.default_voucher_number() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.default_voucher_number() TO service_role;

--
-- Name: FUNCTION defer_health_check(p_integration_id uuid, p_next_check_at timestamp with time zone, p_evidence_at timestamp with time zone); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.defer_health_check(p_integration_id uuid, p_next_check_at timestamp with time zone, p_evidence_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.defer_health_check(p_integration_id uuid, p_next_check_at timestamp with time zone, p_evidence_at timestamp with time zone) TO service_role;

--
-- Name: FUNCTION dispatch_run(p_run_id uuid); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.dispatch_run(p_run_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.dispatch_run(p_run_id uuid) TO service_role;

--
-- Name: FUNCTION due_reconciliations(p_now timestamp with time zone, p_limit integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.due_reconciliations(p_now timestamp with time zone, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.due_reconciliations(p_now timestamp with time zone, p_limit integer) TO service_role;

--
-- Name: FUNCTION enqueue_notification(p_org_id uuid, p_event text, p_text text, p_data jsonb); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.enqueue_notification(p_org_id uuid, p_event text, p_text text, p_data jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.enqueue_notification(p_org_id uuid, p_event text, p_text text, p_data jsonb) TO service_role;

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
-- Name: FUNCTION held_reconcile_run(p_run_id uuid, p_worker_id text, p_attempt integer, p_lock boolean); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.held_reconcile_run(p_run_id uuid, p_worker_id text, p_attempt integer, p_lock boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.held_reconcile_run(p_run_id uuid, p_worker_id text, p_attempt integer, p_lock boolean) TO service_role;

--
-- Name: FUNCTION in_flight_since(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[]); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.in_flight_since(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.in_flight_since(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[]) TO service_role;

--
-- Name: TABLE organization_integrations; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.organization_integrations TO authenticated;
GRANT ALL ON TABLE public.organization_integrations TO service_role;

--
-- Name: FUNCTION insert_reconcile_run(p_integration public.organization_integrations, p_triggered_by text, p_user_id uuid, p_period_start date, p_period_end date, p_scheduled_for timestamp with time zone, p_idempotency_key text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.insert_reconcile_run(p_integration public.organization_integrations, p_triggered_by text, p_user_id uuid, p_period_start date, p_period_end date, p_scheduled_for timestamp with time zone, p_idempotency_key text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.insert_reconcile_run(p_integration public.organization_integrations, p_triggered_by text, p_user_id uuid, p_period_start date, p_period_end date, p_scheduled_for timestamp with time zone, p_idempotency_key text) TO service_role;

--
-- Name: FUNCTION insert_rejection(p_run public.sync_run_log, p_voucher_number text, p_error_code text, p_error_message text, p_remote_code text, p_remote_status integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.insert_rejection(p_run public.sync_run_log, p_voucher_number text, p_error_code text, p_error_message text, p_remote_code text, p_remote_status integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.insert_rejection(p_run public.sync_run_log, p_voucher_number text, p_error_code text, p_error_message text, p_remote_code text, p_remote_status integer) TO service_role;

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
-- Name: FUNCTION integration_schema(p_type text, p_kind text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.integration_schema(p_type text, p_kind text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.integration_schema(p_type text, p_kind text) TO service_role;

--
-- Name: FUNCTION is_row_error(p_sqlstate text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.is_row_error(p_sqlstate text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.is_row_error(p_sqlstate text) TO service_role;

--
-- Name: FUNCTION json_schema_issues(p_schema jsonb, p_value jsonb, p_path text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.json_schema_issues(p_schema jsonb, p_value jsonb, p_path text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.json_schema_issues(p_schema jsonb, p_value jsonb, p_path text) TO service_role;

--
-- Name: FUNCTION jsonb_count(p_value jsonb); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.jsonb_count(p_value jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.jsonb_count(p_value jsonb) TO service_role;

--
-- Name: FUNCTION mark_batch_in_flight(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[], p_lease_seconds integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.mark_batch_in_flight(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[], p_lease_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.mark_batch_in_flight(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[], p_lease_seconds integer) TO service_role;

--
-- Name: FUNCTION ms_between(p_from timestamp with time zone, p_to timestamp with time zone); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.ms_between(p_from timestamp with time zone, p_to timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.ms_between(p_from timestamp with time zone, p_to timestamp with time zone) TO service_role;

--
-- Name: FUNCTION next_export_batch(p_run_id uuid, p_worker_id text, p_attempt integer, p_after_voucher text, p_limit integer, p_max_vouchers integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.next_export_batch(p_run_id uuid, p_worker_id text, p_attempt integer, p_after_voucher text, p_limit integer, p_max_vouchers integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.next_export_batch(p_run_id uuid, p_worker_id text, p_attempt integer, p_after_voucher text, p_limit integer, p_max_vouchers integer) TO service_role;

--
-- Name: FUNCTION notify_from_alert(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.notify_from_alert() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.notify_from_alert() TO service_role;

--
-- Name: FUNCTION notify_from_rejection(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.notify_from_rejection() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.notify_from_rejection() TO service_role;

--
-- Name: FUNCTION notify_from_run(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.notify_from_run() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.notify_from_run() TO service_role;

--
-- Name: TABLE reconciliation_findings; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.reconciliation_findings TO authenticated;
GRANT ALL ON TABLE public.reconciliation_findings TO service_role;

--
-- Name: FUNCTION open_finding_for_caller(p_org_id uuid, p_finding_id uuid); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.open_finding_for_caller(p_org_id uuid, p_finding_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.open_finding_for_caller(p_org_id uuid, p_finding_id uuid) TO service_role;

--
-- Name: TABLE export_rejections; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.export_rejections TO authenticated;
GRANT ALL ON TABLE public.export_rejections TO service_role;

--
-- Name: FUNCTION open_rejection_for_caller(p_org_id uuid, p_rejection_id uuid); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.open_rejection_for_caller(p_org_id uuid, p_rejection_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.open_rejection_for_caller(p_org_id uuid, p_rejection_id uuid) TO service_role;

--
-- Name: FUNCTION park_integration(p_integration_id uuid, p_code text, p_message text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.park_integration(p_integration_id uuid, p_code text, p_message text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.park_integration(p_integration_id uuid, p_code text, p_message text) TO service_role;

--
-- Name: FUNCTION park_run(p_run_id uuid, p_code text, p_message text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.park_run(p_run_id uuid, p_code text, p_message text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.park_run(p_run_id uuid, p_code text, p_message text) TO service_role;

--
-- Name: FUNCTION park_run_safely(p_run_id uuid, p_stage text, p_sqlstate text, p_error text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.park_run_safely(p_run_id uuid, p_stage text, p_sqlstate text, p_error text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.park_run_safely(p_run_id uuid, p_stage text, p_sqlstate text, p_error text) TO service_role;

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
-- Name: FUNCTION period_keys(p_integration_ids uuid[], p_periods timestamp with time zone[]); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.period_keys(p_integration_ids uuid[], p_periods timestamp with time zone[]) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.period_keys(p_integration_ids uuid[], p_periods timestamp with time zone[]) TO service_role;

--
-- Name: FUNCTION post_to_worker(p_body jsonb); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.post_to_worker(p_body jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.post_to_worker(p_body jsonb) TO service_role;

--
-- Name: FUNCTION prune_alerts(p_older_than interval, p_limit integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.prune_alerts(p_older_than interval, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.prune_alerts(p_older_than interval, p_limit integer) TO service_role;

--
-- Name: FUNCTION prune_health_checks(p_older_than interval, p_limit integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.prune_health_checks(p_older_than interval, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.prune_health_checks(p_older_than interval, p_limit integer) TO service_role;

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
-- Name: FUNCTION queue_due_schedule_groups(p_now timestamp with time zone, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[], p_first integer, p_group_size integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.queue_due_schedule_groups(p_now timestamp with time zone, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[], p_first integer, p_group_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.queue_due_schedule_groups(p_now timestamp with time zone, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[], p_first integer, p_group_size integer) TO service_role;

--
-- Name: FUNCTION queue_schedule_groups(p_ids uuid[], p_plans integer[], p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[], p_group_size integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.queue_schedule_groups(p_ids uuid[], p_plans integer[], p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[], p_group_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.queue_schedule_groups(p_ids uuid[], p_plans integer[], p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[], p_group_size integer) TO service_role;

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
-- Name: FUNCTION reconcile_entries(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[]); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.reconcile_entries(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.reconcile_entries(p_run_id uuid, p_worker_id text, p_attempt integer, p_entry_ids uuid[]) TO service_role;

--
-- Name: FUNCTION reconcile_expected(p_run_id uuid, p_worker_id text, p_attempt integer, p_after uuid, p_limit integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.reconcile_expected(p_run_id uuid, p_worker_id text, p_attempt integer, p_after uuid, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.reconcile_expected(p_run_id uuid, p_worker_id text, p_attempt integer, p_after uuid, p_limit integer) TO service_role;

--
-- Name: FUNCTION reconcile_progress(p_run_id uuid, p_worker_id text, p_attempt integer, p_requests integer, p_lines_read integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.reconcile_progress(p_run_id uuid, p_worker_id text, p_attempt integer, p_requests integer, p_lines_read integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.reconcile_progress(p_run_id uuid, p_worker_id text, p_attempt integer, p_requests integer, p_lines_read integer) TO service_role;

--
-- Name: FUNCTION reconcile_requests_this_month(p_run_id uuid, p_worker_id text, p_attempt integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.reconcile_requests_this_month(p_run_id uuid, p_worker_id text, p_attempt integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.reconcile_requests_this_month(p_run_id uuid, p_worker_id text, p_attempt integer) TO service_role;

--
-- Name: FUNCTION reconciliation_audit_is_append_only(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.reconciliation_audit_is_append_only() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.reconciliation_audit_is_append_only() TO service_role;

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
-- Name: FUNCTION record_health_decision(p_integration_id uuid, p_ok boolean, p_latency_ms integer, p_error_code text, p_error_message text, p_status text, p_mode text, p_next_check_at timestamp with time zone, p_passive_until timestamp with time zone); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.record_health_decision(p_integration_id uuid, p_ok boolean, p_latency_ms integer, p_error_code text, p_error_message text, p_status text, p_mode text, p_next_check_at timestamp with time zone, p_passive_until timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.record_health_decision(p_integration_id uuid, p_ok boolean, p_latency_ms integer, p_error_code text, p_error_message text, p_status text, p_mode text, p_next_check_at timestamp with time zone, p_passive_until timestamp with time zone) TO service_role;

--
-- Name: FUNCTION record_notification_attempt(p_id uuid, p_attempt integer, p_http_status integer, p_error text, p_duration_ms integer, p_backoff_base_seconds double precision, p_backoff_cap_seconds double precision); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.record_notification_attempt(p_id uuid, p_attempt integer, p_http_status integer, p_error text, p_duration_ms integer, p_backoff_base_seconds double precision, p_backoff_cap_seconds double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.record_notification_attempt(p_id uuid, p_attempt integer, p_http_status integer, p_error text, p_duration_ms integer, p_backoff_base_seconds double precision, p_backoff_cap_seconds double precision) TO service_role;

--
-- Name: FUNCTION record_reconciliation(p_run_id uuid, p_worker_id text, p_attempt integer, p_findings jsonb, p_totals jsonb, p_checked integer, p_requests integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.record_reconciliation(p_run_id uuid, p_worker_id text, p_attempt integer, p_findings jsonb, p_totals jsonb, p_checked integer, p_requests integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.record_reconciliation(p_run_id uuid, p_worker_id text, p_attempt integer, p_findings jsonb, p_totals jsonb, p_checked integer, p_requests integer) TO service_role;

--
-- Name: FUNCTION record_snooze(p_run_id uuid, p_worker_id text, p_attempt integer, p_code text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.record_snooze(p_run_id uuid, p_worker_id text, p_attempt integer, p_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.record_snooze(p_run_id uuid, p_worker_id text, p_attempt integer, p_code text) TO service_role;

--
-- Name: FUNCTION reject_voucher(p_run_id uuid, p_worker_id text, p_attempt integer, p_voucher_number text, p_error_code text, p_error_message text, p_remote_code text, p_remote_status integer); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.reject_voucher(p_run_id uuid, p_worker_id text, p_attempt integer, p_voucher_number text, p_error_code text, p_error_message text, p_remote_code text, p_remote_status integer) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.reject_voucher(p_run_id uuid, p_worker_id text, p_attempt integer, p_voucher_number text, p_error_code text, p_error_message text, p_remote_code text, p_remote_status integer) TO service_role;

--
-- Name: FUNCTION rejection_audit_is_append_only(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.rejection_audit_is_append_only() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.rejection_audit_is_append_only() TO service_role;

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
-- Name: FUNCTION reset_next_reconcile(); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.reset_next_reconcile() FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.reset_next_reconcile() TO service_role;

--
-- Name: FUNCTION run_lock_key(p_org_id uuid, p_integration_type text); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.run_lock_key(p_org_id uuid, p_integration_type text) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.run_lock_key(p_org_id uuid, p_integration_type text) TO service_role;

--
-- Name: FUNCTION run_lock_keys(p_org_ids uuid[], p_integration_types text[]); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.run_lock_keys(p_org_ids uuid[], p_integration_types text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.run_lock_keys(p_org_ids uuid[], p_integration_types text[]) TO service_role;

--
-- Name: FUNCTION schedule_due_plan_ids(p_now timestamp with time zone, p_ids uuid[], p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.schedule_due_plan_ids(p_now timestamp with time zone, p_ids uuid[], p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.schedule_due_plan_ids(p_now timestamp with time zone, p_ids uuid[], p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]) TO service_role;

--
-- Name: FUNCTION schedule_due_plans(p_now timestamp with time zone, p_limit integer, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.schedule_due_plans(p_now timestamp with time zone, p_limit integer, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.schedule_due_plans(p_now timestamp with time zone, p_limit integer, p_crons text[], p_zones text[], p_expected_next_run_at timestamp with time zone[], p_run_periods timestamp with time zone[], p_new_next_run_at timestamp with time zone[]) TO service_role;

--
-- Name: FUNCTION schedule_due_reconciliations(p_now timestamp with time zone, p_integration_ids uuid[], p_expected_next timestamp with time zone[], p_new_next timestamp with time zone[]); Type: ACL; Schema: sync_engine; Owner: -
--

REVOKE ALL ON FUNCTION sync_engine.schedule_due_reconciliations(p_now timestamp with time zone, p_integration_ids uuid[], p_expected_next timestamp with time zone[], p_new_next timestamp with time zone[]) FROM PUBLIC;
GRANT ALL ON FUNCTION sync_engine.schedule_due_reconciliations(p_now timestamp with time zone, p_integration_ids uuid[], p_expected_next timestamp with time zone[], p_new_next timestamp with time zone[]) TO service_role;

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
-- Name: TABLE api_request_tally; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.api_request_tally TO authenticated;
GRANT ALL ON TABLE public.api_request_tally TO service_role;

--
-- Name: TABLE export_rejection_audit; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.export_rejection_audit TO authenticated;
GRANT SELECT,INSERT ON TABLE public.export_rejection_audit TO service_role;

--
-- Name: TABLE function_cold_starts; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.function_cold_starts TO authenticated;
GRANT SELECT ON TABLE public.function_cold_starts TO service_role;

--
-- Name: TABLE integration_admin_audit; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.integration_admin_audit TO authenticated;
GRANT SELECT,INSERT ON TABLE public.integration_admin_audit TO service_role;

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
-- Name: TABLE notification_deliveries; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.notification_deliveries TO authenticated;
GRANT ALL ON TABLE public.notification_deliveries TO service_role;

--
-- Name: TABLE notification_delivery_attempts; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.notification_delivery_attempts TO authenticated;
GRANT ALL ON TABLE public.notification_delivery_attempts TO service_role;

--
-- Name: TABLE notification_targets; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.notification_targets TO authenticated;
GRANT ALL ON TABLE public.notification_targets TO service_role;

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
-- Name: TABLE reconciliation_audit; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.reconciliation_audit TO authenticated;
GRANT SELECT,INSERT ON TABLE public.reconciliation_audit TO service_role;

--
-- Name: TABLE reconciliation_totals; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.reconciliation_totals TO authenticated;
GRANT ALL ON TABLE public.reconciliation_totals TO service_role;

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
-- Name: TABLE schedule_groups; Type: ACL; Schema: sync_engine; Owner: -
--

GRANT ALL ON TABLE sync_engine.schedule_groups TO service_role;

--
-- Name: TABLE settings; Type: ACL; Schema: sync_engine; Owner: -
--

GRANT ALL ON TABLE sync_engine.settings TO service_role;

--
-- PostgreSQL database dump complete
--
