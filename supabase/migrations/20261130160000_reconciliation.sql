-- Reconciliation (issue 18; docs/reconciliation.md): read back what the accounting system holds for our
-- references and compare it with what ledger_entry_exports says was exported.
--
-- A reconciliation is a run like any other (sync_run_log.kind = 'reconcile'): leased, retried, audited,
-- Realtime-visible, and it SHARES the one active slot per (org, integration type)
-- (sync_run_log_one_active_idx is unchanged), so a read-back never races an export of the same books.
--
-- Replaces (starting from their newest definitions): sync_engine.count_api_requests (20261130113000:
-- the 'reconcile' purpose), public.configure_integration (20261130120000: the reconcile_cron key),
-- sync_engine.notify_from_alert and public.save_notification_target (20261130120300: the
-- reconciliation_differences event), sync_engine.next_export_batch (20261130110000: a voucher whose only
-- unexported lines were re-queued by a reconciliation is not "amended").
-- The widened checks are added NOT VALID here and validated in 20261130160100 (a brief lock here, the
-- scan without the strong lock there).

set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Runs of two kinds.
-- ---------------------------------------------------------------------------------------------
alter table public.sync_run_log add column kind text not null default 'export';
alter table public.sync_run_log add constraint sync_run_log_kind_check
  check (kind in ('export', 'reconcile')) not valid;
comment on column public.sync_run_log.kind is
  'export: sends approved entries; reconcile: reads the books back and records findings (docs/reconciliation.md). Both share the one active slot per (org, integration type).';

-- Manual reconciliations are audited next to manual syncs; the 15-minute rate rule reads them back.
alter table public.sync_trigger_audit drop constraint if exists sync_trigger_audit_action_check;
alter table public.sync_trigger_audit add constraint sync_trigger_audit_action_check
  check (action in ('trigger', 'cancel', 'reconcile')) not valid;

-- Read-back requests are counted against the same monthly allowance as exports and pings.
alter table public.api_request_tally drop constraint if exists api_request_tally_purpose_check;
alter table public.api_request_tally add constraint api_request_tally_purpose_check
  check (purpose in ('export', 'lookup', 'ping', 'token', 'reconcile')) not valid;

-- One alert per reconciliation with open findings.
alter table public.sync_alerts drop constraint if exists sync_alerts_kind_check;
alter table public.sync_alerts add constraint sync_alerts_kind_check
  check (kind in ('drift', 'health', 'missed', 'parked', 'reconciliation')) not valid;

-- The notification event of that alert.
alter table public.notification_targets drop constraint if exists notification_targets_events_check;
alter table public.notification_targets add constraint notification_targets_events_check
  check (cardinality(events) > 0
    and events <@ array['drift', 'run_failed', 'health_changed', 'vouchers_rejected', 'reconciliation_differences'])
  not valid;
alter table public.notification_targets alter column events
  set default array['drift', 'run_failed', 'health_changed', 'vouchers_rejected', 'reconciliation_differences'];

-- ---------------------------------------------------------------------------------------------
-- The schedule: daily at 03:00 in the integration's time zone by default (off-peak for Norwegian
-- books, after the nightly exports of a typical '0 2 * * *'); null = off. next_reconcile_at is planned
-- by the engine's housekeeping (croner, like the export schedule) and reset when the schedule changes.
-- ---------------------------------------------------------------------------------------------
alter table public.organization_integrations
  add column reconcile_cron text default '0 3 * * *',
  add column next_reconcile_at timestamptz default null;
alter table public.organization_integrations add constraint organization_integrations_reconcile_cron_check
  check (reconcile_cron is null or length(reconcile_cron) <= 200) not valid;
-- Only the rows with a planned reconciliation are indexed; the housekeeping query is an index scan.
create index organization_integrations_next_reconcile_idx
  on public.organization_integrations (next_reconcile_at) where reconcile_cron is not null;

create function sync_engine.reset_next_reconcile() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- A changed schedule or zone invalidates the planned reconciliation; the next tick plans it afresh.
  new.next_reconcile_at := null;
  return new;
