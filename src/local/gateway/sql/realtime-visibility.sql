-- Local-only (not a migration; see realtime-capture.sql): the change feed's RLS check for a batch
-- of changes. For each identity (a role and its JWT claims), which of the given rows it may SELECT,
-- judged in the setting PostgREST gives a request (role, request.jwt.claims, request.headers/
-- method/path, search_path) — the same way Supabase Realtime's realtime.apply_rls switches role and
-- claims with set_config for each subscriber inside one function call
-- (https://github.com/supabase/realtime, priv/repo/migrations, apply_rls).
--
-- gateway_local.visible_keys_<table oid>(p_roles, p_claims, p_ends, p_keys, p_isolate), one per
-- table (visible_keys_function below writes it). One entry per identity ("check") in p_roles,
-- p_claims (the claims' JSON text) and p_ends (check i asks about keys p_ends[i-1]+1 .. p_ends[i]);
-- p_keys holds every key's primary-key values as text, column by column (all keys' first column,
-- then all keys' second…). Returns one
-- row per check: (check_no, ords) with the 1-based positions within the check of its visible keys
-- (null when none), or (check_no, null, error) for a check that raised (a policy error hides that
-- check's rows only). One row per check, not per key: 1,000 rows a burst were ≈ 10 % of the
-- call's CPU on PGlite, most of it reading them in JavaScript. Typed arrays, not a jsonb document:
-- parsing the jsonb and building each check's EXECUTE text cost more than the check itself.
-- The caller runs it as one statement or in a transaction of its own: every set_config here is
-- local to that transaction.
--
-- One statement for a whole burst: per identity one query over its keys (planned with its role, so
-- its policies apply), instead of one transaction per change and identity (1,000 changes watched
-- by 100 users: 694 ms before on PGlite, docs/benchmarks.md section 4).
--
-- p_isolate: each check in its own subtransaction (an exception block), so a policy that raises
-- hides only its own check's rows. Without it (the fast path) any error aborts the whole call and
-- the caller asks again with p_isolate: the subtransactions were ≈ 20 % of a 100-identity call on
-- PGlite (≈ 24 → 19 ms CPU), and a policy that raises is the rare case.
-- The one-function form taking a jsonb document of checks (gateway_local.visible_keys) is replaced.
drop function if exists gateway_local.visible_keys(regclass, jsonb);
drop function if exists gateway_local.visible_keys(regclass, jsonb, boolean);
drop function if exists gateway_local.visible_keys(regclass, text[], text[], integer[], text[], boolean);

-- The per-table check, as the body of a function `gateway_local.visible_keys_<table oid>`: static
-- SQL naming the table and its key columns, so plpgsql keeps each statement's plan for the
-- connection (planned again by PostgreSQL itself for another role, or after a policy or the table
-- changed: RLS plans depend on the role, and DDL invalidates cached plans). Per identity this
-- leaves the role/claims switch and the query: ≈ 0.13 ms of PGlite CPU, against ≈ 0.22 ms with a
-- prepared statement run by a dynamic EXECUTE per identity (100 identities: 12.7 vs 22 ms).
-- Null when the table has no primary key.
create or replace function gateway_local.visible_keys_body(p_table regclass)
returns text
language sql
stable
set search_path = ''
as $$
  select pg_catalog.format($body$
declare
  v_n integer := coalesce(pg_catalog.array_length(p_ends, 1), 0);
  -- Keys per column: column c's values start at p_keys[c * v_total + 1].
  v_total integer := coalesce(p_ends[v_n], 0);
  v_lo integer := 1;
  v_hi integer;
begin
  -- Policies may not write, whatever they call.
  perform pg_catalog.set_config('transaction_read_only', 'on', true),
          -- Planned once per role, whatever the keys: a custom plan per call was most of the cost.
          pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true),
          pg_catalog.set_config('search_path', 'public, extensions', true),
          pg_catalog.set_config('request.headers', '{}', true),
          pg_catalog.set_config('request.method', '', true),
          pg_catalog.set_config('request.path', '', true);
  -- Only the roles a request may switch to (requestContext.ts): never the superuser.
  if exists (select from pg_catalog.unnest(p_roles) as r
             where coalesce(r, '') <> all (array['anon', 'authenticated', 'service_role'])) then
    p_isolate := true;
  end if;
  for i in 1 .. v_n loop
    check_no := i;
    ords := null;
    error := null;
    v_hi := p_ends[i];
    if not p_isolate then
      perform pg_catalog.set_config('request.jwt.claims', p_claims[i], true),
              pg_catalog.set_config('role', p_roles[i], true);
      %1$s
    else
      begin
        if coalesce(p_roles[i], '') <> all (array['anon', 'authenticated', 'service_role']) then
          raise exception 'role %% may not be used', p_roles[i] using errcode = '42501';
        end if;
        -- set_config('role') needs only the session user's membership, so the next check can
        -- switch again while this one's role is current.
        perform pg_catalog.set_config('request.jwt.claims', p_claims[i], true),
                pg_catalog.set_config('role', p_roles[i], true);
        %1$s
      exception when others then
        -- The block's subtransaction is rolled back, its set_config calls with it.
        ords := null;
        error := sqlstate || ': ' || sqlerrm;
      end;
    end if;
    return next;
    v_lo := v_hi + 1;
  end loop;
end
$body$,
    -- OFFSET 0 keeps the EXISTS a correlated subquery: one primary-key probe per key, whatever the
    -- table's size. As a semi-join the generic plan (planned for an unknown number of keys) hashed
    -- or bitmap-scanned the table: with 200,000 runs, 100 identities × 10 keys took 915 ms of
    -- PGlite CPU that way, 21 ms this way.
    pg_catalog.format(
      'select pg_catalog.array_agg(k.ord::integer) into ords '
      'from rows from (%s) with ordinality as k (%s, ord) '
      'where exists (select from %I.%I as t where %s offset 0);',
      pg_catalog.string_agg(
        pg_catalog.format('pg_catalog.unnest(p_keys[%s * v_total + v_lo : %s * v_total + v_hi]::%s[])', k.n - 1, k.n - 1,
                          pg_catalog.format_type(a.atttypid, a.atttypmod)),
        ', ' order by k.n),
      pg_catalog.string_agg(pg_catalog.format('k%s', k.n), ', ' order by k.n),
      n.nspname, c.relname,
      pg_catalog.string_agg(pg_catalog.format('t.%I = k.k%s', a.attname, k.n), ' and ' order by k.n)))
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_index i on i.indrelid = c.oid and i.indisprimary
  cross join lateral pg_catalog.unnest(i.indkey::int2[]) with ordinality as k (attnum, n)
  join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
  where c.oid = p_table
  group by n.nspname, c.relname
$$;
revoke all on function gateway_local.visible_keys_body(regclass) from public;

-- The table's check function, created (or written again) when it is missing or its text no longer
-- matches the table (a changed primary key, an upgraded gateway); returns its name in
-- gateway_local. The feed asks once per table and catalog refresh (catalog.ts, 30 s) and then
-- calls the function itself: asking on every call cost ≈ 0.25 ms of PGlite CPU per call.
create or replace function gateway_local.visible_keys_function(p_table regclass)
returns text
language plpgsql
volatile
as $$
declare
  v_name text := 'visible_keys_' || p_table::oid;
  v_body text := gateway_local.visible_keys_body(p_table);
begin
  if v_body is null then
    raise exception 'table % has no primary key', p_table using errcode = '22023';
  end if;
  if not exists (select from pg_catalog.pg_proc p
                 where p.pronamespace = 'gateway_local'::regnamespace and p.proname = v_name and p.prosrc = v_body) then
    -- Two connections asking at once (PostgreSQL) create it once.
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('gateway_local.' || v_name));
    if not exists (select from pg_catalog.pg_proc p
                   where p.pronamespace = 'gateway_local'::regnamespace and p.proname = v_name and p.prosrc = v_body) then
      execute pg_catalog.format(
        'create or replace function gateway_local.%I(p_roles text[], p_claims text[], p_ends integer[], '
        'p_keys text[], p_isolate boolean) returns table (check_no integer, ords integer[], error text) '
        'language plpgsql volatile as %L', v_name, v_body);
      execute pg_catalog.format(
        'revoke all on function gateway_local.%I(text[], text[], integer[], text[], boolean) from public', v_name);
    end if;
  end if;
  return v_name;
end;
$$;
revoke all on function gateway_local.visible_keys_function(regclass) from public;
