-- Superseded: sync_engine.dispatch_run → 20261130090000_sql_single_sources.sql; sync_engine.install_serverless → 20261130130100_serverless_prewarm.sql; sync_engine.uninstall_serverless → 20261130130100_serverless_prewarm.sql (live: supabase/schema.sql)
-- Serverless engine on Supabase (docs/architecture.md §5.5): the worker Edge Function
-- (supabase/functions/sync-worker) is driven by
--   * pg_net at enqueue:   sync_engine.dispatch_run posts {"run_id": …} (fire-and-forget, at commit);
--   * pg_cron every minute: sync_engine.serverless_sweep posts {} — reaper, scheduler tick, health
--                           pings and any pending run whose dispatch was lost.
-- Both go through ONE function, sync_engine.post_to_worker, with the URL and bearer token stored by
-- sync_engine.install_serverless. Nothing here needs pg_cron or pg_net to compile: every call into
-- them is dynamic SQL behind a to_regprocedure check, so the file applies to plain PostgreSQL and
-- PGlite too, where install_serverless refuses with a coded error and workers run as processes.
--
-- Setup on a Supabase project, once (as the owner, or the service role through PostgREST):
--   select sync_engine.install_serverless(
--     'https://<project-ref>.supabase.co/functions/v1/sync-worker',
--     p_token => '<the function''s SYNC_WORKER_SECRET>');     -- kept in Vault where it exists
--   -- or, with a Vault secret you created yourself:
--   select sync_engine.install_serverless('https://…/functions/v1/sync-worker', p_token_vault_name => 'sync_worker_secret');
-- Undo: select sync_engine.uninstall_serverless();

-- ---------------------------------------------------------------------------------------------
-- The one door to the worker function.
-- ---------------------------------------------------------------------------------------------

-- Posts p_body to the configured dispatch URL with `Authorization: Bearer <token>` (token from
-- Vault by name when configured so, else from the service-only settings table). Returns pg_net's
-- request id, or null when no URL is configured or pg_net is absent. pg_net sends at commit and
-- never on rollback; 5 s timeout: the function answers 202 within milliseconds.
create function sync_engine.post_to_worker(p_body jsonb) returns bigint
language plpgsql
volatile
set search_path = ''
as $$
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
$$;
comment on function sync_engine.post_to_worker(jsonb) is
  'POSTs a body to the worker Edge Function through pg_net with the stored dispatch token; null when not configured.';

-- Same behaviour as before (notify, then post {"run_id"}), now through the shared door.
create or replace function sync_engine.dispatch_run(p_run_id uuid) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform pg_catalog.pg_notify('sync_engine_wakeup', p_run_id::text);
  perform sync_engine.post_to_worker(pg_catalog.jsonb_build_object('run_id', p_run_id));
end;
$$;

-- What the pg_cron job runs every minute: an empty body asks the function for a sweep.
create function sync_engine.serverless_sweep() returns bigint
language sql
volatile
set search_path = ''
as $$
  select sync_engine.post_to_worker('{}'::jsonb)
$$;
comment on function sync_engine.serverless_sweep() is
  'Run by the pg_cron job sync-scheduler-sweep: asks the worker Edge Function for a sweep (reap, scheduler tick, health pings, pending runs).';

-- ---------------------------------------------------------------------------------------------
-- Install / uninstall
-- ---------------------------------------------------------------------------------------------

-- Definer: on Supabase the cron schema and Vault belong to the owner (postgres), not to
-- service_role; the cron job is then owned by, and runs as, the owner. EXECUTE is granted to
-- service_role only (end of file), so no client role can point dispatches elsewhere.
create function sync_engine.install_serverless(
  p_function_url text,
  p_token_vault_name text default null,
  p_token text default null,
  p_schedule text default '* * * * *'
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

  return pg_catalog.jsonb_build_object(
    'job_id', v_job_id,
    'job_name', c_job_name,
    'schedule', p_schedule,
    'dispatch_url', p_function_url,
    'token_source', v_source,
    'token_vault_name', p_token_vault_name);
end;
$$;
comment on function sync_engine.install_serverless(text, text, text, text) is
  'Points dispatches at the worker Edge Function (URL + bearer token, Vault where available) and schedules the pg_cron sweep job sync-scheduler-sweep. Service role / owner only. Errors: pg_cron_unavailable, pg_net_unavailable, invalid_dispatch_url, invalid_dispatch_token, vault_unavailable, vault_secret_not_found.';

-- Definer for the same reason as install_serverless (the job belongs to the owner).
create function sync_engine.uninstall_serverless() returns jsonb
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
  end if;
  delete from sync_engine.settings s
  where s.key in ('dispatch_url', 'dispatch_token', 'dispatch_token_vault_name');
  get diagnostics v_removed = row_count;
  -- A Vault secret is left in place: it may be the caller's own (p_token_vault_name).
  return pg_catalog.jsonb_build_object('unscheduled', coalesce(v_unscheduled, false), 'settings_removed', v_removed);
end;
$$;
comment on function sync_engine.uninstall_serverless() is
  'Removes the pg_cron sweep job and the dispatch settings: enqueues only notify LISTENing workers again. Service role / owner only.';

-- Functions are executable by PUBLIC by default: revoke, then grant to the service role only.
revoke all on function sync_engine.post_to_worker(jsonb) from public, anon, authenticated;
revoke all on function sync_engine.serverless_sweep() from public, anon, authenticated;
revoke all on function sync_engine.install_serverless(text, text, text, text) from public, anon, authenticated;
revoke all on function sync_engine.uninstall_serverless() from public, anon, authenticated;
grant execute on function sync_engine.post_to_worker(jsonb) to service_role;
grant execute on function sync_engine.serverless_sweep() to service_role;
grant execute on function sync_engine.install_serverless(text, text, text, text) to service_role;
grant execute on function sync_engine.uninstall_serverless() to service_role;
