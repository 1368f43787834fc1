-- Local-only auth state for the gateway's GoTrue stand-in: sessions and rotating refresh tokens.
-- NOT a migration: on Supabase the Auth server owns this state (auth.sessions, auth.refresh_tokens),
-- so this file lives with the gateway and is applied by it at start, idempotently.
create schema if not exists gateway_local;
revoke all on schema gateway_local from public;

create table if not exists gateway_local.auth_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  refreshed_at timestamptz default null,
  revoked_at timestamptz default null
);
create index if not exists auth_sessions_user_idx on gateway_local.auth_sessions (user_id);

-- Only a SHA-256 of each token is stored: a copy of this table cannot be replayed.
create table if not exists gateway_local.auth_refresh_tokens (
  id bigint generated always as identity primary key,
  token_hash text not null unique,
  session_id uuid not null references gateway_local.auth_sessions (id) on delete cascade,
  user_id uuid not null,
  parent_id bigint default null,
  revoked boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists auth_refresh_tokens_session_idx on gateway_local.auth_refresh_tokens (session_id);
