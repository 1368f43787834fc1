-- Fixes found by running the migrations on a database laid out the way Supabase lays it out
-- (scripts/supabase-postgres.sh; tests in test/supabase and the privilege suites on its template).

-- 1. Supabase's role layout gives anon, authenticated and service_role ALL on every function, table and
--    sequence that `postgres` creates in schema public (supabase/postgres, init-scripts
--    00000000000000-initial-schema.sql: `alter default privileges in schema public grant all on
--    functions to postgres, anon, authenticated, service_role`). Each migration here revokes from
--    public and anon and grants what it means to, so on Supabase three functions were left executable
--    by service_role that plain PostgreSQL keeps to `authenticated` (or to the Auth server) only.
revoke execute on function public.trigger_integration_sync(uuid, text) from service_role;
revoke execute on function public.cancel_integration_sync(uuid) from service_role;
revoke execute on function public.custom_access_token_hook(jsonb) from service_role;
-- And for whatever later migrations create in public as this role: start from what plain
-- PostgreSQL gives (PUBLIC execute on functions, nothing on tables), so every grant is explicit and
-- the privilege matrix (test/security/privilege_matrix.test.ts) is the same on both. A no-op where
-- no such defaults exist (plain PostgreSQL, PGlite).
alter default privileges in schema public revoke all on functions from anon, authenticated, service_role;
alter default privileges in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges in schema public revoke all on sequences from anon, authenticated, service_role;

-- 2. to_regclass('vault.secrets') raises "permission denied for schema vault" for a role without
--    USAGE on vault (name lookup checks it even when the object is missing), which on Supabase is
--    every role but the owner: service_role calling vault_available() failed instead of answering.
--    The catalog answers the same question without touching the schema.
create or replace function sync_engine.vault_available() returns boolean
language sql
stable
set search_path = ''
as $$
  select (select count(*) from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'vault' and c.relname in ('secrets', 'decrypted_secrets')) = 2
     and exists (
       select from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'vault' and p.proname = 'create_secret')
     and exists (
       select from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'vault' and p.proname = 'update_secret')
$$;

-- 3. post_to_worker reads the dispatch token from vault.decrypted_secrets and calls net.http_post.
--    On Supabase only the owner (postgres) may do either, but the function runs inside whatever
--    enqueues a run: the RPC (definer, fine), and also a Node worker's scheduler tick or the Edge
--    Function's sweep under the engine's own login (service_role, or a worker login in it), where
--    it raised permission denied once serverless dispatch was installed with a Vault token.
--    Definer: it reads only the settings install_serverless wrote; EXECUTE stays with service_role.
alter function sync_engine.post_to_worker(jsonb) security definer;
