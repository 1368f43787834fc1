-- Superseded: public.configure_integration → 20261130160000_reconciliation.sql; sync_auth.user_org_admin_ids → 20261130190000_membership_helpers_plpgsql.sql (live: supabase/schema.sql)
-- Day-2 operations without SQL (docs/admin.md): an org admin configures an integration (schedule,
-- time zone, pause, config), stores its credentials and sets health monitoring back to active,
-- through SECURITY DEFINER RPCs with the trigger's identity rules and error shape, every change
-- written to the append-only public.integration_admin_audit.
--
-- A paused integration (enabled = false) keeps its schedule: each period is recorded as a
-- skipped run with skip_reason 'disabled' (enqueue_run below), so the history shows the gap.

set lock_timeout = '5s';
set statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Admin audit: append-only like sync_trigger_audit. Never holds a secret (details carry key
-- names and outcomes only). Admins of the org read it; nobody else.
-- ---------------------------------------------------------------------------------------------
create table public.integration_admin_audit (
  id bigint generated always as identity primary key,
  -- No foreign keys: the audit outlives integrations, members and orgs it speaks about.
  org_id uuid not null,
  integration_type text default null,
  actor_user_id uuid not null,
  action text not null check (action in ('configure', 'set_credentials', 'resume_health',
    'test_connection', 'notification_target_save', 'notification_target_delete')),
  occurred_at timestamptz not null default now(),
  details jsonb not null default '{}'::jsonb check (pg_catalog.jsonb_typeof(details) = 'object')
);
create index integration_admin_audit_org_idx on public.integration_admin_audit (org_id, occurred_at desc);
-- Serves the test-connection rate limit: newest test per (org, type).
create index integration_admin_audit_test_idx
  on public.integration_admin_audit (org_id, integration_type, occurred_at desc)
  where action = 'test_connection';

create function sync_engine.admin_audit_is_append_only() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'integration_admin_audit is append-only' using errcode = '42501';
end;
$$;
create trigger integration_admin_audit_append_only
  before update or delete on public.integration_admin_audit
  for each row execute function sync_engine.admin_audit_is_append_only();
create trigger integration_admin_audit_no_truncate
  before truncate on public.integration_admin_audit
  for each statement execute function sync_engine.admin_audit_is_append_only();

-- Orgs where the caller is an admin (sync_auth.user_admin_org_ids also admits coordinators).
create function sync_auth.user_org_admin_ids() returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.org_id from public.organization_members m where m.user_id = auth.uid() and m.role = 'admin'
$$;
comment on function sync_auth.user_org_admin_ids() is
  'Definer: reads memberships for RLS without recursing into organization_members policies. Admins only.';
revoke all on function sync_auth.user_org_admin_ids() from public, anon;
grant execute on function sync_auth.user_org_admin_ids() to authenticated, service_role;

alter table public.integration_admin_audit enable row level security;
revoke all on table public.integration_admin_audit from public, anon, authenticated;
grant select on table public.integration_admin_audit to authenticated;
grant select, insert on table public.integration_admin_audit to service_role;
create policy "admins read their org's admin audit" on public.integration_admin_audit
  for select to authenticated using (org_id in (select sync_auth.user_org_admin_ids()));

-- ---------------------------------------------------------------------------------------------
-- The admin RPCs' checks 1–4, in trigger_integration_sync's order: checks 1–3 (signed in 401,
-- JWT org = argument 403 org_scope_violation, role 403 permission_denied) through
-- sync_engine.authorize_org_caller, then 4: the type on the allowlist (400 unknown_integration_type),
-- skipped for org-wide actions, which pass '*'. Returns the caller's user id.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.authorize_integration_caller(
  p_org_id uuid,
  p_integration_type text,
  p_roles text[],
  p_action text
) returns uuid
language plpgsql
stable
set search_path = ''
as $$
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

