-- The same fix as 20261130130000_supabase_layout_fixes.sql (1), for what the admin, member
-- directory, notification and look-up migrations (20261130113000–20261130120300) created in public
-- before that migration reset the defaults: on Supabase, `postgres`'s default privileges gave
-- service_role EXECUTE on these client RPCs (their own checks refuse it, but plain PostgreSQL does
-- not grant it at all) and ALL on the append-only admin audit. This makes Supabase match plain
-- PostgreSQL exactly (a catalog ACL diff of both is empty; test/security/privilege_matrix.test.ts
-- runs on both in CI).
revoke execute on function public.configure_integration(uuid, text, jsonb) from service_role;
revoke execute on function public.set_integration_credentials(uuid, text, jsonb) from service_role;
revoke execute on function public.resume_integration_health(uuid, text) from service_role;
revoke execute on function public.test_integration_connection(uuid, text) from service_role;
revoke execute on function public.integration_credentials_status(uuid) from service_role;
revoke execute on function public.org_member_directory(uuid) from service_role;
revoke execute on function public.save_notification_target(uuid, jsonb) from service_role;
revoke execute on function public.delete_notification_target(uuid, uuid) from service_role;
revoke update, delete, truncate, references, trigger on table public.integration_admin_audit from service_role;
