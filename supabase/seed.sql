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

-- Demo Org: 6 approved vouchers of two lines and 1 of two lines awaiting approval; Other Org: 1
-- approved voucher of three lines. Every voucher balances to zero (docs/export-pipeline.md
-- "Vouchers"); accounts are four-digit, inside the sandbox chart of accounts (1000–9999).
with lines as (
  select g,
    ('f0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid as id,
    case when g <= 14 then 'd0000000-0000-4000-8000-000000000001'::uuid
         else 'd0000000-0000-4000-8000-000000000002'::uuid end as org_id,
    case when g <= 14 then '2026-' || lpad(((g + 1) / 2)::text, 4, '0') else '2026-0101' end as voucher_number,
    case when g <= 14 then date '2026-11-01' + (((g + 1) / 2) % 28) else date '2026-11-20' end as entry_date,
    (array['3000', '4000', '6300', '7140'])[1 + g % 4] as account,
    case
      when g <= 14 and g % 2 = 1 then round((100 + g * 37.5)::numeric, 2)
      when g <= 14 then -round((100 + (g - 1) * 37.5)::numeric, 2)
      when g = 15 then 250.00
      when g = 16 then 125.50
      else -375.50
    end as amount,
    case when g in (13, 14) then null else timestamptz '2026-11-28 12:00:00+00' end as approved_at
  from generate_series(1, 17) as g
)
insert into public.ledger_entries (id, org_id, voucher_number, entry_date, account, amount, currency, description, approved_at)
select l.id, l.org_id, l.voucher_number, l.entry_date, l.account, l.amount, 'NOK',
  'Demo voucher ' || l.voucher_number || ' line ' || l.g, l.approved_at
from lines l
on conflict (id) do update
  -- Rows seeded before vouchers existed (each its own unbalanced voucher) are regrouped in place,
  -- unless already exported somewhere.
  set voucher_number = excluded.voucher_number, amount = excluded.amount, entry_date = excluded.entry_date,
    description = excluded.description
  where public.ledger_entries.voucher_number = public.ledger_entries.id::text
    and not exists (select from public.ledger_entry_exports x where x.entry_id = public.ledger_entries.id);

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
