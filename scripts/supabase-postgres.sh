#!/usr/bin/env bash
# A throwaway PostgreSQL 15 laid out the way Supabase lays out a project's database, without Docker:
# Supabase's own init scripts and role migrations (`postgres` demoted to a non-superuser), GoTrue's
# auth schema, real pg_cron, pg_net, pgsodium, supabase_vault and pgjwt — then this project's
# migrations pushed by the real Supabase CLI (`supabase db push --db-url`), as a team deploys them.
#
#   scripts/supabase-postgres.sh start DIR [PORT]   # build what is missing, create + start, push
#   scripts/supabase-postgres.sh stop DIR           # stop the cluster (DIR can then be deleted)
#   npm run db:supabase -- start /tmp/sb 55433
#
# `start` prints shell assignments on stdout (the rest goes to stderr), e.g.
#   SUPABASE_PG_PORT=55433
#   SUPABASE_ADMIN_URL=postgres://supabase_admin@127.0.0.1:55433/postgres   (superuser)
#   SUPABASE_DB_URL=postgres://postgres@127.0.0.1:55433/postgres            (what a project gets)
#   SUPABASE_TEMPLATE_DB=supabase_template   (same layout and migrations, no pg_cron/pg_net; for
#                                             suites that clone a fresh database per test file)
# PORT defaults to a free port in 20000–59999; never 5432 or Supabase's local 54322.
#
# Sources: pg_net, supabase_vault, pgsodium and pgjwt are built from pinned source tarballs, and the
# role layout / auth schema come from tarballs of github.com/supabase/postgres (migrations/db) and
# github.com/supabase/auth (migrations). They are read from $SUPABASE_VENDOR_DIR, default
# ../shared/vendor next to the repository; point it at your own checkout of those files. When they
# are missing `start` exits 3 (tests turn that into a loud skip). Debian packages are installed when
# missing (needs root): postgresql-15-cron, postgresql-server-dev-15, libcurl4-openssl-dev,
# libsodium-dev. Builds take a few seconds each and are skipped once installed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
vendor="${SUPABASE_VENDOR_DIR:-$repo/../shared/vendor}"
pgbin="$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)"
export DEBIAN_FRONTEND=noninteractive

