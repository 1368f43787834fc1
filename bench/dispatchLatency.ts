/**
 * Quick measurement: enqueue (commit) → executor start, sequential (the next run is enqueued
 * after the previous one started), with LISTEN/NOTIFY wake-ups and the polling sweep set to 60 s
 * so the sweep cannot be what finds the runs.
 *
 *   DATABASE_URL=postgres://… npx tsx bench/dispatchLatency.ts [--n 300]
 *
 * The comparison with graphile-worker and pg-boss is `npm run bench`'s job.
 */
import { parseArgs } from "node:util";
import { migrate } from "../src/db/migrate.ts";
import { openDb } from "../src/db/open.ts";
import { Worker } from "../src/engine/worker.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "300" } } });
const n = Number(values.n);
const db = await openDb({ dbUrl: process.env.DATABASE_URL, poolSize: 6 });
await migrate(db);
const { rows } = await db.query<{ id: string }>(
  `with o as (insert into public.organizations (name) select 'Latency ' || g from generate_series(1, $1::int) g returning id)
   insert into public.organization_integrations (org_id, integration_type) select id, 'xledger' from o returning id`,
  [n],
);
let onStart: (() => void) | null = null;
const worker = new Worker({
  db,
  scheduler: false,
  config: { pollSeconds: 60, concurrency: 4 },
  executor: async () => {
    onStart?.();
    return { kind: "succeeded", recordsExported: 0 };
  },
});
await worker.start();
const samples: number[] = [];
for (const { id } of rows) {
  const started = new Promise<void>((resolve) => {
    onStart = resolve;
  });
  const t0 = performance.now();
  await db.query("select sync_engine.enqueue_run($1, 'scheduled')", [id]);
  await started;
  samples.push(performance.now() - t0);
}
await worker.stop(5);
samples.sort((a, b) => a - b);
const at = (p: number) =>
  (samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))] as number).toFixed(2);
console.log(
  `enqueue → executor start, ${db.kind}, n=${n}: p50 ${at(50)} ms, p90 ${at(90)} ms, p99 ${at(99)} ms, max ${at(100)} ms`,
);
await db.close();