end;
$$;
create trigger organization_integrations_reset_next_reconcile
  before update of reconcile_cron, schedule_timezone on public.organization_integrations
  for each row
  when (new.reconcile_cron is distinct from old.reconcile_cron
        or new.schedule_timezone is distinct from old.schedule_timezone)
  execute function sync_engine.reset_next_reconcile();

-- ---------------------------------------------------------------------------------------------
-- Findings, totals, audit. Readable under RLS by the org's admins and coordinators (the people who
-- may act on them); written only by the engine and the definer RPCs below.
-- ---------------------------------------------------------------------------------------------
create table public.reconciliation_findings (
  id uuid primary key default gen_random_uuid(),
  -- Findings go with their run (run-log retention, 90 days by default); the audit below stays.
  run_id uuid not null references public.sync_run_log (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  integration_id uuid not null references public.organization_integrations (id) on delete cascade,
  integration_type text not null check (integration_type in ('xledger', 'dynamics')),
  -- Null for an `extra` whose reference is not one of our entries.
  ledger_entry_id uuid references public.ledger_entries (id) on delete set null,
  kind text not null check (kind in ('missing', 'extra', 'amount_mismatch', 'account_mismatch', 'date_mismatch')),
  expected jsonb check (expected is null or jsonb_typeof(expected) = 'object'),
  actual jsonb check (actual is null or jsonb_typeof(actual) = 'object'),
  found_at timestamptz not null default now(),
  status text not null default 'open' check (status in ('open', 'requeued', 'acknowledged')),
  acted_by uuid,
  acted_at timestamptz,
  note text check (note is null or length(note) between 1 and 500),
  check ((status = 'open') = (acted_at is null)),
  check ((kind = 'missing') = (actual is null)),
  check ((kind = 'extra') = (expected is null))
);
create index reconciliation_findings_run_idx on public.reconciliation_findings (run_id);
create index reconciliation_findings_entry_idx on public.reconciliation_findings (integration_id, ledger_entry_id);
create index reconciliation_findings_org_idx on public.reconciliation_findings (org_id, found_at desc);

-- Entry counts are integer, as the contract says: one row counts one month's lines of one account of one
-- run (10,000 a month is the benchmark), and node-postgres would hand a bigint to the SDK as a string.
create table public.reconciliation_totals (
  run_id uuid not null references public.sync_run_log (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  integration_type text not null check (integration_type in ('xledger', 'dynamics')),
  period_month date not null check (extract(day from period_month) = 1),
  account text not null check (length(account) between 1 and 200),
  -- '' when the accounting system reports no currency for the line and it matches none of our entries.
  currency text not null check (currency ~ '^([A-Z]{3})?$'),
  our_total numeric(14, 2) not null default 0,
  their_total numeric(14, 2) not null default 0,
  -- squawk-ignore prefer-bigint-over-int
  our_entries integer not null default 0 check (our_entries >= 0),
  -- squawk-ignore prefer-bigint-over-int
  their_entries integer not null default 0 check (their_entries >= 0),
  primary key (run_id, period_month, account, currency)
);
create index reconciliation_totals_org_idx on public.reconciliation_totals (org_id);

create table public.reconciliation_audit (
  id bigint generated always as identity primary key,
  -- No foreign keys, as in sync_trigger_audit: the audit outlives the findings it speaks of.
  finding_id uuid not null,
  run_id uuid not null,
  org_id uuid not null,
  integration_type text not null,
  actor_user_id uuid not null,
  action text not null check (action in ('requeue', 'acknowledge')),
  note text check (note is null or length(note) <= 500),
  occurred_at timestamptz not null default now()
);
create index reconciliation_audit_org_idx on public.reconciliation_audit (org_id, occurred_at desc);
create function sync_engine.reconciliation_audit_is_append_only() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'reconciliation_audit is append-only' using errcode = '42501';
end;
$$;
create trigger reconciliation_audit_append_only
  before update or delete on public.reconciliation_audit
  for each row execute function sync_engine.reconciliation_audit_is_append_only();
create trigger reconciliation_audit_no_truncate
  before truncate on public.reconciliation_audit
  for each statement execute function sync_engine.reconciliation_audit_is_append_only();

do $grants$
declare
  t text;
begin
  foreach t in array array['reconciliation_findings', 'reconciliation_totals', 'reconciliation_audit'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke all on table public.%I from public, anon, authenticated, service_role', t);
    execute format('grant select on table public.%I to authenticated', t);
    execute format('create policy "admins and coordinators read their org''s %s" on public.%I for select to authenticated using (org_id in (select sync_auth.user_admin_org_ids()))',
      replace(t, '_', ' '), t);
  end loop;
end
$grants$;
grant all on table public.reconciliation_findings to service_role;
grant all on table public.reconciliation_totals to service_role;
grant select, insert on table public.reconciliation_audit to service_role;

-- ---------------------------------------------------------------------------------------------
-- Periods.
-- ---------------------------------------------------------------------------------------------
-- The default period: first day of the previous month .. last day of the current month, in the
-- integration's time zone (an accountant's "this month and last", where late postings land).
create function sync_engine.default_reconcile_period(p_timezone text, p_at timestamptz default now(),
  out period_start date, out period_end date)
language sql
stable
set search_path = ''
as $$
  select (pg_catalog.date_trunc('month', (p_at at time zone p_timezone)) - interval '1 month')::date,
         (pg_catalog.date_trunc('month', (p_at at time zone p_timezone)) + interval '1 month' - interval '1 day')::date
$$;

-- Inserts a pending reconcile run (the caller holds the run_lock_key advisory lock and has checked the
-- slot); null when the slot or the idempotency key was taken meanwhile (ON CONFLICT without a target
-- covers the partial unique index, as enqueue_run does). Wakes workers at commit.
create function sync_engine.insert_reconcile_run(
  p_integration public.organization_integrations,
  p_triggered_by text,
  p_user_id uuid,
  p_period_start date,
  p_period_end date,
  p_scheduled_for timestamptz default null,
  p_idempotency_key text default null
) returns uuid
language plpgsql
set search_path = ''
as $$
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

-- ---------------------------------------------------------------------------------------------
-- reconcile_integration (contract; docs/reconciliation.md). Checks 1–5 exactly as
-- trigger_integration_sync (docs/architecture.md §4), then the period, the slot, the rate.
-- Definer: clients cannot insert runs or audit rows.
-- ---------------------------------------------------------------------------------------------
create function public.reconcile_integration(org_id uuid, integration_type text,
  period_start date default null, period_end date default null)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function public.reconcile_integration(uuid, text, date, date) is
  'Starts a reconciliation of (org, integration type) for a period (default: last month and this month) and returns the run id. Errors: permission_denied, org_scope_violation, unknown_integration_type, integration_not_configured, integration_disabled, invalid_period, reconciliation_already_in_progress, sync_already_in_progress, rate_limited.';
revoke all on function public.reconcile_integration(uuid, text, date, date) from public, anon, service_role;
grant execute on function public.reconcile_integration(uuid, text, date, date) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Acting on findings.
-- ---------------------------------------------------------------------------------------------
-- The caller prologue of both actions: checks 1–3, then the finding (locked), which must be open.
create function sync_engine.open_finding_for_caller(p_org_id uuid, p_finding_id uuid)
returns public.reconciliation_findings
language plpgsql
set search_path = ''
as $$
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

-- Re-queues a `missing` entry through the exactly-once path: the export row the reconciliation saw is
-- removed (so the next export run selects the entry again) and an in-flight marker dated at the
-- original export is left in its place (so that run looks the entry up by reference first — scanning
-- back to the original send — and sends it only if it is still missing). Every other open `missing`
-- finding of the same entry is closed with it (one re-queue, one audit row each), so a finding listed
-- by two reconciliations is not re-queued twice. Definer: clients cannot write exports or findings.
create function public.requeue_reconciliation_finding(org_id uuid, finding_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function public.requeue_reconciliation_finding(uuid, uuid) is
  'Re-queues a missing entry for the next export run, which sends it only if it is still missing (admins and coordinators). Errors: permission_denied, org_scope_violation, finding_not_found, finding_not_open, finding_not_requeueable.';
revoke all on function public.requeue_reconciliation_finding(uuid, uuid) from public, anon, service_role;
grant execute on function public.requeue_reconciliation_finding(uuid, uuid) to authenticated;

-- Acknowledges a non-missing finding with a note (why the difference is fine, or what was done about it
-- in the accounting system). Later reconciliations record the same difference as acknowledged with this
-- note (sync_engine.record_reconciliation), so it is not raised again. Definer: clients cannot write
-- findings or the audit.
create function public.acknowledge_reconciliation_finding(org_id uuid, finding_id uuid, note text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function public.acknowledge_reconciliation_finding(uuid, uuid, text) is
  'Acknowledges a reconciliation finding other than missing with a note of 1–500 characters (admins and coordinators). Errors: permission_denied, org_scope_violation, finding_not_found, finding_not_open, finding_not_acknowledgeable, invalid_note.';
revoke all on function public.acknowledge_reconciliation_finding(uuid, uuid, text) from public, anon, service_role;
grant execute on function public.acknowledge_reconciliation_finding(uuid, uuid, text) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- The engine's side (service_role): what a reconcile run reads and records, fenced like the export
-- pipeline (worker_id + attempt of a running run, else run_not_held).
-- ---------------------------------------------------------------------------------------------
-- A held reconcile run, locked or not.
create function sync_engine.held_reconcile_run(p_run_id uuid, p_worker_id text, p_attempt integer,
  p_lock boolean default false)
returns public.sync_run_log
language plpgsql
set search_path = ''
as $$
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

-- The expected side, one page at a time in entry id order after p_after: every entry exported to the
-- run's integration whose entry date lies in the run's period, with the external id it was recorded
-- with. Read inside the run (after the claim): no export of this integration can run meanwhile (the
-- shared slot), so the page boundaries see one state of the exports, re-queues aside (see
-- record_reconciliation).
create function sync_engine.reconcile_expected(p_run_id uuid, p_worker_id text, p_attempt integer,
  p_after uuid, p_limit integer)
returns table (entry_id uuid, voucher_number text, entry_date text, account text, amount text,
  currency text, external_id text)
language plpgsql
stable
set search_path = ''
as $$
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

-- The exported entries among p_entry_ids, whatever their date: lines read back in the period whose
-- reference is one of ours but not in the period's expected set (an entry dated outside the period,
-- posted inside it: a date_mismatch, not an extra).
create function sync_engine.reconcile_entries(p_run_id uuid, p_worker_id text, p_attempt integer,
  p_entry_ids uuid[])
returns table (entry_id uuid, voucher_number text, entry_date text, account text, amount text,
  currency text, external_id text)
language plpgsql
stable
set search_path = ''
as $$
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

-- Requests already counted this UTC month for the run's integration (all purposes): what the
-- executor's request budget is measured against (docs/reconciliation.md "Budget").
create function sync_engine.reconcile_requests_this_month(p_run_id uuid, p_worker_id text, p_attempt integer)
returns bigint
language plpgsql
stable
set search_path = ''
as $$
declare
  v_run public.sync_run_log%rowtype := sync_engine.held_reconcile_run(p_run_id, p_worker_id, p_attempt);
begin
  return coalesce((select sum(t.requests) from public.api_request_tally t
    where t.integration_id = v_run.integration_id
      and t.month = pg_catalog.date_trunc('month', now() at time zone 'UTC')::date), 0);
end;
$$;

-- Records a reconciliation's outcome in one transaction at the end of the run: its findings, its
-- totals per month and account, its progress, and one alert (→ the reconciliation_differences
-- notification) when findings are open. Idempotent per run: a retried attempt after a crash between
-- this call and complete_runs finds progress.recorded_at and records nothing twice.
--   p_findings: [{"ledger_entry_id": uuid|null, "kind", "expected": {…}|null, "actual": {…}|null}]
--   p_totals:   [{"period_month": "YYYY-MM-01", "account", "currency", "our_total", "their_total",
--                 "our_entries", "their_entries"}]
-- A `missing` finding whose export row is gone by now (re-queued while this run read) is dropped: the
-- next export run settles it. A finding equal to one acknowledged before (same integration, kind,
-- entry, expected and actual) is recorded acknowledged with that note and raises nothing.
create function sync_engine.record_reconciliation(p_run_id uuid, p_worker_id text, p_attempt integer,
  p_findings jsonb, p_totals jsonb, p_checked integer, p_requests integer)
returns table (findings integer, open_findings integer)
language plpgsql
set search_path = ''
as $$
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
$$;

-- ---------------------------------------------------------------------------------------------
-- The schedule, driven by the engine's housekeeping (src/engine/reconcile/schedule.ts): it reads what
-- is due, plans the next occurrence with croner in the integration's zone, and hands the plans here.
-- ---------------------------------------------------------------------------------------------
create function sync_engine.due_reconciliations(p_now timestamptz, p_limit integer default 100)
returns table (integration_id uuid, reconcile_cron text, schedule_timezone text, next_reconcile_at timestamptz)
language sql
stable
set search_path = ''
as $$
  select i.id, i.reconcile_cron, i.schedule_timezone, i.next_reconcile_at
  from public.organization_integrations i
  where i.reconcile_cron is not null and i.enabled
    and (i.next_reconcile_at is null or i.next_reconcile_at <= p_now)
  order by i.next_reconcile_at nulls first, i.id
  limit greatest(coalesce(p_limit, 0), 0)
$$;

-- Per plan, atomically: a row changed since it was read (another worker, an edited schedule) is
-- `stale`; a new or changed schedule only gets its next time (`planned`, nothing retroactive); a due
-- one is enqueued with idempotency key 'reconcile:' || period_key (`enqueued`, or `duplicate` when a
-- repeated tick already did) and moves to its next time; while any run of the integration is
-- pending/running it is `busy` and NOT moved, so a later tick tries again.
create function sync_engine.schedule_due_reconciliations(p_now timestamptz, p_integration_ids uuid[],
  p_expected_next timestamptz[], p_new_next timestamptz[])
returns table (integration_id uuid, run_id uuid, outcome text)
language plpgsql
set search_path = ''
as $$
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

-- ---------------------------------------------------------------------------------------------
-- Replaced functions (each from its newest definition, named in the header).
-- ---------------------------------------------------------------------------------------------

-- count_api_requests (from 20261130113000): the 'reconcile' purpose.
create or replace function sync_engine.count_api_requests(
  p_integration_id uuid,
  p_counts jsonb,
  p_at timestamptz default now()
) returns void
language plpgsql
set search_path = ''
as $$
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
$$;

-- notify_from_alert (from 20261130120300): a reconciliation alert → reconciliation_differences.
create or replace function sync_engine.notify_from_alert() returns trigger
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
  elsif tg_op = 'INSERT' and new.kind = 'reconciliation' then
    perform sync_engine.enqueue_notification(new.org_id, 'reconciliation_differences',
      format('%s: %s', coalesce(v_type, 'integration'), new.message),
      pg_catalog.jsonb_build_object('alert_id', new.id, 'integration_type', v_type, 'run_id', new.run_id,
        'severity', new.severity, 'message', new.message, 'details', new.details));
  end if;
  return null;
end;
$$;

-- save_notification_target (from 20261130120300): the reconciliation_differences event.
create or replace function public.save_notification_target(org_id uuid, target jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
$$;

-- configure_integration (from 20261130120000): the reconcile_cron settings key.
create or replace function public.configure_integration(org_id uuid, integration_type text, settings jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
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

comment on function public.configure_integration(uuid, text, jsonb) is
  'Changes an integration''s enabled flag, schedule, time zone, config and reconciliation schedule (admins only); returns the integration. Errors: permission_denied, org_scope_violation, unknown_integration_type, invalid_settings, invalid_schedule, invalid_timezone, invalid_config.';

-- next_export_batch (from 20261130110000): re-queued lines of an exported voucher are not an amendment.
create or replace function sync_engine.next_export_batch(
  p_run_id uuid,
  p_worker_id text,
  p_attempt integer,
  p_after_voucher text,
  p_limit integer,
  p_max_vouchers integer default null
) returns table (
  entry_id uuid,
  voucher_number text,
  entry_date text,
  account text,
  amount text,
  currency text,
  description text,
  in_flight boolean
)
language plpgsql
volatile
set search_path = ''
as $$
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

-- ---------------------------------------------------------------------------------------------
-- Engine functions: service_role only (docs/architecture.md §10).
-- ---------------------------------------------------------------------------------------------
revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
