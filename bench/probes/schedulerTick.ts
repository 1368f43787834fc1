// Probe: one schedulerTick over N integrations due at the same instant, no workers running.
// Usage: npx tsx bench/probes/schedulerTick.ts <template db> <n> [scheduler module path]
import { pathToFileURL } from "node:url";
import { openPostgres } from "../../src/db/postgres.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import type { schedulerTick as Tick } from "../../src/engine/schedule/scheduler.ts";
import { createDatabase, dropDatabase } from "../lib/pg.ts";

const [template = "", nArg = "10000", modulePath = "src/engine/schedule/scheduler.ts"] =
  process.argv.slice(2);
const n = Number(nArg);
const { schedulerTick } = (await import(pathToFileURL(modulePath).href)) as { schedulerTick: typeof Tick };
const { name, url } = await createDatabase("probe", template);
const db = openPostgres({ connectionString: url, max: 4 });
try {
  await db.query(
    `with o as (insert into public.organizations (name) select 'Sched ' || g from generate_series(1, $1::int) g returning id)
     insert into public.organization_integrations (org_id, integration_type, schedule_cron, schedule_timezone)
     select id, 'xledger', '0 * * * *', 'UTC' from o`,
    [n],
  );
  const T = new Date(Date.now() - 1000);
  await db.query("update public.organization_integrations set next_run_at = $1", [T]);
  for (const sql of [
    "vacuum analyze public.organization_integrations",
    "vacuum analyze public.sync_run_log",
    "checkpoint",
  ]) {
    await db.exec(sql);
  }
  const t0 = performance.now();
  const r = await schedulerTick(
    db,
    new Date(),
    { schedulerBatch: 500, catchUpWindowSeconds: 86_400 },
    silentLogger,
  );
  const tickMs = performance.now() - t0;
  if (r.enqueued !== n) throw new Error(`enqueued ${r.enqueued} of ${n}`);
  console.log(
    JSON.stringify({
      module: modulePath,
      n,
      tickMs: Math.round(tickMs),
      perIntegrationUs: Math.round((tickMs * 1000) / n),
    }),
  );
} finally {
  await db.close();
  await dropDatabase(name);
}
