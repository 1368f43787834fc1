-- The three membership helpers every RLS policy calls (sync_auth.user_org_ids and the two admin
-- variants) become plpgsql, with the same signature, body, owner, privileges and definer rights.
--
-- Why: a SQL-language function that is SECURITY DEFINER or has a SET clause is never inlined, and
-- PostgreSQL 15 plans such a function's query again on every call (SQL function plans live only
-- for one execution of the calling query). plpgsql keeps its plan for the connection. Each policy
-- calls the helper once per statement (`org_id = any (array(select sync_auth.user_org_ids()))`,
-- an init plan), so every PostgREST read and every Realtime visibility check paid one planning of
-- the membership query: for the Realtime burst (100 identities judged, one statement each) the
-- check took 14.4 → 9.3 ms of PGlite time and 9.9 → 8.4 ms on PostgreSQL, medians of 40
-- (docs/benchmarks.md §4). auth.uid() is still what decides who the caller is.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create or replace function sync_auth.user_org_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query select m.org_id from public.organization_members m where m.user_id = auth.uid();
end;
$$;
comment on function sync_auth.user_org_ids() is
  'Definer: reads memberships for RLS without recursing into organization_members policies.';

create or replace function sync_auth.user_admin_org_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query select m.org_id from public.organization_members m
  where m.user_id = auth.uid() and m.role in ('admin', 'coordinator');
end;
$$;
comment on function sync_auth.user_admin_org_ids() is
  'Definer: orgs where the caller may trigger syncs and read the trigger audit.';

create or replace function sync_auth.user_org_admin_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query select m.org_id from public.organization_members m where m.user_id = auth.uid() and m.role = 'admin';
end;
$$;
comment on function sync_auth.user_org_admin_ids() is
  'Definer: reads memberships for RLS without recursing into organization_members policies. Admins only.';
