-- Superseded: public.save_notification_target → 20261130160000_reconciliation.sql; sync_engine.notify_from_alert → 20261130160000_reconciliation.sql; sync_engine.notify_from_run → 20261130160300_notify_failed_reconciliation.sql (live: supabase/schema.sql)
-- Alerts that reach people (docs/notifications.md). An org admin registers webhook targets
-- (generic JSON, Slack-compatible: every body has a "text" field); events are written to an
-- outbox IN THE SAME TRANSACTION as the fact they report (transactional outbox), and the engine
-- delivers them at least once: signed (HMAC-SHA256 over "<timestamp>.<body>"), with the delivery
-- id as idempotency key, retried with full-jitter backoff, every attempt logged for admins.
--
-- Events: drift (a scheduled run started > threshold late: sync_alerts kind drift), run_failed
-- (a run ended failed, i.e. after its last attempt or on a non-retryable error), health_changed
-- (sync_alerts kind health raised or resolved), vouchers_rejected (a run failed because the
-- accounting system refused the entries: error_code bad_request).

set lock_timeout = '5s';
set statement_timeout = '60s';

create table public.notification_targets (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (length(name) between 1 and 100),
  kind text not null default 'webhook' check (kind in ('webhook', 'slack')),
  -- http allowed for local receivers; the signature, not the transport, authenticates the body.
  url text not null check (url ~ '^https?://[^\s/?#]+([/?#]\S*)?$' and length(url) <= 2000),
  events text[] not null default array['drift', 'run_failed', 'health_changed', 'vouchers_rejected']
    check (cardinality(events) > 0
      and events <@ array['drift', 'run_failed', 'health_changed', 'vouchers_rejected']),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index notification_targets_org_idx on public.notification_targets (org_id);

-- Signing secrets: owner-only, like sync_engine.integration_credentials. Shown to the admin once,
-- when created or rotated; the engine reads them when delivering.
create table sync_engine.notification_secrets (
  target_id uuid primary key references public.notification_targets (id) on delete cascade,
  secret text not null,
  created_at timestamptz not null default now()
);
alter table sync_engine.notification_secrets enable row level security;
revoke all on table sync_engine.notification_secrets from public, anon, authenticated, service_role;

-- The outbox. One row per (event, target); its id is the idempotency key receivers deduplicate on.
create table public.notification_deliveries (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  target_id uuid not null references public.notification_targets (id) on delete cascade,
  event text not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0 check (attempts >= 0),
  -- 8 attempts with 30 s base full-jitter backoff capped at 1 h: the last one ≤ ~1 h after the
  -- 7th, about 2 h of trying in the worst case before a delivery is given up.
  max_attempts integer not null default 8 check (max_attempts between 1 and 50),
  next_attempt_at timestamptz not null default now(),
  -- Lease of the deliverer holding it; a crashed deliverer's rows come back when it expires.
  locked_until timestamptz default null,
  last_http_status integer default null,
  last_error text default null,
  created_at timestamptz not null default now(),
  delivered_at timestamptz default null
);
create index notification_deliveries_due_idx on public.notification_deliveries (next_attempt_at) where status = 'pending';
create index notification_deliveries_org_idx on public.notification_deliveries (org_id, created_at desc);

create table public.notification_delivery_attempts (
  id bigint generated always as identity primary key,
  delivery_id uuid not null references public.notification_deliveries (id) on delete cascade,
  org_id uuid not null,
  attempt integer not null,
  attempted_at timestamptz not null default now(),
  http_status integer default null,
  error text default null,
  duration_ms integer default null
);
create index notification_delivery_attempts_idx on public.notification_delivery_attempts (delivery_id, attempt);

do $grants$
declare
  t text;
begin
  foreach t in array array['notification_targets', 'notification_deliveries', 'notification_delivery_attempts'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke all on table public.%I from public, anon, authenticated', t);
    execute format('grant select on table public.%I to authenticated', t);
    execute format('grant all on table public.%I to service_role', t);
    execute format('create policy "admins read their org''s %s" on public.%I for select to authenticated using (org_id in (select sync_auth.user_org_admin_ids()))', replace(t, '_', ' '), t);
  end loop;
end
$grants$;

-- ---------------------------------------------------------------------------------------------
-- Outbox writers: called inside the transaction that records the fact.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.enqueue_notification(p_org_id uuid, p_event text, p_text text, p_data jsonb)
returns integer
language plpgsql
set search_path = ''
as $$
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

create function sync_engine.notify_from_alert() returns trigger
language plpgsql
set search_path = ''
as $$
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
  end if;
  return null;
end;
$$;
create trigger sync_alerts_notify
  after insert or update of resolved_at on public.sync_alerts
  for each row execute function sync_engine.notify_from_alert();

create function sync_engine.notify_from_run() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_data jsonb := pg_catalog.jsonb_build_object('run_id', new.id, 'integration_type', new.integration_type,
    'triggered_by', new.triggered_by, 'attempt', new.attempt, 'max_attempts', new.max_attempts,
    'error_code', new.error_code, 'error_message', new.error_message, 'records_exported', new.records_exported);
begin
  perform sync_engine.enqueue_notification(new.org_id, 'run_failed',
    format('%s sync failed after attempt %s of %s: %s', new.integration_type, new.attempt, new.max_attempts,
      coalesce(new.error_message, new.error_code, 'unknown error')), v_data);
  if new.error_code = 'bad_request' then
    perform sync_engine.enqueue_notification(new.org_id, 'vouchers_rejected',
      format('%s refused the exported entries: %s', new.integration_type, coalesce(new.error_message, 'bad request')), v_data);
  end if;
  return null;
end;
$$;
create trigger sync_run_log_notify_failed
  after update of status on public.sync_run_log
  for each row
  when (new.status = 'failed' and old.status is distinct from new.status)
  execute function sync_engine.notify_from_run();

-- ---------------------------------------------------------------------------------------------
-- Deliverer side (service_role): claim due deliveries under a lease, record each attempt.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.claim_notifications(p_limit integer default 20, p_lease_seconds integer default 60)
returns table (id uuid, attempt integer, url text, kind text, secret text, payload jsonb)
language plpgsql
security definer
set search_path = ''
as $$
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

create function sync_engine.record_notification_attempt(
  p_id uuid,
  p_attempt integer,
  p_http_status integer,
  p_error text,
  p_duration_ms integer,
  p_backoff_base_seconds double precision default 30,
  p_backoff_cap_seconds double precision default 3600
) returns text
language plpgsql
set search_path = ''
as $$
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

-- ---------------------------------------------------------------------------------------------
-- Admin RPCs. Check order as trigger_integration_sync (through authorize_integration_caller), then the
-- target's shape (invalid_notification_target, details.problems). The secret is returned once.
-- ---------------------------------------------------------------------------------------------
create function public.save_notification_target(org_id uuid, target jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  c_keys constant text[] := array['id', 'name', 'kind', 'url', 'events', 'enabled', 'rotate_secret'];
  c_events constant text[] := array['drift', 'run_failed', 'health_changed', 'vouchers_rejected'];
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
      coalesce(v_events, array['drift', 'run_failed', 'health_changed', 'vouchers_rejected']),
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
$$;
comment on function public.save_notification_target(uuid, jsonb) is
  'Creates (no id) or updates (id) a webhook target (admins only); returns it, with "secret" once when created or rotated. Errors: permission_denied, org_scope_violation, invalid_notification_target, notification_target_not_found.';
revoke all on function public.save_notification_target(uuid, jsonb) from public, anon;
grant execute on function public.save_notification_target(uuid, jsonb) to authenticated;

create function public.delete_notification_target(org_id uuid, target_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function public.delete_notification_target(uuid, uuid) is
  'Deletes a webhook target and its pending deliveries (admins only). Errors: permission_denied, org_scope_violation, notification_target_not_found.';
revoke all on function public.delete_notification_target(uuid, uuid) from public, anon;
grant execute on function public.delete_notification_target(uuid, uuid) to authenticated;

revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
