-- Local-only: tells the gateway's schema cache (rest/schemaCache.ts) to reload after DDL, as
-- Supabase's `pgrst_ddl_watch` / `pgrst_drop_watch` event triggers do for PostgREST. NOT a
-- migration: a Supabase project has its own. Creating an event trigger needs a superuser; on any
-- other connection the gateway only reloads on an explicit `NOTIFY pgrst, 'reload schema'`.
create schema if not exists gateway_local;
revoke all on schema gateway_local from public;

create or replace function gateway_local.schema_cache_ddl_watch() returns event_trigger
language plpgsql
set search_path = ''
as $$
begin
  -- Temporary objects are invisible to other sessions' requests: no reload for them.
  if exists (
    select from pg_catalog.pg_event_trigger_ddl_commands() c where c.schema_name is distinct from 'pg_temp'
  ) then
    perform pg_catalog.pg_notify('pgrst', 'reload schema');
  end if;
end;
$$;
revoke all on function gateway_local.schema_cache_ddl_watch() from public;

create or replace function gateway_local.schema_cache_drop_watch() returns event_trigger
language plpgsql
set search_path = ''
as $$
begin
  if exists (select from pg_catalog.pg_event_trigger_dropped_objects() o where not o.is_temporary) then
    perform pg_catalog.pg_notify('pgrst', 'reload schema');
  end if;
end;
$$;
revoke all on function gateway_local.schema_cache_drop_watch() from public;

do $install$
begin
  if not (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then
    return;
  end if;
  if not exists (select from pg_catalog.pg_event_trigger where evtname = 'gateway_schema_cache_ddl_watch') then
    create event trigger gateway_schema_cache_ddl_watch on ddl_command_end
      execute function gateway_local.schema_cache_ddl_watch();
  end if;
  if not exists (select from pg_catalog.pg_event_trigger where evtname = 'gateway_schema_cache_drop_watch') then
    create event trigger gateway_schema_cache_drop_watch on sql_drop
      execute function gateway_local.schema_cache_drop_watch();
  end if;
end;
$install$;
