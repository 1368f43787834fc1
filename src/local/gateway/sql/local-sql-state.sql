-- What the gateway's other local SQL files were last applied against, so a start can skip them
-- when nothing changed (src/local/gateway/localSql.ts). Re-applying all of them took ≈ 80–140 ms
-- of a warm `sync-scheduler start` on PGlite (2-core machine), a tenth of the whole start, to
-- change nothing.
--
-- The stored fingerprint is the files' hash plus local_sql_inputs(): everything in the database
-- the files' effect depends on. realtime-capture.sql puts a trigger, with the primary-key
-- columns as arguments, on each table of the supabase_realtime publication; schema-cache.sql
-- creates two event triggers when the gateway's role is a superuser. A table added to or
-- dropped from the publication (a migration, or by hand), a changed primary key, a capture or
-- event trigger gone, or a new file version: any of them changes the fingerprint, and the next
-- start applies the files again.
create schema if not exists gateway_local;
revoke all on schema gateway_local from public;

create table if not exists gateway_local.local_sql_state (
  singleton boolean primary key default true check (singleton),
  fingerprint text not null,
  applied_at timestamptz not null default now()
);
revoke all on gateway_local.local_sql_state from public;

create or replace function gateway_local.local_sql_inputs() returns text
language sql
stable
set search_path = ''
as $$
  select pg_catalog.md5(pg_catalog.concat_ws(';',
    (select pg_catalog.string_agg(
              pg_catalog.format('%I.%I(%s)%s', pt.schemaname, pt.tablename, pk.columns, capture.present),
              ',' order by pt.schemaname, pt.tablename)
     from pg_catalog.pg_publication_tables pt
     join pg_catalog.pg_namespace n on n.nspname = pt.schemaname
     join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = pt.tablename
     cross join lateral (
       select pg_catalog.string_agg(a.attname::text, ',' order by a.attnum) as columns
       from pg_catalog.pg_index i
       join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey::int2[])
       where i.indrelid = c.oid and i.indisprimary) pk
     cross join lateral (
       select exists (select from pg_catalog.pg_trigger t
                      where t.tgrelid = c.oid and t.tgname = 'gateway_local_realtime') as present) capture
     where pt.pubname = 'supabase_realtime' and c.relkind in ('r', 'p')),
    (select pg_catalog.string_agg(e.evtname::text, ',' order by e.evtname)
     from pg_catalog.pg_event_trigger e
     where e.evtname in ('gateway_schema_cache_ddl_watch', 'gateway_schema_cache_drop_watch')),
    (select r.rolsuper::text from pg_catalog.pg_roles r where r.rolname = current_user)))
$$;
revoke all on function gateway_local.local_sql_inputs() from public;
