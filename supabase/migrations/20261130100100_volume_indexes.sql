-- Months of data stay fast (docs/benchmarks.md, "Volume": 1M runs, 500k audit rows, 200k alerts,
-- 10k integrations; every read below was a sequential scan there).
--
-- Indexes, for what the engine and the shipped client read:
--   sync_alerts (integration_id, kind, resolved_at) – the health monitor's resolve update
--       (25–33 ms full scan at 200k alerts) and the foreign key's ON DELETE CASCADE;
--   sync_alerts (run_id, kind)                       – the drift and parked alerts' de-duplication;
--   sync_alerts (created_at)                         – retention;
--   ledger_entry_exports (org_id, exported_at desc)  – the foreign key and "exports by org";
--   integration_health_checks (org_id, checked_at desc) – the foreign key and "health by org";
--   integration_health_checks (checked_at)           – retention;
--   sync_trigger_audit (org_id, occurred_at desc)    – "audit by org" (the rate-limit index only
--       holds action = 'trigger');
--   sync_trigger_audit (occurred_at)                 – sync_engine.purge_trigger_audit;
--   sync_run_log (coalesce(finished_at, triggered_at)) of finished runs – prune_run_log, which
--       scanned the whole table every hour;
--   organization_integrations (coalesce(health_next_check_at, '-infinity')) of active-mode
--       enabled integrations – the health monitor's due query (src/engine/health/healthMonitor.ts).
-- RLS policies of the growing tables: `org_id = any (array(select …))` instead of
-- `org_id in (select …)`. PostgreSQL does not turn a policy's IN-subquery into a join, so a read
-- without its own org filter ("runs I may see, newest first") filtered every row through a hashed
-- subplan: a sequential scan of all runs, 573 ms p50 at 1M runs. The array form is one initplan
-- and an indexable `= ANY`: the per-org indexes answer it (0.27 ms at 300k runs, EXPLAIN ANALYZE).
-- Same rows either way.
-- Retention like the run log's: sync_engine.prune_alerts and sync_engine.prune_health_checks,
-- batched, called hourly by the worker with the run-log pruning.
--
-- CREATE INDEX (not CONCURRENTLY: the migration runner wraps each file in a transaction) holds a
-- SHARE lock on its table while it builds: writes wait, reads go on. At the volume above the whole
-- file took 4.5 s on 2 shared cores (docs/benchmarks.md, "Volume"); lock_timeout keeps a build
-- from queueing behind a long transaction (and every later query behind the build).
set local lock_timeout = '5s';
set local statement_timeout = '10min';

-- 20261130100000 added the wider kind check NOT VALID; validating takes SHARE UPDATE EXCLUSIVE,
-- which lets reads and writes go on.
alter table public.sync_alerts validate constraint sync_alerts_kind_check;

create index if not exists sync_alerts_integration_idx
  on public.sync_alerts (integration_id, kind, resolved_at);
create index if not exists sync_alerts_run_idx
  on public.sync_alerts (run_id, kind) where run_id is not null;
create index if not exists sync_alerts_created_idx on public.sync_alerts (created_at);

create index if not exists ledger_entry_exports_org_idx
  on public.ledger_entry_exports (org_id, exported_at desc);

create index if not exists integration_health_checks_org_idx
  on public.integration_health_checks (org_id, checked_at desc);
create index if not exists integration_health_checks_checked_idx
  on public.integration_health_checks (checked_at);

create index if not exists sync_trigger_audit_org_idx
  on public.sync_trigger_audit (org_id, occurred_at desc);
create index if not exists sync_trigger_audit_occurred_idx on public.sync_trigger_audit (occurred_at);

create index if not exists sync_run_log_finished_idx
  on public.sync_run_log ((coalesce(finished_at, triggered_at)))
  where status in ('succeeded', 'failed', 'cancelled', 'skipped');

create index if not exists organization_integrations_health_due_idx
  on public.organization_integrations ((coalesce(health_next_check_at, '-infinity'::timestamptz)))
  where enabled and health_mode = 'active';

