-- Demo data (docs/architecture.md §6): "Demo Org" with an admin, a coordinator and a viewer, "Other Org" with a
-- coordinator; password demo-password for all. Both integration types point at the sandbox
-- accounting servers that `sync-scheduler start` serves on the same port as the gateway.
-- Idempotent: `sync-scheduler start` applies it on every boot.

insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, confirmation_token, recovery_token, email_change_token_new, email_change)
select '00000000-0000-0000-0000-000000000000', u.id, 'authenticated', 'authenticated', u.email,
  extensions.crypt('demo-password', extensions.gen_salt('bf')), now(),
  '{"provider":"email","providers":["email"]}'::jsonb, jsonb_build_object('full_name', u.full_name),
  '', '', '', ''
from (values
  ('a0000000-0000-4000-8000-000000000001'::uuid, 'admin@demo.test', 'Ada Admin'),
  ('a0000000-0000-4000-8000-000000000002'::uuid, 'coordinator@demo.test', 'Cora Coordinator'),
  ('a0000000-0000-4000-8000-000000000003'::uuid, 'viewer@demo.test', 'Vic Viewer'),
  ('a0000000-0000-4000-8000-000000000004'::uuid, 'coordinator@other.test', 'Otto Other')
) as u (id, email, full_name)
on conflict (id) do nothing;

insert into auth.identities (provider_id, user_id, identity_data, provider)
select u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true), 'email'
from auth.users u
where u.id in ('a0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002',
               'a0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000004')
on conflict (provider_id, provider) do nothing;

insert into public.organizations (id, name) values
  ('d0000000-0000-4000-8000-000000000001', 'Demo Org'),
  ('d0000000-0000-4000-8000-000000000002', 'Other Org')
on conflict (id) do nothing;

insert into public.organization_members (org_id, user_id, role) values
  ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'admin'),
  ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'coordinator'),
  ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000003', 'viewer'),
  ('d0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000004', 'coordinator')
on conflict (org_id, user_id) do nothing;

insert into public.organization_integrations (id, org_id, integration_type, enabled, schedule_cron, config) values
  ('e0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000001', 'xledger', true, '0 2 * * *',
   '{"base_url":"http://127.0.0.1:54321/xledger/graphql"}'),
  ('e0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000001', 'dynamics', true, '30 2 * * *',
   '{"base_url":"http://127.0.0.1:54321/bc/api/v2.0","token_url":"http://127.0.0.1:54321/bc/oauth2/v2.0/token","tenant_id":"sandbox-tenant","environment":"sandbox","company_id":"c0000000-0000-4000-8000-000000000001"}'),
  ('e0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-000000000002', 'xledger', true, null,
   '{"base_url":"http://127.0.0.1:54321/xledger/graphql"}')
on conflict (org_id, integration_type) do nothing;

-- 12 approved entries and 2 awaiting approval for Demo Org; 3 approved for Other Org.
insert into public.ledger_entries (id, org_id, entry_date, account, amount, currency, description, approved_at)
select ('f0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
  case when g <= 14 then 'd0000000-0000-4000-8000-000000000001'::uuid else 'd0000000-0000-4000-8000-000000000002'::uuid end,
  date '2026-11-01' + (g % 28),
  (array['3000', '4000', '6300', '7140'])[1 + g % 4],
  round((100 + g * 37.5)::numeric, 2),
  'NOK',
  'Demo entry ' || g,
  case when g in (13, 14) then null else timestamptz '2026-11-28 12:00:00+00' end
from generate_series(1, 17) as g
on conflict (id) do nothing;

-- The demo Business Central integration names the sandbox's company and GENERAL journal
-- (src/local/sandbox/dynamics/data.ts); rows seeded before the ids were fixed are corrected in place.
update public.organization_integrations i
set config = i.config || '{"company_id":"5f3c2a10-9b1e-4d2a-8c3f-0a1b2c3d4e01","journal_id":"7a4e1b20-3c5d-4e6f-9a0b-1c2d3e4f5a01"}'::jsonb
where i.org_id = 'd0000000-0000-4000-8000-000000000001' and i.integration_type = 'dynamics'
  and (i.config ->> 'company_id' is distinct from '5f3c2a10-9b1e-4d2a-8c3f-0a1b2c3d4e01'
       or not (i.config ? 'journal_id' or i.config ? 'journal_code'));

-- Sandbox credentials (docs/architecture.md §9) through the one door that validates and stores them: Vault on
-- Supabase, the owner-only table elsewhere. Re-running overwrites them with the same values.
select sync_engine.set_integration_credentials(i.id, c.credentials)
from (values
  ('d0000000-0000-4000-8000-000000000001'::uuid, 'xledger', '{"token":"sandbox-xledger-token"}'::jsonb),
  ('d0000000-0000-4000-8000-000000000001'::uuid, 'dynamics',
   '{"client_id":"sandbox-client","client_secret":"sandbox-secret"}'::jsonb),
  ('d0000000-0000-4000-8000-000000000002'::uuid, 'xledger', '{"token":"sandbox-xledger-token"}'::jsonb)
) as c (org_id, integration_type, credentials)
join public.organization_integrations i
  on i.org_id = c.org_id and i.integration_type = c.integration_type;
