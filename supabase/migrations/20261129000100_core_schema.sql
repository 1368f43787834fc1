-- Core data model (docs/architecture.md §3). Table and column names are a contract.
--
-- Privileges are revoked by default and granted explicitly: Supabase stops auto-granting new
-- objects in `public` to anon/authenticated (api.auto_expose_new_tables, 2026-05-30), and even
-- where it still does, these revokes make the result the same on every project.

create schema if not exists sync_engine;
comment on schema sync_engine is
  'Engine internals: enqueue, claim, heartbeat, complete, fail, reap, cancel. Not exposed over the API; service_role and the owner only.';
revoke all on schema sync_engine from public;
grant usage on schema sync_engine to service_role;

-- RLS helpers live in their own schema: policies call them as the querying role, so that role
-- needs USAGE and EXECUTE, but the schema is not in the API's exposed schemas.
create schema if not exists sync_auth;
revoke all on schema sync_auth from public;
grant usage on schema sync_auth to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Organizations and membership
-- ---------------------------------------------------------------------------------------------
create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);

create table public.organization_members (
  org_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  -- Only admin and coordinator may trigger syncs (checked by trigger_integration_sync).
  role text not null check (role in ('admin', 'coordinator', 'peer_mentor', 'viewer')),
  created_at timestamptz not null default now(),
  primary key (org_id, user_id)
);
create index organization_members_user_idx on public.organization_members (user_id);

-- ---------------------------------------------------------------------------------------------
-- Integrations: one row per (org, accounting system). Every column but org_id and
-- integration_type has a default, so `insert (org_id, integration_type, enabled)` is a full row.
-- Credentials are never stored here (see sync_engine.integration_credentials).
-- ---------------------------------------------------------------------------------------------
create table public.organization_integrations (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  -- The allowlist is repeated in trigger_integration_sync on purpose: the RPC must answer
  -- unknown_integration_type before it looks anything up.
  integration_type text not null check (integration_type in ('xledger', 'dynamics')),
  enabled boolean not null default true,
  schedule_cron text default null check (schedule_cron is null or length(schedule_cron) <= 200),
  schedule_timezone text not null default 'Europe/Oslo',
  next_run_at timestamptz default null,
  config jsonb not null default '{}'::jsonb check (jsonb_typeof(config) = 'object'),
  health_status text not null default 'unknown'
    check (health_status in ('unknown', 'healthy', 'degraded', 'unhealthy')),
  health_mode text not null default 'active' check (health_mode in ('active', 'passive')),
  health_checked_at timestamptz default null,
  health_next_check_at timestamptz default null,
  health_consecutive_failures integer not null default 0 check (health_consecutive_failures >= 0),
  health_last_error text default null,
  -- 5 attempts with 30 s base full-jitter backoff span ≈ 7.5 min worst case before a run fails.
  max_attempts integer not null default 5 check (max_attempts between 1 and 100),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, integration_type)
);

-- An invalid IANA zone would only surface when the scheduler runs; reject it at write time.
create function sync_engine.validate_integration() returns trigger
language plpgsql
set search_path = ''
as $$
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

create trigger organization_integrations_validate
  before insert or update on public.organization_integrations
  for each row execute function sync_engine.validate_integration();

-- ---------------------------------------------------------------------------------------------
-- Ledger entries and their per-integration export record
-- ---------------------------------------------------------------------------------------------
create table public.ledger_entries (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  entry_date date not null default current_date,
  account text not null check (length(account) between 1 and 50),
  amount numeric(14, 2) not null,
  currency text not null default 'NOK' check (currency ~ '^[A-Z]{3}$'),
  description text default null check (description is null or length(description) <= 1000),
  approved_at timestamptz default null,
  created_at timestamptz not null default now()
);
-- The export pipeline scans approved entries of one org in id order (its resumable cursor).
create index ledger_entries_approved_idx on public.ledger_entries (org_id, id) where approved_at is not null;

