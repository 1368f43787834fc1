-- Local-only (not a migration; see realtime-capture.sql): the change feed's RLS check for a batch
-- of changes. For each identity (a role and its JWT claims), which of the given rows it may SELECT,
-- judged in the setting PostgREST gives a request (role, request.jwt.claims, request.headers/
-- method/path, search_path) — the same way Supabase Realtime's realtime.apply_rls switches role and
-- claims with set_config for each subscriber inside one function call
-- (https://github.com/supabase/realtime, priv/repo/migrations, apply_rls).
--
-- p_checks: [{"role": "authenticated", "claims": {…}, "keys": [{"id": "…"}, …]}, …], keys being
-- the capture trigger's pk objects. Returns one row per check: (check_no, ords) with the 1-based
-- positions of its visible keys (null when none), or (check_no, null, error) for a check that
-- raised (a policy error hides that check's rows only). One row per check, not per key: 1,000
-- rows a burst were ≈ 10 % of the call's CPU on PGlite, most of it reading them in JavaScript.
-- The caller runs it as its own read-only transaction: every set_config here is local to it.
--
-- One statement for a whole burst: per identity one EXISTS query over its keys (planned with its
-- role, so its policies apply), instead of one transaction per change and identity (1,000 changes
-- watched by 100 users: 694 ms before on PGlite, docs/benchmarks.md section 4).
--
-- p_isolate: each check in its own subtransaction (an exception block), so a policy that raises
-- hides only its own check's rows. Without it (the fast path) any error aborts the whole call and
-- the caller asks again with p_isolate: the subtransactions were ≈ 20 % of a 100-identity call on
-- PGlite (≈ 24 → 19 ms CPU), and a policy that raises is the rare case.
-- The two-argument version (rows per key, before p_isolate) is replaced, not overloaded.
drop function if exists gateway_local.visible_keys(regclass, jsonb);
create or replace function gateway_local.visible_keys(p_table regclass, p_checks jsonb, p_isolate boolean default true)
returns table (check_no integer, ords integer[], error text)
language plpgsql
volatile
as $$
declare
  v_sql text;
  v_name text := 'gateway_local_rls_' || p_table::oid;
  v_prepare text;
  v_check jsonb;
  v_no integer := 0;
begin
  perform pg_catalog.set_config('transaction_read_only', 'on', true);
  select pg_catalog.format(
           'select $2, pg_catalog.array_agg(k.ord::int order by k.ord), null::text '
           'from pg_catalog.jsonb_array_elements($1) with ordinality as k (v, ord) '
           'where exists (select from %I.%I t where %s)',
           n.nspname, c.relname,
           pg_catalog.string_agg(
             pg_catalog.format('t.%I = (k.v ->> %L)::%s', a.attname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)),
             ' and ' order by pg_catalog.array_position(i.indkey::int2[], a.attnum)))
    into v_sql
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_index i on i.indrelid = c.oid and i.indisprimary
  join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum = any (i.indkey::int2[])
  where c.oid = p_table
  group by n.nspname, c.relname;
  if v_sql is null then
    raise exception 'table % has no primary key', p_table using errcode = '22023';
  end if;

  -- Prepared once per connection and table, planned once per role (force_generic_plan; a plan
  -- made for another role, or before a policy or the table changed, is re-planned by PostgreSQL
  -- itself: RLS plans depend on the role, and DDL invalidates cached plans). Planning was most of
  -- a check's cost (100 identities: 370–510 ms re-planned each, 220–280 ms prepared per call, on a
  -- machine at load 23), and preparing per call still cost ≈ 5 ms of CPU per call on PGlite (25
  -- identities a call: ≈ 42 ms for 100 identities, 100 a call: ≈ 28 ms). The statement kept is
  -- compared by its text, so a changed primary key prepares it again.
  v_prepare := 'prepare ' || v_name || ' (jsonb, int) as ' || v_sql;
  if not exists (select from pg_catalog.pg_prepared_statements p where p.name = v_name and p.statement = v_prepare) then
    if exists (select from pg_catalog.pg_prepared_statements p where p.name = v_name) then
      execute 'deallocate ' || v_name;
    end if;
    execute v_prepare;
  end if;
  perform pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true),
          pg_catalog.set_config('search_path', 'public, extensions', true),
          pg_catalog.set_config('request.headers', '{}', true),
          pg_catalog.set_config('request.method', '', true),
          pg_catalog.set_config('request.path', '', true);

  -- Only the roles a request may switch to (requestContext.ts): never the superuser.
  if exists (select from pg_catalog.jsonb_array_elements(p_checks) as e
             where coalesce(e ->> 'role', '') <> all (array['anon', 'authenticated', 'service_role'])) then
    p_isolate := true;
  end if;

  if not p_isolate then
    for v_check in select e from pg_catalog.jsonb_array_elements(p_checks) as e loop
      v_no := v_no + 1;
      perform pg_catalog.set_config('request.jwt.claims', v_check ->> 'claims', true),
              pg_catalog.set_config('role', v_check ->> 'role', true);
      return query execute pg_catalog.format('execute %s (%L, %s)', v_name, v_check -> 'keys', v_no);
    end loop;
    return;
  end if;

  for v_check in select e from pg_catalog.jsonb_array_elements(p_checks) as e loop
    v_no := v_no + 1;
    begin
      if coalesce(v_check ->> 'role', '') <> all (array['anon', 'authenticated', 'service_role']) then
        raise exception 'role % may not be used', v_check ->> 'role' using errcode = '42501';
      end if;
      -- set_config('role') needs only the session user's membership, so the next check can
      -- switch again while this one's role is current.
      perform pg_catalog.set_config('request.jwt.claims', v_check ->> 'claims', true),
              pg_catalog.set_config('role', v_check ->> 'role', true);
      return query execute pg_catalog.format('execute %s (%L, %s)', v_name, v_check -> 'keys', v_no);
    exception when others then
      -- The block's subtransaction is rolled back, its set_config calls with it.
      check_no := v_no;
      ords := null;
      error := sqlstate || ': ' || sqlerrm;
      return next;
    end;
  end loop;
end;
$$;
revoke all on function gateway_local.visible_keys(regclass, jsonb, boolean) from public;
