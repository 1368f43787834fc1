-- The same fix as 20261130130000_supabase_layout_fixes.sql (1), for objects that
-- 20261130110000_vouchers.sql created before that migration reset the defaults: on Supabase,
-- `postgres`'s default privileges in schema public gave service_role EXECUTE on the two client RPCs
-- and ALL on the append-only rejection audit. Plain PostgreSQL gives exactly what the vouchers
-- migration grants; this makes Supabase match it (test/security/privilege_matrix.test.ts runs on
-- both in CI).
revoke execute on function public.requeue_rejected_voucher(uuid, uuid) from service_role;
revoke execute on function public.skip_rejected_voucher(uuid, uuid, text) from service_role;
revoke update, delete, truncate, references, trigger on table public.export_rejection_audit from service_role;
