-- A failed reconciliation is announced as one (docs/notifications.md `run_failed`): the text says
-- "reconciliation", and the data carries the run's `kind`. Replaces sync_engine.notify_from_run (from its
-- newest definition, 20261130120400_notify_rejected_vouchers.sql).
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create or replace function sync_engine.notify_from_run() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform sync_engine.enqueue_notification(new.org_id, 'run_failed',
    format('%s %s failed after attempt %s of %s: %s', new.integration_type,
      case new.kind when 'reconcile' then 'reconciliation' else 'sync' end, new.attempt, new.max_attempts,
      coalesce(new.error_message, new.error_code, 'unknown error')),
    pg_catalog.jsonb_build_object('run_id', new.id, 'integration_type', new.integration_type, 'kind', new.kind,
      'triggered_by', new.triggered_by, 'attempt', new.attempt, 'max_attempts', new.max_attempts,
      'error_code', new.error_code, 'error_message', new.error_message, 'records_exported', new.records_exported));
  return null;
end;
$$;
