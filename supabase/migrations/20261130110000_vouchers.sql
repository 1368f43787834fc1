-- Superseded: sync_engine.next_export_batch → 20261130160000_reconciliation.sql (live: supabase/schema.sql)
-- Vouchers and rejected vouchers (docs/export-pipeline.md "Vouchers" and "Rejected vouchers").
--
-- A voucher is the set of ledger entries with the same (org_id, voucher_number). It is the unit the
-- accounting systems book: its lines balance to zero per currency, and it is exported whole, in one
-- request (a Business Central $batch under Isolation: snapshot; one Xledger mutation). An entry
-- written without a voucher number is a voucher of its own (number = its id text).
--
-- A voucher that cannot be booked — refused here before anything is sent (unbalanced, too many lines,
-- amended after export) or refused permanently by the accounting system (unknown account, closed
-- period, validation error) — is set aside in public.export_rejections with its error, and the run
-- goes on with the rest. Coordinators re-queue it after a fix or mark it skipped with a reason
-- (public.requeue_rejected_voucher / public.skip_rejected_voucher), both audited.

set lock_timeout = '5s';
set statement_timeout = '120s';

-- ---------------------------------------------------------------------------------------------
-- ledger_entries.voucher_number
-- ---------------------------------------------------------------------------------------------
alter table public.ledger_entries add column voucher_number text default null;
update public.ledger_entries set voucher_number = id::text where voucher_number is null;
alter table public.ledger_entries
  alter column voucher_number set not null,
  -- 50: an id text is 36; a person's voucher numbers ("2026-000123") are far shorter.
  add constraint ledger_entries_voucher_number_check check (length(voucher_number) between 1 and 50);

-- Fills the number of an entry written without one, so every entry belongs to exactly one voucher.
create function sync_engine.default_voucher_number() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.voucher_number is null then
    new.voucher_number := new.id::text;
  end if;
  return new;
end;
$$;
create trigger ledger_entries_default_voucher_number
  before insert or update of voucher_number on public.ledger_entries
  for each row execute function sync_engine.default_voucher_number();

-- The export walks vouchers of one org in voucher_number order (its resumable cursor) and reads all
-- lines of a voucher at once; both are this index.
create index ledger_entries_voucher_idx on public.ledger_entries (org_id, voucher_number);

-- ---------------------------------------------------------------------------------------------
-- Rejected vouchers (dead letters), per integration
-- ---------------------------------------------------------------------------------------------
create table public.export_rejections (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  integration_id uuid not null references public.organization_integrations (id) on delete cascade,
  integration_type text not null,
  voucher_number text not null,
  -- rejected: set aside, blocks nothing else; requeued: eligible for export again; skipped: never exported.
  status text not null default 'rejected' check (status in ('rejected', 'requeued', 'skipped')),
  -- Ours (voucher_unbalanced, voucher_too_large, voucher_amended) or the adapter's (bad_request).
  error_code text not null check (length(error_code) between 1 and 100),
  error_message text not null check (length(error_message) <= 2000),
  -- The accounting system's own code and HTTP status, when it refused the voucher.
  remote_code text default null check (remote_code is null or length(remote_code) <= 200),
  remote_status integer default null,
  entry_ids uuid[] not null,
  lines integer not null,
  run_id uuid default null,
  rejected_at timestamptz not null default now(),
  resolved_at timestamptz default null,
  resolved_by uuid default null,
  resolution_reason text default null check (resolution_reason is null or length(resolution_reason) <= 500),
  check ((status = 'rejected') = (resolved_at is null))
);
-- At most one open (rejected or skipped) row per voucher and integration: it is what keeps the
-- voucher out of the export. A re-queued voucher that fails again gets a new row; history stays.
create unique index export_rejections_open_idx on public.export_rejections (integration_id, voucher_number)
  where status in ('rejected', 'skipped');
create index export_rejections_org_idx on public.export_rejections (org_id, integration_type, rejected_at desc);

