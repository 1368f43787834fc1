-- Superseded: sync_engine.mark_batch_in_flight → 20261130100000_bounded_numbers.sql; sync_engine.next_export_batch → 20261130160000_reconciliation.sql; sync_engine.record_exports → 20261130100000_bounded_numbers.sql; sync_engine.record_snooze → 20261130100000_bounded_numbers.sql; sync_engine.vault_available → 20261130130000_supabase_layout_fixes.sql (live: supabase/schema.sql)
-- Integration credentials and the export pipeline (docs/architecture.md §3, §5.2, §9).
--
-- Credentials: sync_engine.set_integration_credentials validates the shape per integration type
-- and stores the secret in Supabase Vault where it exists, else in the owner-only table
-- sync_engine.integration_credentials. sync_engine.integration_runtime hands the worker type,
-- config and decrypted credentials. No client role can reach either.
--
-- Export pipeline (exactly-once protocol of docs/architecture.md §5), per batch:
--   next_export_batch   – the org's approved entries not yet exported to this integration, in id
--                         order after the run's cursor, each flagged when it may already have been sent;
--   mark_batch_in_flight – BEFORE sending: records that these entries may reach the external system;
--   (the executor looks flagged entries up externally, sends the rest)
--   record_exports      – ONE transaction: export rows + cursor + counters, markers cleared.
-- Every call presents the fencing token (worker_id + attempt) and is refused with the coded
-- error run_not_held when the caller no longer holds the run; nothing is recorded then.

-- ---------------------------------------------------------------------------------------------
-- Credentials
-- ---------------------------------------------------------------------------------------------

-- Exactly one of vault_secret_id (Supabase: the Vault secret holding the JSON) and credentials
-- (plain PostgreSQL / PGlite, where Vault does not exist) is set.
create table sync_engine.integration_credentials (
  integration_id uuid primary key references public.organization_integrations (id) on delete cascade,
  vault_secret_id uuid default null,
  credentials jsonb default null,
  updated_at timestamptz not null default now(),
  check ((vault_secret_id is null) <> (credentials is null))
);
comment on table sync_engine.integration_credentials is
  'Owner-only: reached through sync_engine.set_integration_credentials and sync_engine.integration_runtime (both definer, service_role only).';
-- RLS on and no grants at all: even a mistaken grant later would expose no row without a policy.
alter table sync_engine.integration_credentials enable row level security;
revoke all on table sync_engine.integration_credentials from public, anon, authenticated, service_role;

-- Vault is an extension in its own schema on Supabase and absent elsewhere; its functions are
-- only ever called through dynamic SQL so this file compiles without it.
create function sync_engine.vault_available() returns boolean
language sql
stable
set search_path = ''
as $$
  select to_regclass('vault.secrets') is not null
     and to_regclass('vault.decrypted_secrets') is not null
     and exists (
       select from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'vault' and p.proname = 'create_secret')
     and exists (
       select from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'vault' and p.proname = 'update_secret')
$$;

-- Definer: Vault's functions and decrypted view are granted to the owner (postgres), not to
-- service_role, and the credentials table has no grants; this function is the one write door.
create function sync_engine.set_integration_credentials(integration_id uuid, credentials jsonb)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
$$;
comment on function sync_engine.set_integration_credentials(uuid, jsonb) is
  'Stores credentials (Vault where available, else the owner-only table); returns ''vault'' or ''table''. Errors: integration_not_found, invalid_credentials.';

-- Definer for the same reason as the writer: it decrypts from Vault or reads the owner-only table.
-- credentials is null when none were set (or the Vault secret was deleted).
create function sync_engine.integration_runtime(integration_id uuid)
returns table (
  org_id uuid,
  integration_type text,
  enabled boolean,
  config jsonb,
  credentials jsonb,
  credentials_source text
)
language plpgsql
stable
security definer
set search_path = ''
as $$
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
$$;
comment on function sync_engine.integration_runtime(uuid) is
  'For the worker: type, config and decrypted credentials of one integration (no row when it does not exist).';

-- ---------------------------------------------------------------------------------------------
-- Export pipeline
-- ---------------------------------------------------------------------------------------------

-- Entries that may have reached the external system without an export row: marked before each
-- send, deleted when recorded. Per integration, not per run, so a run that failed or was
-- cancelled with a batch in flight still makes the NEXT run look those entries up first.
create table sync_engine.export_in_flight (
  integration_id uuid not null references public.organization_integrations (id) on delete cascade,
  -- restrict: an entry that may exist in the accounting system is not silently forgotten.
  entry_id uuid not null references public.ledger_entries (id) on delete restrict,
  run_id uuid not null,
  attempt integer not null,
  marked_at timestamptz not null default now(),
  primary key (integration_id, entry_id)
);
create index export_in_flight_entry_idx on sync_engine.export_in_flight (entry_id);
alter table sync_engine.export_in_flight enable row level security;
revoke all on table sync_engine.export_in_flight from public, anon, authenticated;
grant select, insert, update, delete on table sync_engine.export_in_flight to service_role;

