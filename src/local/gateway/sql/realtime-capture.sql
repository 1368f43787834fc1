-- Local-only change capture for the gateway's Realtime stand-in. NOT a migration: on Supabase,
-- Realtime reads the WAL through a logical slot; PGlite has no logical decoding, so the gateway
-- installs this trigger itself, on every table in the supabase_realtime publication, at start.
create schema if not exists gateway_local;
revoke all on schema gateway_local from public;

-- Definer: pg_notify needs nothing special, but the payload must not depend on the writer's
-- column privileges (the engine writes as owner, tests as anything).
create or replace function gateway_local.notify_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  -- row_to_json: compact text in column order, which the gateway splices into its frames as it
  -- is (a role that may read every column gets exactly this text, never parsed and re-encoded).
  v_new json := case when tg_op <> 'DELETE' then pg_catalog.row_to_json(new) end;
  v_old json := case when tg_op <> 'INSERT' then pg_catalog.row_to_json(old) end;
  v_pk jsonb := '{}'::jsonb;
  v_old_pk jsonb := '{}'::jsonb;
  v_col text;
  v_head jsonb;
  v_payload text;
begin
  -- tg_argv holds the primary key columns, computed when the trigger was installed.
  foreach v_col in array tg_argv loop
    if v_new is not null then
      v_pk := v_pk || pg_catalog.jsonb_build_object(v_col, v_new -> v_col);
    end if;
    if v_old is not null then
      v_old_pk := v_old_pk || pg_catalog.jsonb_build_object(v_col, v_old -> v_col);
    end if;
  end loop;
  v_head := pg_catalog.jsonb_build_object(
    'type', tg_op,
    'schema', tg_table_schema,
    'table', tg_table_name,
    -- Realtime's format (realtime.apply_rls); trigger time stands in for the WAL commit time.
    'commit_timestamp', pg_catalog.to_char(pg_catalog.clock_timestamp() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'pk', case when tg_op = 'DELETE' then v_old_pk else v_pk end,
    'old_record', case when tg_op = 'INSERT' then null else v_old_pk end);
  -- The payload is two parts: the header (jsonb text, which never holds a raw newline), a
  -- newline, then the new row's JSON (empty for DELETE). The gateway parses only the header
  -- unless a filter or a role's column list needs the row: 1,000 changes of sync_run_log are
  -- ≈ 1 MB of rows, ≈ 2 ms to parse and ≈ 1.5 ms to encode again (docs/benchmarks.md §4).
  v_payload := v_head::text || E'\n' || coalesce(v_new::text, '');
  -- NOTIFY payloads must stay under 8000 bytes; past ~7,500 the gateway re-reads the row by key.
  if pg_catalog.octet_length(v_payload) > 7500 then
    v_payload := (v_head || '{"record_omitted": true}'::jsonb)::text || E'\n';
  end if;
  perform pg_catalog.pg_notify('gateway_realtime', v_payload);
  return null;
end;
$$;
revoke all on function gateway_local.notify_change() from public;

do $install$
declare
  t record;
  v_pk text;
begin
  for t in
    select pt.schemaname, pt.tablename, c.oid as relid
    from pg_catalog.pg_publication_tables pt
    join pg_catalog.pg_namespace n on n.nspname = pt.schemaname
    join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = pt.tablename
    where pt.pubname = 'supabase_realtime' and c.relkind in ('r', 'p')
  loop
    select string_agg(pg_catalog.quote_literal(a.attname), ', ' order by a.attnum) into v_pk
    from pg_catalog.pg_index i
    join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey::int2[])
    where i.indrelid = t.relid and i.indisprimary;
    -- Realtime refuses tables without a primary key too ("Error 400: Bad Request, no primary key").
    continue when v_pk is null;
    execute format(
      'create or replace trigger gateway_local_realtime after insert or update or delete on %I.%I '
      'for each row execute function gateway_local.notify_change(%s)',
      t.schemaname, t.tablename, v_pk);
  end loop;
end
$install$;