-- One row per (entry, integration): the primary key is what makes "exported at most once per
-- integration" a database fact rather than an application promise.
create table public.ledger_entry_exports (
  entry_id uuid not null references public.ledger_entries (id) on delete restrict,
  integration_id uuid not null references public.organization_integrations (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  run_id uuid default null,
  external_id text not null,
  exported_at timestamptz not null default now(),
  primary key (entry_id, integration_id)
);
create index ledger_entry_exports_integration_idx on public.ledger_entry_exports (integration_id, entry_id);

-- ---------------------------------------------------------------------------------------------
-- Runs: one row per logical run; retries reuse the row. State machine: docs/state-machine.md.
-- ---------------------------------------------------------------------------------------------
create table public.sync_run_log (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  integration_id uuid not null references public.organization_integrations (id) on delete cascade,
  integration_type text not null,
  status text not null default 'pending'
    check (status in ('pending', 'running', 'succeeded', 'failed', 'cancelled', 'skipped')),
  triggered_by text not null check (triggered_by in ('manual', 'scheduled')),
  triggered_by_user_id uuid default null,
  triggered_at timestamptz not null default now(),
  scheduled_for timestamptz default null,
  idempotency_key text default null unique,
  attempt integer not null default 0 check (attempt >= 0),
  max_attempts integer not null default 5 check (max_attempts >= 1),
  run_after timestamptz not null default now(),
  started_at timestamptz default null,
  finished_at timestamptz default null,
  heartbeat_at timestamptz default null,
  lease_expires_at timestamptz default null,
  worker_id text default null,
  records_exported integer not null default 0 check (records_exported >= 0),
  error_code text default null,
  error_message text default null,
  progress jsonb not null default '{}'::jsonb,
  -- Actual first start minus scheduled_for, for scheduled runs (alerting threshold lives in the engine).
  drift_ms integer default null,
  skip_reason text default null check (skip_reason is null or skip_reason in ('overlap', 'missed')),
  cancel_requested_at timestamptz default null,
  updated_at timestamptz not null default now(),
  check (triggered_by = 'manual' or triggered_by_user_id is null),
  check ((status = 'skipped') = (skip_reason is not null))
);

-- At most one active run per (org, integration type), whatever races happen: the final guard
-- behind the advisory lock in trigger_integration_sync.
create unique index sync_run_log_one_active_idx
  on public.sync_run_log (org_id, integration_type)
  where status in ('pending', 'running');
-- Claim scans only due pending rows; the reaper only running rows; both stay tiny.
create index sync_run_log_claim_idx on public.sync_run_log (run_after) where status = 'pending';
create index sync_run_log_lease_idx on public.sync_run_log (lease_expires_at) where status = 'running';
create index sync_run_log_org_history_idx on public.sync_run_log (org_id, triggered_at desc);
create index sync_run_log_integration_idx on public.sync_run_log (integration_id, triggered_at desc);

-- ---------------------------------------------------------------------------------------------
-- Manual-trigger audit: append-only. Retention: see sync_engine.purge_trigger_audit.
-- ---------------------------------------------------------------------------------------------
create table public.sync_trigger_audit (
  id bigint generated always as identity primary key,
  -- No foreign key: the audit outlives the run rows that the run-log retention prunes.
  run_id uuid not null,
  actor_user_id uuid not null,
  org_id uuid not null,
  integration_type text not null,
  action text not null default 'trigger' check (action in ('trigger', 'cancel')),
  occurred_at timestamptz not null default now()
);
-- Serves the 5-minute rate-limit probe: newest trigger for (org, type).
create index sync_trigger_audit_rate_idx
  on public.sync_trigger_audit (org_id, integration_type, occurred_at desc)
  where action = 'trigger';
create index sync_trigger_audit_run_idx on public.sync_trigger_audit (run_id);

create function sync_engine.audit_is_append_only() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- Only sync_engine.purge_trigger_audit sets this flag, for the duration of its transaction.
  if tg_op = 'DELETE' and current_setting('sync_engine.audit_purge', true) = 'on' then
    return old;
  end if;
  raise exception 'sync_trigger_audit is append-only'
    using errcode = '42501', hint = 'Use sync_engine.purge_trigger_audit for retention.';
end;
$$;

create trigger sync_trigger_audit_append_only
  before update or delete on public.sync_trigger_audit
  for each row execute function sync_engine.audit_is_append_only();
create trigger sync_trigger_audit_no_truncate
  before truncate on public.sync_trigger_audit
  for each statement execute function sync_engine.audit_is_append_only();
