-- Superseded: sync_engine.notify_from_run → 20261130160300_notify_failed_reconciliation.sql (live: supabase/schema.sql)
-- vouchers_rejected notifications come from export_rejections (20261130110000_vouchers.sql): a
-- voucher the accounting system or our own check refused is set aside there while the run goes
-- on, so a run's error_code (what 20261130120300_notifications.sql looked at) no longer says it.
-- notify_from_run keeps run_failed only; each new rejection is one vouchers_rejected event.
set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function sync_engine.notify_from_run() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform sync_engine.enqueue_notification(new.org_id, 'run_failed',
    format('%s sync failed after attempt %s of %s: %s', new.integration_type, new.attempt, new.max_attempts,
      coalesce(new.error_message, new.error_code, 'unknown error')),
    pg_catalog.jsonb_build_object('run_id', new.id, 'integration_type', new.integration_type,
      'triggered_by', new.triggered_by, 'attempt', new.attempt, 'max_attempts', new.max_attempts,
      'error_code', new.error_code, 'error_message', new.error_message, 'records_exported', new.records_exported));
  return null;
end;
$$;

create function sync_engine.notify_from_rejection() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform sync_engine.enqueue_notification(new.org_id, 'vouchers_rejected',
    format('%s refused voucher %s: %s', new.integration_type, new.voucher_number, new.error_message),
    pg_catalog.jsonb_build_object('rejection_id', new.id, 'integration_type', new.integration_type,
      'voucher_number', new.voucher_number, 'error_code', new.error_code, 'error_message', new.error_message,
      'remote_code', new.remote_code, 'remote_status', new.remote_status, 'run_id', new.run_id, 'lines', new.lines));
  return null;
end;
$$;

drop trigger if exists export_rejections_notify on public.export_rejections;
create trigger export_rejections_notify
  after insert on public.export_rejections
  for each row execute function sync_engine.notify_from_rejection();

revoke all on function sync_engine.notify_from_run() from public, anon, authenticated;
revoke all on function sync_engine.notify_from_rejection() from public, anon, authenticated;
grant execute on function sync_engine.notify_from_run() to service_role;
grant execute on function sync_engine.notify_from_rejection() to service_role;
