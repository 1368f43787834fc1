/**
 * Quick measurement of trigger_integration_sync's check phase at SQL level, the way PostgREST
 * runs a request: one transaction with SET LOCAL ROLE, request.jwt.claims, the call. Sequential
 * on one connection, so the numbers are latency, not throughput.
 *
 *   DATABASE_URL=postgres://… npx tsx bench/rpcCheckPhase.ts [--n 500]     (PGlite without DATABASE_URL)
 *
 * The full benchmark suite (peers, ratios, docs/benchmarks.md) is `npm run bench`'s job.
 */
import { parseArgs } from "node:util";
import { migrate } from "../src/db/migrate.ts";
import { openDb } from "../src/db/open.ts";
import type { Db } from "../src/db/types.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "500" } } });
const n = Number(values.n);

function percentiles(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
  return { p50: at(50).toFixed(2), p99: at(99).toFixed(2), max: (s[s.length - 1] as number).toFixed(2) };
}

async function call(db: Db, claims: object, org: string, type: string): Promise<number> {
  const t0 = performance.now();
  try {
    await db.transaction(async (tx) => {
      await tx.query(
        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
        [JSON.stringify(claims)],
      );
      await tx.query("select public.trigger_integration_sync($1, $2)", [org, type]);
    });
  } catch {
    // refusals are part of what is measured
  }
  return performance.now() - t0;
}

const db = await openDb({ dbUrl: process.env.DATABASE_URL, poolSize: 1 });
await migrate(db);
// n orgs, each with a coordinator, a viewer and an xledger integration.
const { rows } = await db.query<{ org: string; coord: string; viewer: string }>(
  `with o as (insert into public.organizations (name) select 'Bench ' || g from generate_series(1, $1::int) g returning id),
        c as (insert into auth.users (email) select 'c-' || id || '@bench' from o returning id, substr(email, 3, 36)::uuid as org),
        v as (insert into auth.users (email) select 'v-' || id || '@bench' from o returning id, substr(email, 3, 36)::uuid as org),
        m as (insert into public.organization_members (org_id, user_id, role)
              select org, id, 'coordinator' from c union all select org, id, 'viewer' from v returning 1),
        i as (insert into public.organization_integrations (org_id, integration_type) select id, 'xledger' from o returning 1)
   select c.org, c.id as coord, v.id as viewer from c join v using (org)`,
  [n],
);
const claims = (sub: string, org: string) => ({ sub, role: "authenticated", org_id: org });

const results: Record<string, number[]> = {
  success: [],
  sync_already_in_progress: [],
  permission_denied: [],
};
for (const r of rows) results.success?.push(await call(db, claims(r.coord, r.org), r.org, "xledger"));
for (const r of rows)
  results.sync_already_in_progress?.push(await call(db, claims(r.coord, r.org), r.org, "xledger"));
for (const r of rows)
  results.permission_denied?.push(await call(db, claims(r.viewer, r.org), r.org, "xledger"));

const version = (await db.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v;
console.log(
  `trigger_integration_sync, ${db.kind} ${version}, n=${n} per case, ms per PostgREST-style transaction`,
);
for (const [k, v] of Object.entries(results)) console.log(k.padEnd(26), JSON.stringify(percentiles(v)));
await db.close();
