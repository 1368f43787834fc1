-- Validates the checks 20261130160000_reconciliation.sql added NOT VALID. VALIDATE takes SHARE UPDATE
-- EXCLUSIVE (reads and writes go on) and scans each table once; in its own migration (its own
-- transaction) so the ACCESS EXCLUSIVE of the ALTERs there is not held during the scans.
set local lock_timeout = '5s';
set local statement_timeout = '10min';

alter table public.sync_run_log validate constraint sync_run_log_kind_check;
alter table public.sync_trigger_audit validate constraint sync_trigger_audit_action_check;
alter table public.api_request_tally validate constraint api_request_tally_purpose_check;
alter table public.sync_alerts validate constraint sync_alerts_kind_check;
alter table public.notification_targets validate constraint notification_targets_events_check;
alter table public.organization_integrations validate constraint organization_integrations_reconcile_cron_check;