log() { printf 'supabase-postgres: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# Postgres refuses to run as root: as root, the cluster belongs to the `postgres` OS user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

vendor_file() { # vendor_file GLOB → the one matching tarball, or exit 3
  local match
  match="$(ls "$vendor"/$1 2>/dev/null | head -n 1 || true)"
  if [ -z "$match" ]; then
    log "vendored sources missing: no $1 in $vendor (set SUPABASE_VENDOR_DIR)"
    exit 3
  fi
  printf '%s' "$match"
}

ensure_packages() {
  local missing=()
  [ -f /usr/share/postgresql/15/extension/pg_cron.control ] || missing+=(postgresql-15-cron)
  [ -x "$(command -v pg_config || true)" ] && [ -d /usr/include/postgresql/15/server ] || missing+=(postgresql-server-dev-15)
  [ -f /usr/include/x86_64-linux-gnu/curl/curl.h ] || [ -f /usr/include/curl/curl.h ] || missing+=(libcurl4-openssl-dev)
  [ -f /usr/include/sodium.h ] || missing+=(libsodium-dev)
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing Debian packages (run as root or install them): ${missing[*]}"
    log "apt-get install ${missing[*]}"
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
  fi
}

# Builds one vendored extension unless that exact version is installed already.
build_extension() { # build_extension TARBALL-GLOB CONTROL-NAME VERSION
  local tarball control="$2" version="$3" sharedir work
  sharedir="$(pg_config --sharedir)/extension"
  if grep -qs "^default_version = '$version'" "$sharedir/$control.control"; then return 0; fi
  tarball="$(vendor_file "$1")"
  work="$(mktemp -d)"
  log "building $(basename "$tarball")"
  tar xzf "$tarball" -C "$work"
  (cd "$work"/*/ && make -s -j2 >&2 && make -s install >&2)
  rm -rf "$work"
}

free_port() {
  node -e '
    const net = require("node:net");
    const tryPort = () => {
      const port = 20000 + Math.floor(Math.random() * 40000);
      const s = net.createServer().once("error", tryPort).listen(port, "127.0.0.1", () => {
        s.close(() => console.log(port));
      });
    };
    tryPort();'
}

psql_as() { # psql_as ROLE [psql args…]
  local role="$1"
  shift
  PGOPTIONS="${PGOPTIONS:-}" "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$role" -d postgres "$@" >&2
}

# The project's migrations, pushed as a team pushes them. The CLI writes ~/.supabase: keep it here.
push() { # push DATABASE
  log "supabase db push into $1"
  (cd "$repo" && HOME="$dir/home" "$repo/node_modules/.bin/supabase" db push \
    --db-url "postgres://postgres@127.0.0.1:$port/$1?sslmode=disable" --yes >&2)
}

start() {
  dir="$1"
  port="${2:-}"
  # Check every vendored input first, so a missing one exits 3 before anything is built.
  local db_tar auth_tar
  db_tar="$(vendor_file 'supabase-postgres-db-*.tar.gz')"
  auth_tar="$(vendor_file 'supabase-auth-migrations-*.tar.gz')"
  for glob in 'pg_net-*.tar.gz' 'supabase_vault-*.tar.gz' 'pgsodium-*.tar.gz' 'pgjwt-*.tar.gz'; do
    vendor_file "$glob" >/dev/null
  done
  ensure_packages
  build_extension 'pg_net-*.tar.gz' pg_net 0.20.4
  build_extension 'pgsodium-*.tar.gz' pgsodium 3.1.9
  build_extension 'supabase_vault-*.tar.gz' supabase_vault 0.3.1
  build_extension 'pgjwt-*.tar.gz' pgjwt 0.2.0

  [ -n "$port" ] || port="$(free_port)"
  [ ! -e "$dir/data" ] || die "$dir/data exists already (stop and delete it first)"
  mkdir -p "$dir/data" "$dir/home" "$dir/src"
  [ "$(id -u)" != 0 ] || chown -R postgres:postgres "$dir"

  # pgsodium asks this script for its root key at server start. One random key per cluster, kept in
  # the cluster directory, so a restart can still decrypt what Vault stored.
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/pgsodium_root.key"
  printf '#!/bin/sh\ncat %q\n' "$dir/pgsodium_root.key" >"$dir/pgsodium_getkey.sh"
  chmod 700 "$dir/pgsodium_getkey.sh"
  chmod 600 "$dir/pgsodium_root.key"
  [ "$(id -u)" != 0 ] || chown postgres:postgres "$dir/pgsodium_root.key" "$dir/pgsodium_getkey.sh"

  # The bootstrap superuser is supabase_admin, as on the platform.
  as_owner "$pgbin/initdb" -D "$dir/data" -U supabase_admin --auth=trust --encoding=UTF8 --locale=C.UTF-8 >&2
  cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
# The first start preloads pgsodium only (Vault needs it): pg_cron's launcher and pg_net's worker
# hold a connection to `postgres`, which would stop it being copied into the template below.
shared_preload_libraries = 'pgsodium'
cron.database_name = 'postgres'
pgsodium.getkey_script = '$dir/pgsodium_getkey.sh'
# pg_net's worker wakes at least this often; the default is fine, kept explicit for readers.
pg_net.batch_size = 200
fsync = off
# Supabase runs with logical decoding on (Realtime); the init scripts create a publication.
wal_level = logical
EOF
  as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >&2

  tar xzf "$db_tar" -C "$dir/src"
  tar xzf "$auth_tar" -C "$dir/src"
  local roles_dir
  roles_dir="$(dirname "$(ls -d "$dir"/src/*/migrations/db/init-scripts)")"

  # github.com/supabase/postgres migrations/db/migrate.sh, in its order and as its roles.
  psql_as supabase_admin -c 'create role postgres superuser login' -c 'alter database postgres owner to postgres'
  for sql in "$roles_dir"/init-scripts/*.sql; do psql_as postgres -f "$sql"; done
  for sql in "$roles_dir"/migrations/*.sql; do psql_as supabase_admin -f "$sql"; done

  # What the platform grants `postgres` on Vault 0.3 (the role migrations above predate it).
  psql_as supabase_admin <<'SQL'
grant usage on schema vault to postgres with grant option;
grant select, delete on vault.secrets to postgres with grant option;
grant select on vault.decrypted_secrets to postgres with grant option;
grant execute on function vault.create_secret(text, text, text, uuid) to postgres with grant option;
grant execute on function vault.update_secret(uuid, text, text, text, uuid) to postgres with grant option;
grant execute on function vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea) to postgres with grant option;
SQL

  # GoTrue's migrations, as GoTrue runs them: as supabase_auth_admin, templated for schema `auth`.
  for sql in "$dir"/src/supabase-auth-migrations/migrations/*.up.sql; do
    sed 's/{{ *index \.Options "Namespace" *}}/auth/g' "$sql" | PGOPTIONS='-c search_path=auth' psql_as supabase_auth_admin
  done

  # A template with the same layout, for suites that want a fresh database per file (created by
  # `postgres` with `create database … template supabase_template`, as test/globalSetup.ts does with
  # POSTGRES_TEMPLATE_DB). It has no pg_cron/pg_net: those run in `postgres` only, as on the platform.
  psql_as supabase_admin -c 'create database supabase_template owner postgres template postgres'
  push supabase_template
  psql_as supabase_admin -c 'alter database supabase_template is_template true'

  # Now the background workers: pg_cron's scheduler and pg_net's HTTP worker.
  sed -i "s/^shared_preload_libraries = 'pgsodium'$/shared_preload_libraries = 'pg_cron,pg_net,pgsodium'/" \
    "$dir/data/postgresql.conf"
  as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 restart >&2
  # What the dashboard's extension toggles run.
  psql_as supabase_admin \
    -c 'create extension if not exists pg_cron with schema pg_catalog' \
    -c 'create extension if not exists pg_net with schema extensions'
  push postgres

  echo "SUPABASE_PG_DIR=$dir"
  echo "SUPABASE_PG_PORT=$port"
  echo "SUPABASE_ADMIN_URL=postgres://supabase_admin@127.0.0.1:$port/postgres"
  echo "SUPABASE_DB_URL=postgres://postgres@127.0.0.1:$port/postgres"
  echo "SUPABASE_TEMPLATE_DB=supabase_template"
}

stop() {
  local dir="$1"
  [ -d "$dir/data" ] || return 0
  as_owner "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
}

case "${1:-}" in
start) [ -n "${2:-}" ] || die "usage: $0 start DIR [PORT]"; start "$2" "${3:-}" ;;
stop) [ -n "${2:-}" ] || die "usage: $0 stop DIR"; stop "$2" ;;
*) die "usage: $0 start DIR [PORT] | stop DIR" ;;
esac