alter table public.export_rejections enable row level security;
revoke all on table public.export_rejections from public, anon, authenticated;
grant select on table public.export_rejections to authenticated;
grant all on table public.export_rejections to service_role;
create policy "members read their org's rejected vouchers" on public.export_rejections
  for select to authenticated using (org_id in (select sync_auth.user_org_ids()));

-- Who re-queued or skipped which voucher, and why. Append-only like sync_trigger_audit.
create table public.export_rejection_audit (
  id bigint generated always as identity primary key,
  -- No foreign keys, as in sync_trigger_audit: the audit outlives the rows it speaks of.
  rejection_id uuid not null,
  org_id uuid not null,
  integration_type text not null,
  voucher_number text not null,
  actor_user_id uuid not null,
  action text not null check (action in ('requeue', 'skip')),
  reason text default null,
  occurred_at timestamptz not null default now()
);
create index export_rejection_audit_org_idx on public.export_rejection_audit (org_id, occurred_at desc);
create function sync_engine.rejection_audit_is_append_only() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'export_rejection_audit is append-only' using errcode = '42501';
end;
$$;
create trigger export_rejection_audit_append_only
  before update or delete on public.export_rejection_audit
  for each row execute function sync_engine.rejection_audit_is_append_only();
create trigger export_rejection_audit_no_truncate
  before truncate on public.export_rejection_audit
  for each statement execute function sync_engine.rejection_audit_is_append_only();
alter table public.export_rejection_audit enable row level security;
revoke all on table public.export_rejection_audit from public, anon, authenticated;
grant select on table public.export_rejection_audit to authenticated;
grant select, insert on table public.export_rejection_audit to service_role;
create policy "admins and coordinators read their org's rejection audit" on public.export_rejection_audit
  for select to authenticated using (org_id in (select sync_auth.user_admin_org_ids()));

-- ---------------------------------------------------------------------------------------------
-- Export pipeline, voucher by voucher
-- ---------------------------------------------------------------------------------------------

-- Sets a voucher aside for an integration (engine side). Returns the rejection id, or null when the
-- voucher already has an open row (a concurrent attempt rejected it first).
create function sync_engine.insert_rejection(
  p_run public.sync_run_log,
  p_voucher_number text,
  p_error_code text,
  p_error_message text,
  p_remote_code text,
  p_remote_status integer
) returns uuid
language plpgsql
volatile
set search_path = ''
as $$
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