-- ---------------------------------------------------------------------------------------------
-- JSON Schema (the subset zod's z.toJSONSchema emits for our schemas) evaluated in SQL. The
-- schemas themselves are generated from the adapters' zod schemas into
-- sync_engine.integration_schema (its own migration, written by `npm run gen:config-schema`),
-- so SQL and the adapters apply one rule. Returns [{path, message}], empty when valid. A keyword
-- outside the subset raises: a schema this function cannot judge must not pass silently.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.json_schema_issues(p_schema jsonb, p_value jsonb, p_path text default '')
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
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
$$;

-- ---------------------------------------------------------------------------------------------
-- 5-field cron (minute hour day-of-month month day-of-week) with *, lists, ranges, steps and
-- month/day names: the POSIX crontab syntax plus the ranges and steps every cron accepts. The
-- scheduler parses schedules with croner, which accepts all of these (and more: L, W, #, 6
-- fields), so a schedule this accepts always runs. Returns null when valid, else the reason.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.cron_problem(p_cron text) returns text
language plpgsql
immutable
set search_path = ''
as $$
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
$$;

-- ---------------------------------------------------------------------------------------------
-- Paused integrations: their scheduled periods are recorded as skipped ('disabled').
-- NOT VALID then VALIDATE: the new check is added under a brief lock and checked without
-- blocking writers (SHARE UPDATE EXCLUSIVE).
-- ---------------------------------------------------------------------------------------------
alter table public.sync_run_log drop constraint if exists sync_run_log_skip_reason_check;
alter table public.sync_run_log add constraint sync_run_log_skip_reason_check
  check (skip_reason is null or skip_reason in ('overlap', 'missed', 'disabled')) not valid;
alter table public.sync_run_log validate constraint sync_run_log_skip_reason_check;

-- The scheduler's query for due paused integrations: a range scan like organization_integrations_due_idx.
create index if not exists organization_integrations_due_disabled_idx
  on public.organization_integrations ((coalesce(next_run_at, '-infinity'::timestamptz)))
  where not enabled and schedule_cron is not null;

-- enqueue_run as in 20261130090000_sql_single_sources.sql, plus: a scheduled period of a paused
-- integration is recorded as skipped ('disabled') instead of run. The manual path is refused
-- earlier, by trigger_integration_sync (integration_disabled).
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

-- ---------------------------------------------------------------------------------------------
-- configure_integration (contract). Check order: the identity checks of authorize_integration_caller, then
-- the settings' shape (invalid_settings), schedule (invalid_schedule), zone (invalid_timezone),
-- config (invalid_config); only then is anything written. Creates the integration row when the
-- org has none of this type yet. Definer: clients cannot update organization_integrations.
-- ---------------------------------------------------------------------------------------------
create function public.configure_integration(org_id uuid, integration_type text, settings jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  c_keys constant text[] := array['enabled', 'schedule_cron', 'schedule_timezone', 'config'];
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
      and not (v_key = 'schedule_cron' and v_settings -> v_key = 'null'::jsonb) then
      v_problems := v_problems || pg_catalog.jsonb_build_object('key', v_key, 'problem',
        case v_key when 'enabled' then 'must be a boolean' when 'config' then 'must be an object'
          when 'schedule_cron' then 'must be a string or null' else 'must be a string' end);
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
    config = coalesce(v_settings -> 'config', i.config)
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
comment on function public.configure_integration(uuid, text, jsonb) is
  'Changes an integration''s enabled flag, schedule, time zone and config (admins only); returns the integration. Errors: permission_denied, org_scope_violation, unknown_integration_type, invalid_settings, invalid_schedule, invalid_timezone, invalid_config.';
revoke all on function public.configure_integration(uuid, text, jsonb) from public, anon;
grant execute on function public.configure_integration(uuid, text, jsonb) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- set_integration_credentials (contract): the admin's door to sync_engine.set_integration_credentials,
-- which validates the shape (invalid_credentials) and stores through Vault where present. The
-- audit row names the keys and the store, never a value.
-- ---------------------------------------------------------------------------------------------
create function public.set_integration_credentials(org_id uuid, integration_type text, credentials jsonb)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function public.set_integration_credentials(uuid, text, jsonb) is
  'Stores an integration''s credentials (admins only; Vault where present; never readable back). Errors: permission_denied, org_scope_violation, unknown_integration_type, integration_not_configured, invalid_credentials.';
revoke all on function public.set_integration_credentials(uuid, text, jsonb) from public, anon;
grant execute on function public.set_integration_credentials(uuid, text, jsonb) to authenticated;

-- Whether credentials are stored, for the settings panel ("stored, last changed …"): the one
-- fact about them a client may learn. Definer: the credentials table has no client grants.
create function public.integration_credentials_status(org_id uuid)
returns table (integration_type text, stored boolean, updated_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select i.integration_type, c.integration_id is not null, c.updated_at
  from public.organization_integrations i
  left join sync_engine.integration_credentials c on c.integration_id = i.id
  where i.org_id = integration_credentials_status.org_id
    and i.org_id in (select sync_auth.user_org_ids())
$$;
revoke all on function public.integration_credentials_status(uuid) from public, anon;
grant execute on function public.integration_credentials_status(uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- resume_integration_health (contract): passive → active. The monitor checks at once
-- (health_next_check_at = now()) with a clean failure count.
-- ---------------------------------------------------------------------------------------------
create function public.resume_integration_health(org_id uuid, integration_type text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function public.resume_integration_health(uuid, text) is
  'Sets health monitoring back to active pings (admins only). Errors: permission_denied, org_scope_violation, unknown_integration_type, integration_not_configured.';
revoke all on function public.resume_integration_health(uuid, text) from public, anon;
grant execute on function public.resume_integration_health(uuid, text) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- test_integration_connection: asks the health monitor to ping now (its next tick, ≤ its poll
-- interval), within the health budget: one test per (org, type) per minute, and never while a
-- sync runs (record_health_check skips then). The result arrives as a health check row.
-- ---------------------------------------------------------------------------------------------
create function public.test_integration_connection(org_id uuid, integration_type text)
returns timestamptz
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function public.test_integration_connection(uuid, text) is
  'Asks the health monitor to ping the integration on its next tick (admins only, once a minute); returns the request time. Errors: permission_denied, org_scope_violation, unknown_integration_type, integration_not_configured, integration_disabled, health_passive, rate_limited.';
revoke all on function public.test_integration_connection(uuid, text) from public, anon;
grant execute on function public.test_integration_connection(uuid, text) to authenticated;

-- Health checks and integration rows live to the dashboard (test connection, pause, schedule).
do $realtime$
declare
  t text;
begin
  foreach t in array array['integration_health_checks', 'organization_integrations'] loop
    if not exists (select from pg_publication_tables
                   where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = t) then
      execute format('alter publication supabase_realtime add table public.%I', t);
    end if;
  end loop;
end
$realtime$;

revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