-- The coded refusal for a caller that lost its run (reaped, cancelled, finished, re-claimed).
create function sync_engine.raise_run_not_held(p_run_id uuid, p_worker_id text, p_attempt integer)
returns void
language sql
set search_path = ''
as $$
  select sync_engine.raise_api_error('run_not_held', 409,
    'This worker no longer holds the run; nothing was recorded.',
    pg_catalog.jsonb_build_object('run_id', p_run_id, 'worker_id', p_worker_id, 'attempt', p_attempt))
$$;

-- The next batch for a run. The cursor is the last entry id the run recorded: ids are uuids
-- (random order, not time order), so a cursor only ever lives within one run — an entry approved
-- mid-run with a smaller id is left for the next run, which starts from the beginning and skips
-- what is exported via the anti-join. Within a run the cursor keeps every batch an index range
-- scan on ledger_entries_approved_idx instead of re-reading the already exported prefix.
create function sync_engine.next_export_batch(
  p_run_id uuid,
  p_worker_id text,
  p_attempt integer,
  p_after_id uuid,
  p_limit integer
) returns table (
  entry_id uuid,
  entry_date text,
  account text,
  amount text,
  currency text,
  description text,
  in_flight boolean
)
language plpgsql
stable
set search_path = ''
as $$
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
$$;

-- Marks a batch in flight before it is sent. Also stretches the lease to at least
-- p_lease_seconds from now, so the send's own deadline ends inside the lease: another worker can
-- only re-claim the run (and look these entries up) after this send can no longer be arriving.
-- Returns the lease expiry.
create function sync_engine.mark_batch_in_flight(
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
      else greatest(r.lease_expires_at, now() + make_interval(secs => p_lease_seconds)) end
  where r.id = v_run.id
  returning r.lease_expires_at into v_run.lease_expires_at;
  return v_run.lease_expires_at;
end;
$$;

-- Records a sent (or found) batch: export rows, cursor, counters and the cleared markers commit
-- together, so a crash leaves either all of it or none of it (then the markers make the next
-- attempt look the batch up instead of re-sending it). ON CONFLICT DO NOTHING: the primary key
-- (entry_id, integration_id) is the final word on "exported at most once".
-- Returns how many export rows this call added and the run's total.
create function sync_engine.record_exports(
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

-- Counts a rate-limit snooze (retry without charging an attempt) and returns how many happened
-- in a row since the run last recorded a batch. The executor stops snoozing for free past its
-- cap, so a permanently rate-limited integration ends up failed instead of pending forever.
create function sync_engine.record_snooze(
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

-- Only the owner and service_role run the engine; new functions are executable by PUBLIC by
-- default, so every one is revoked explicitly.
revoke all on function sync_engine.vault_available() from public, anon, authenticated;
revoke all on function sync_engine.set_integration_credentials(uuid, jsonb) from public, anon, authenticated;
revoke all on function sync_engine.integration_runtime(uuid) from public, anon, authenticated;
revoke all on function sync_engine.raise_run_not_held(uuid, text, integer) from public, anon, authenticated;
revoke all on function sync_engine.next_export_batch(uuid, text, integer, uuid, integer) from public, anon, authenticated;
revoke all on function sync_engine.mark_batch_in_flight(uuid, text, integer, uuid[], integer) from public, anon, authenticated;
revoke all on function sync_engine.record_exports(uuid, text, integer, uuid[], text[], jsonb) from public, anon, authenticated;
revoke all on function sync_engine.record_snooze(uuid, text, integer, text) from public, anon, authenticated;
grant execute on function sync_engine.vault_available() to service_role;
grant execute on function sync_engine.set_integration_credentials(uuid, jsonb) to service_role;
grant execute on function sync_engine.integration_runtime(uuid) to service_role;
grant execute on function sync_engine.raise_run_not_held(uuid, text, integer) to service_role;
grant execute on function sync_engine.next_export_batch(uuid, text, integer, uuid, integer) to service_role;
grant execute on function sync_engine.mark_batch_in_flight(uuid, text, integer, uuid[], integer) to service_role;
grant execute on function sync_engine.record_exports(uuid, text, integer, uuid[], text[], jsonb) to service_role;
grant execute on function sync_engine.record_snooze(uuid, text, integer, text) to service_role;