-- The next whole vouchers for a run, in voucher_number order after the cursor p_after_voucher.
-- A voucher is exportable when every line is approved; lines already exported to this integration
-- are left out (found by a look-up after a crash, or exported before — see voucher_amended).
-- Vouchers that cannot be booked are rejected HERE, before any request, and never handed out:
--   voucher_unbalanced – the lines do not sum to zero in some currency;
--   voucher_too_large  – more lines than p_limit (one request carries one voucher whole; BC's
--                        $batch takes at most 100 operations);
--   voucher_amended    – some lines were exported before and others added later: the rest would be
--                        a second, unbalanced document;
--   voucher_mixed_dates – lines on different dates: a document is booked on one posting date, and
--                        Business Central checks the balance per document number AND date.
-- Returns whole vouchers up to p_limit lines in total (at least one voucher when any is left), and at
-- most p_max_vouchers vouchers when given (the executor isolates a refused batch voucher by voucher).
drop function sync_engine.next_export_batch(uuid, text, integer, uuid, integer);
create function sync_engine.next_export_batch(
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
        when s.exported > 0 then 'voucher_amended'
        when s.unbalanced is not null then 'voucher_unbalanced'
        when s.dates > 1 then 'voucher_mixed_dates'
      end order by c.voucher_number),
      array_agg(case
        when s.pending > v_limit then format('Voucher %s has %s lines; one request carries at most %s.',
          c.voucher_number, s.pending, v_limit)
        when s.exported > 0 then format('Voucher %s has %s lines exported before and %s added since; fix it in the accounting system and skip it here, or give the new lines a voucher of their own.',
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

-- The accounting system refused a voucher permanently: set it aside with its error (engine side,
-- fenced like every export call). Returns the rejection id (null if it was already set aside).
create function sync_engine.reject_voucher(
  p_run_id uuid,
  p_worker_id text,
  p_attempt integer,
  p_voucher_number text,
  p_error_code text,
  p_error_message text,
  p_remote_code text default null,
  p_remote_status integer default null
) returns uuid
language plpgsql
volatile
set search_path = ''
as $$
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

revoke all on function sync_engine.default_voucher_number() from public, anon, authenticated;
revoke all on function sync_engine.rejection_audit_is_append_only() from public, anon, authenticated;
grant execute on function sync_engine.default_voucher_number() to service_role;
grant execute on function sync_engine.rejection_audit_is_append_only() to service_role;
revoke all on function sync_engine.insert_rejection(public.sync_run_log, text, text, text, text, integer) from public, anon, authenticated;
revoke all on function sync_engine.next_export_batch(uuid, text, integer, text, integer, integer) from public, anon, authenticated;
revoke all on function sync_engine.reject_voucher(uuid, text, integer, text, text, text, text, integer) from public, anon, authenticated;
grant execute on function sync_engine.insert_rejection(public.sync_run_log, text, text, text, text, integer) to service_role;
grant execute on function sync_engine.next_export_batch(uuid, text, integer, text, integer, integer) to service_role;
grant execute on function sync_engine.reject_voucher(uuid, text, integer, text, text, text, text, integer) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Coordinator actions: re-queue or skip a rejected voucher
-- ---------------------------------------------------------------------------------------------

-- The checks both actions share: sync_engine.authorize_org_caller (signed in 401, JWT org scope 403,
-- admin or coordinator 403, in trigger_integration_sync's order), then the rejection itself; returns the
-- open rejection row, locked. Raises rejection_not_found 404, rejection_not_open 409.
create function sync_engine.open_rejection_for_caller(p_org_id uuid, p_rejection_id uuid)
returns public.export_rejections
language plpgsql
volatile
set search_path = ''
as $$
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
revoke all on function sync_engine.open_rejection_for_caller(uuid, uuid) from public, anon, authenticated;
grant execute on function sync_engine.open_rejection_for_caller(uuid, uuid) to service_role;

-- Definer: clients cannot write export_rejections or its audit; this is the one door, and it checks
-- identity from the JWT first. The voucher becomes eligible for the next run (scheduled or manual),
-- which exports it through the same exactly-once path as any other (look-up first when in doubt).
create function public.requeue_rejected_voucher(org_id uuid, rejection_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function public.requeue_rejected_voucher(uuid, uuid) is
  'Re-queues a rejected voucher for the next export run. Errors: permission_denied, org_scope_violation, rejection_not_found, rejection_not_open.';

-- Definer for the same reason. The voucher stays out of every export of this integration.
create function public.skip_rejected_voucher(org_id uuid, rejection_id uuid, reason text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
comment on function public.skip_rejected_voucher(uuid, uuid, text) is
  'Marks a rejected voucher as never to be exported, with a reason. Errors: permission_denied, org_scope_violation, rejection_not_found, rejection_not_open, invalid_reason.';

revoke all on function public.requeue_rejected_voucher(uuid, uuid) from public, anon;
revoke all on function public.skip_rejected_voucher(uuid, uuid, text) from public, anon;
grant execute on function public.requeue_rejected_voucher(uuid, uuid) to authenticated;
grant execute on function public.skip_rejected_voucher(uuid, uuid, text) to authenticated;

-- Realtime: the dashboard's list follows new rejections live.
do $realtime$
begin
  if exists (select from pg_publication where pubname = 'supabase_realtime') and not exists (
    select from pg_publication_tables
    where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'export_rejections'
  ) then
    alter publication supabase_realtime add table public.export_rejections;
  end if;
end
$realtime$;
