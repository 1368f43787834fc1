#!/usr/bin/env bash
# The Edge Function tests under real Deno (docs/architecture.md §8): the worker handler called with Request
# objects, the real entry point under Deno.serve, against PostgreSQL and the sandbox.
#
#   scripts/deno-test.sh            # DATABASE_URL defaults to the machine's PG 15
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test scripts/deno-test.sh
#
# DATABASE_URL only names the server: the test creates its own database (create database needs a
# role allowed to), migrates and seeds it with src/db/migrate.ts, and drops it at the end. It
# starts `node bin/sync-scheduler.js sandbox --port 0` itself. Needs `npm ci` (the deno binary comes
# from the npm package `deno`) and network access to the npm registry on the first run (npm:
# specifiers; DENO_DIR caches them inside the repo, gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
export DENO_DIR="${DENO_DIR:-$PWD/.deno}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
# No colours in CI logs.
export NO_COLOR="${NO_COLOR:-1}"
exec node_modules/.bin/deno test --allow-all \
  --config supabase/functions/sync-worker/deno.json \
  supabase/functions/tests/*-test.ts "$@"