alter policy "members read their org's runs" on public.sync_run_log
  using (org_id = any (array(select sync_auth.user_org_ids())));
alter policy "members read their org's alerts" on public.sync_alerts
  using (org_id = any (array(select sync_auth.user_org_ids())));
alter policy "members read their org's health checks" on public.integration_health_checks
  using (org_id = any (array(select sync_auth.user_org_ids())));
alter policy "members read their org's exports" on public.ledger_entry_exports
  using (org_id = any (array(select sync_auth.user_org_ids())));
alter policy "members read their org's ledger entries" on public.ledger_entries
  using (org_id = any (array(select sync_auth.user_org_ids())));
alter policy "admins and coordinators read their org's trigger audit" on public.sync_trigger_audit
  using (org_id = any (array(select sync_auth.user_admin_org_ids())));

-- Latest: 20261129000600_engine_runtime.sql. A retention past 1,000 years made now() − p_older_than
-- leave timestamptz's range; it is capped there (nothing is that old). Written so the planner uses
-- sync_run_log_finished_idx
-- (the predicate repeats the index's expression and partial condition, oldest first), and deletes
-- by `id = any (array(…))`: `id in (subquery)` let the planner hash-join the delete against a
-- sequential scan of the table (measured on sync_alerts at 200k rows); the array is looked up by
-- primary key. The two retention functions below are written the same way.
create or replace function sync_engine.prune_run_log(p_older_than interval default interval '90 days', p_limit integer default 5000)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_count integer;
begin
  if p_older_than < interval '1 day' then
    raise exception 'run-log retention must be at least 1 day, got %', p_older_than using errcode = '22023';
  end if;
  delete from public.sync_run_log r
  where r.id = any (array(
    select x.id from public.sync_run_log x
    where x.status in ('succeeded', 'failed', 'cancelled', 'skipped')
      and coalesce(x.finished_at, x.triggered_at) < now() - least(p_older_than, interval '1000 years')
    order by coalesce(x.finished_at, x.triggered_at)
    limit greatest(coalesce(p_limit, 0), 0)
  ));
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

-- Alerts older than the period go, except the ones that describe a state still true: an
-- unresolved health or parked alert stays until it is resolved (or its integration is deleted).
-- Batched like prune_run_log: 5,000 rows a call keeps each delete's locks short.
create function sync_engine.prune_alerts(p_older_than interval default interval '90 days', p_limit integer default 5000)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_count integer;
begin
  if p_older_than < interval '1 day' then
    raise exception 'alert retention must be at least 1 day, got %', p_older_than using errcode = '22023';
  end if;
  delete from public.sync_alerts a
  where a.id = any (array(
    select x.id from public.sync_alerts x
    where x.created_at < now() - least(p_older_than, interval '1000 years')
      and not (x.resolved_at is null and x.kind in ('health', 'parked'))
    order by x.created_at
    limit greatest(coalesce(p_limit, 0), 0)
  ));
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function sync_engine.prune_alerts(interval, integer) is
  'Alert retention: deletes up to p_limit alerts older than p_older_than (≥ 1 day), keeping unresolved health and parked alerts.';

-- Health history older than the period goes (record_health_check also keeps at most 100 per
-- integration; this bounds what disabled or deleted-then-idle integrations leave behind).
create function sync_engine.prune_health_checks(p_older_than interval default interval '30 days', p_limit integer default 5000)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_count integer;
begin
  if p_older_than < interval '1 day' then
    raise exception 'health-check retention must be at least 1 day, got %', p_older_than using errcode = '22023';
  end if;
  delete from public.integration_health_checks h
  where h.id = any (array(
    select x.id from public.integration_health_checks x
    where x.checked_at < now() - least(p_older_than, interval '1000 years')
    order by x.checked_at
    limit greatest(coalesce(p_limit, 0), 0)
  ));
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function sync_engine.prune_health_checks(interval, integer) is
  'Health-history retention: deletes up to p_limit checks older than p_older_than (≥ 1 day).';

revoke all on all functions in schema sync_engine from public, anon, authenticated;
grant execute on all functions in schema sync_engine to service_role;
