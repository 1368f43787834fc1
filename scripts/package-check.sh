#!/usr/bin/env bash
# Checks the package as a team adopting it gets it (`npm run package:check`, run by .ci/run):
#   1. `npm pack` (prepack runs `npm run build`: dist/ and web/dist),
#   2. install the tarball into an empty temporary project with production dependencies only,
#      next to the peer dependencies an app brings (supabase-js, React, TanStack Query),
#   3. import `sync-scheduler/client` and `sync-scheduler/react` in plain Node (no tsx, no bundler),
#   4. type-check a small TypeScript consumer against the shipped .d.ts (strict, NodeNext, no skipLibCheck;
#      @types/node because supabase-js's own declarations name Buffer and NodeJS),
#   5. run the installed CLI: `--version`, then `start` until the dashboard page it prints and
#      `/auth/v1/health` answer 200.
# Needs the npm registry (or a warm npm cache) for the consumer's dependencies.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf -- '--- %s\n' "$*"; }

version="$(node -p "require('$repo/package.json').version")"
# The versions the repository tests against (its devDependencies) stand in for the app's own.
peer() { node -p "const p=require('$repo/package.json'); '$1@' + p.devDependencies['$1']"; }

step "npm pack"
tarball="$work/$(cd "$repo" && npm pack --silent --pack-destination "$work" | tail -n 1)"
ls -l "$tarball"

step "install into an empty project (production dependencies only)"
mkdir "$work/app"
cd "$work/app"
printf '{ "name": "consumer", "private": true, "type": "module" }\n' >package.json
npm install --omit=dev --no-audit --no-fund --loglevel=error "$tarball" \
  "$(peer @supabase/supabase-js)" "$(peer react)" "$(peer @tanstack/react-query)" \
  "$(peer @types/react)" "$(peer @types/node)"
if [ -e node_modules/tsx ] || [ -e node_modules/typescript ] || [ -e node_modules/vite ]; then
  echo "a build tool was installed as a runtime dependency" >&2
  exit 1
fi

step "import sync-scheduler/client and sync-scheduler/react in plain Node $(node --version)"
node --input-type=module -e '
const client = await import("sync-scheduler/client");
const react = await import("sync-scheduler/react");
for (const [name, value] of [
  ["client.SyncSchedulerRepository", client.SyncSchedulerRepository],
  ["client.watchRun", client.watchRun],
  ["react.ManualSyncButton", react.ManualSyncButton],
  ["react.SyncStatusBanner", react.SyncStatusBanner],
  ["react.SyncSchedulerProvider", react.SyncSchedulerProvider],
]) {
  if (typeof value !== "function") throw new Error(`${name} is ${typeof value}`);
}
console.log("client exports:", Object.keys(client).length, "react exports:", Object.keys(react).length);
'

step "type-check a TypeScript consumer against the shipped declarations"
cat >tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "lib": ["ES2023", "DOM"],
    "jsx": "react-jsx",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": false,
    "types": ["node"]
  },
  "include": ["consumer.tsx"]
}
JSON
cat >consumer.tsx <<'TSX'
import { createClient } from "@supabase/supabase-js";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState } from "react";
import { type SyncRun, SyncSchedulerRepository, SyncTriggerError, syncErrorMessage } from "sync-scheduler/client";
import { ManualSyncButton, SyncSchedulerProvider, SyncStatusBanner } from "sync-scheduler/react";

const supabase = createClient("http://127.0.0.1:54321", "anon-key");
const repository = new SyncSchedulerRepository(supabase);
const queryClient = new QueryClient();

export async function trigger(orgId: string): Promise<SyncRun | null> {
  try {
    return await repository.getRun(await repository.triggerManualSync(orgId, "xledger"));
  } catch (error) {
    if (error instanceof SyncTriggerError) console.log(error.code, syncErrorMessage(error.code, "en", error.details));
    return null;
  }
}

export function Panel({ orgId }: { orgId: string }) {
  const [runId, setRunId] = useState<string | null>(null);
  return (
    <QueryClientProvider client={queryClient}>
      <SyncSchedulerProvider repository={repository} locale="nb">
        <ManualSyncButton orgId={orgId} integrationType="xledger" runId={runId} onRunIdChange={setRunId} />
        <SyncStatusBanner runId={runId} label="Xledger sync status" />
      </SyncSchedulerProvider>
    </QueryClientProvider>
  );
}
TSX
node "$repo/node_modules/typescript/bin/tsc" -p tsconfig.json
# As a Vite/webpack app resolves it, too.
node "$repo/node_modules/typescript/bin/tsc" -p tsconfig.json --module esnext --moduleResolution bundler
echo "consumer.tsx type-checks (NodeNext and bundler resolution)"

step "installed CLI: --version"
got="$(npx --no-install sync-scheduler --version)"
if [ "$got" != "$version" ]; then
  echo "sync-scheduler --version printed '$got', expected '$version'" >&2
  exit 1
fi
echo "sync-scheduler --version: $got"

step "installed CLI: start serves the dashboard page it prints and /auth/v1/health"
log="$work/start.log"
# `env -u`: the embedded PGlite, whatever DATABASE_URL the caller has; port 0: a free port.
env -u DATABASE_URL node node_modules/sync-scheduler/bin/sync-scheduler.js start --port 0 --data-dir "$work/data" \
  >"$log" 2>&1 &
server_pid=$!
dashboard=""
for _ in $(seq 1 120); do
  dashboard="$(sed -n 's/^ *Dashboard *\(http[^ ]*\).*/\1/p' "$log")"
  [ -n "$dashboard" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$log" >&2; exit 1; fi
  sleep 0.5
done
if [ -z "$dashboard" ]; then cat "$log" >&2; echo "start printed no dashboard URL" >&2; exit 1; fi
page="$(curl -fsS "$dashboard")"
grep -q '<div id="root">' <<<"$page" || { echo "GET $dashboard is not the dashboard page" >&2; exit 1; }
echo "GET $dashboard: 200, the dashboard page"
health="$(curl -fsS "${dashboard%/}/auth/v1/health")"
echo "GET ${dashboard%/}/auth/v1/health: 200 $health"
