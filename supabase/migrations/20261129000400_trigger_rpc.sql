-- Superseded: public.trigger_integration_sync → 20261130090000_sql_single_sources.sql (live: supabase/schema.sql)
-- The manual-trigger RPC (docs/architecture.md §4, a contract) and the custom access token hook that puts
-- the org_id claim it relies on into every JWT.

-- Definer: the caller (authenticated) may not insert runs or audit rows itself; this function
-- is the one door, and it checks identity from the JWT before anything else.
create function public.trigger_integration_sync(org_id uuid, integration_type text)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  c_allowed constant text[] := array['xledger', 'dynamics'];
  -- 5 minutes between manual triggers per (org, integration type): the seed's rule.
  c_rate_window constant interval := interval '5 minutes';
  v_org uuid := trigger_integration_sync.org_id;
  v_type text := trigger_integration_sync.integration_type;
  v_claims jsonb := auth.jwt();
  v_sub text := v_claims ->> 'sub';
  v_uid uuid;
  v_role text;
  v_integration_id uuid;
  v_enabled boolean;
  v_last_trigger timestamptz;
  v_retry_after integer;
  v_label text;
  v_result record;
begin
  -- 1. An authenticated user. The sub is checked for uuid shape before the cast, so a forged or
  --    malformed claim is a coded refusal, not an unhandled cast error.
  if v_sub ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    v_uid := v_sub::uuid;
  end if;
  if v_uid is null or coalesce(v_claims ->> 'role', '') <> 'authenticated' then
    perform sync_engine.raise_api_error('permission_denied', 401,
      'You must be signed in to start a sync.');
  end if;

  -- 2. The JWT's org scope must be the org asked for.
  if v_org is null or lower(coalesce(v_claims ->> 'org_id', '')) <> v_org::text then
    perform sync_engine.raise_api_error('org_scope_violation', 403,
      'Your session is not scoped to this organization.',
      p_hint => 'Sign in to the organization you want to sync, then try again.');
  end if;

  -- 3. Only admins and coordinators of that org.
  select m.role into v_role
  from public.organization_members m
  where m.org_id = v_org and m.user_id = v_uid;
  if v_role is null or v_role not in ('admin', 'coordinator') then
    perform sync_engine.raise_api_error('permission_denied', 403,
      'Only administrators and coordinators can start a sync.');
  end if;

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
    pg_catalog.hashtextextended('sync:' || v_org::text || ':' || v_type, 0));

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
comment on function public.trigger_integration_sync(uuid, text) is
  'Starts a manual sync for (org, integration type) and returns the run id. Errors: permission_denied, org_scope_violation, unknown_integration_type, integration_not_configured, integration_disabled, sync_already_in_progress, rate_limited.';

revoke all on function public.trigger_integration_sync(uuid, text) from public, anon;
grant execute on function public.trigger_integration_sync(uuid, text) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Custom access token hook: adds org_id to every issued JWT. A user in several orgs gets the one
-- they joined first (stable across refreshes); a claim the auth server already carries in
-- app_metadata.active_org_id wins when the user is a member of that org.
-- ---------------------------------------------------------------------------------------------
create function public.custom_access_token_hook(event jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
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

revoke all on function public.custom_access_token_hook(jsonb) from public, anon, authenticated;

do $hook$
begin
  -- supabase_auth_admin exists on Supabase (and in the local bootstrap): the Auth server calls the hook as it.
  if exists (select from pg_roles where rolname = 'supabase_auth_admin') then
    grant usage on schema public to supabase_auth_admin;
    grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;
    grant select on table public.organization_members to supabase_auth_admin;
    create policy "auth admin reads memberships for the token hook" on public.organization_members
      as permissive for select to supabase_auth_admin using (true);
  end if;
end
$hook$;
