-- Pre-warming the worker Edge Function before scheduled periods, and recording its cold starts.
--
-- A scheduled period's runs are dispatched the moment the sweep enqueues them; if the function's
-- isolate is cold then, the first run pays the boot (module load + first database connection).
-- install_serverless now also schedules `sync-scheduler-prewarm`: every minute,
-- serverless_prewarm(lead) finds the integrations whose next period starts `lead` seconds (default
-- 30) after a point within the coming minute, sleeps until that point and posts {"warmup":true}
-- through the same door as every dispatch (post_to_worker). The function records every request it
-- serves cold that is not a warm-up in public.function_cold_starts (and logs and counts it), with
-- the last warm-up sent for that integration, so a team can see whether warm-ups help.

-- The last warm-up sent per integration (owner-only bookkeeping).
create table sync_engine.prewarms (
  integration_id uuid primary key references public.organization_integrations (id) on delete cascade,
  period_at timestamptz not null,
  sent_at timestamptz not null
);
revoke all on table sync_engine.prewarms from public;
grant all on table sync_engine.prewarms to service_role;

-- One row per cold-start incident: a dispatch or sweep served by a fresh isolate.
create table public.function_cold_starts (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  kind text not null check (kind in ('dispatch', 'sweep')),
  org_id uuid references public.organizations (id) on delete cascade,
  integration_id uuid references public.organization_integrations (id) on delete cascade,
  integration_type text,
  run_id uuid,
  worker_id text,
  -- Isolate boot to this request (module load included), as the function measured it.
  isolate_age_ms integer,
  -- The last warm-up sent for this integration, null when none was (a sweep, or no schedule).
  prewarm_sent_at timestamptz
);
comment on table public.function_cold_starts is
  'Cold starts of the sync-worker Edge Function that real work paid for (warm-ups excluded); written by sync_engine.record_cold_start.';
create index function_cold_starts_integration_recent on public.function_cold_starts (integration_id, occurred_at desc);
alter table public.function_cold_starts enable row level security;
revoke all on table public.function_cold_starts from public, anon, authenticated;
grant select on table public.function_cold_starts to authenticated;
grant select on table public.function_cold_starts to service_role;
create policy "members read their org's cold starts" on public.function_cold_starts
  for select to authenticated using (org_id in (select sync_auth.user_org_ids()));

-- Definer: the function's login (service_role) writes only through here; the row's org and
-- integration come from the run, never from the caller.
create function sync_engine.record_cold_start(
  p_kind text,
  p_run_id uuid default null,
  p_worker_id text default null,
  p_isolate_age_ms integer default null
) returns bigint
language sql
volatile
security definer
set search_path = ''
as $$
  insert into public.function_cold_starts
    (kind, org_id, integration_id, integration_type, run_id, worker_id, isolate_age_ms, prewarm_sent_at)
  select p_kind, r.org_id, r.integration_id, r.integration_type, p_run_id, p_worker_id, p_isolate_age_ms,
         (select w.sent_at from sync_engine.prewarms w where w.integration_id = r.integration_id)
  from (select 1) as one
  left join public.sync_run_log r on r.id = p_run_id
  returning id
$$;
comment on function sync_engine.record_cold_start(text, uuid, text, integer) is
  'Records one cold start of the worker Edge Function (kind dispatch|sweep; org and integration from the run). Service role only.';

-- Run by the pg_cron job sync-scheduler-prewarm every minute. pg_cron 1.4 (Debian; Supabase has
-- 1.6 but the same minute cron syntax) cannot fire at :30, so the job sleeps inside the minute until
-- the warm-up point; it holds one cron connection for at most 60 s, and only in minutes that have
-- one. Periods sit on minute boundaries (five-field cron), so one warm-up serves every integration
-- due at that instant. Returns pg_net's request id, or null when nothing is due.
create function sync_engine.serverless_prewarm(p_lead_seconds integer default 30) returns bigint
language plpgsql
volatile
set search_path = ''
as $$
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
comment on function sync_engine.serverless_prewarm(integer) is
  'Run by the pg_cron job sync-scheduler-prewarm: posts {"warmup":true} to the worker function p_lead_seconds before the scheduled periods starting within the coming minute.';

-- install_serverless gains p_prewarm_lead_seconds (default 30; 0 = no pre-warm job). Same body as
-- 20261129000700_serverless_dispatch.sql otherwise; the old signature goes so named calls stay unambiguous.
drop function sync_engine.install_serverless(text, text, text, text);

-- Definer: on Supabase the cron schema and Vault belong to the owner (postgres), not to
-- service_role; the cron jobs are then owned by, and run as, the owner.
create function sync_engine.install_serverless(
  p_function_url text,
  p_token_vault_name text default null,
  p_token text default null,
  p_schedule text default '* * * * *',
  p_prewarm_lead_seconds integer default 30
) returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
$$;
comment on function sync_engine.install_serverless(text, text, text, text, integer) is
  'Points dispatches at the worker Edge Function (URL + bearer token, Vault where available), schedules the pg_cron sweep job sync-scheduler-sweep and the pre-warm job sync-scheduler-prewarm (p_prewarm_lead_seconds, default 30, 0 = none). Service role / owner only. Errors: pg_cron_unavailable, pg_net_unavailable, invalid_dispatch_url, invalid_dispatch_token, invalid_prewarm_lead, vault_unavailable, vault_secret_not_found.';

-- Definer for the same reason; also removes the pre-warm job.
create or replace function sync_engine.uninstall_serverless() returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
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
$$;

revoke all on function sync_engine.record_cold_start(text, uuid, text, integer) from public, anon, authenticated;
revoke all on function sync_engine.serverless_prewarm(integer) from public, anon, authenticated;
revoke all on function sync_engine.install_serverless(text, text, text, text, integer) from public, anon, authenticated;
grant execute on function sync_engine.record_cold_start(text, uuid, text, integer) to service_role;
grant execute on function sync_engine.serverless_prewarm(integer) to service_role;
grant execute on function sync_engine.install_serverless(text, text, text, text, integer) to service_role;
