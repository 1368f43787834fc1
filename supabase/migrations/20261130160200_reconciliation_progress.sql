-- Live progress of a reconciliation (docs/reconciliation.md "The executor"): the requests a run has made so
-- far, written after each page read back, so the run row (in the supabase_realtime publication) shows a
-- long read-back advancing. Fenced like every engine call after the claim; a no-op once the outcome is
-- recorded (record_reconciliation writes the final figures).
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create function sync_engine.reconcile_progress(p_run_id uuid, p_worker_id text, p_attempt integer,
  p_requests integer, p_lines_read integer)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_run public.sync_run_log%rowtype := sync_engine.held_reconcile_run(p_run_id, p_worker_id, p_attempt, true);
begin
  if v_run.progress ? 'recorded_at' then
    return;
  end if;
  update public.sync_run_log r set
    progress = r.progress || pg_catalog.jsonb_build_object(
      'requests', greatest(coalesce(p_requests, 0), 0), 'lines_read', greatest(coalesce(p_lines_read, 0), 0))
  where r.id = v_run.id;
end;
$$;
revoke all on function sync_engine.reconcile_progress(uuid, text, integer, integer, integer) from public, anon, authenticated;
grant execute on function sync_engine.reconcile_progress(uuid, text, integer, integer, integer) to service_role;
