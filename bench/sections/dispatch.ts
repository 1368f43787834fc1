import { openPostgres } from "../../src/db/postgres.ts";
import { Worker } from "../../src/engine/run/worker.ts";
import {
  graphileLatencyQueue,
  graphileTemplate,
  type LatencyQueue,
  pgBossLatencyQueue,
  pgBossTemplate,
} from "../lib/peers.ts";
import { createDatabase, dropDatabase, ourTemplate } from "../lib/pg.ts";
import type { SectionResult } from "../lib/report.ts";
import { type Latency, latency, medianLatency, ms, ratio } from "../lib/stats.ts";

type Factory = (
  url: string,
  onStart: () => void,
) => Promise<LatencyQueue & { prepare?(n: number): Promise<void> }>;

/**
 * Ours: a Worker (LISTEN + a 60 s sweep, so the sweep cannot be what finds a run) and
 * enqueue_run on a second pool connection, the path the RPC and the scheduler take. Every run
 * needs its own (org, type) pair (one active run per pair), so the round seeds n integrations.
 */
const ours: Factory = async (url, onStart) => {
  const db = openPostgres({ connectionString: url, max: 12 });
  const { rows } = await db.query<{ id: string }>(
    `with o as (insert into public.organizations (name) select 'Latency ' || g from generate_series(1, 2000) g returning id)
     insert into public.organization_integrations (org_id, integration_type) select id, 'xledger' from o returning id`,
  );
  const ids = rows.map((r) => r.id);
  let next = 0;
  const worker = new Worker({
    db,
    scheduler: false,
    config: { pollSeconds: 60, concurrency: 10 },
    executor: async () => {
      onStart();
      return { kind: "succeeded", recordsExported: 0 };
    },
  });
  await worker.start();
  await worker.drained();
  return {
    enqueue: async () => {
      await db.query("select sync_engine.enqueue_run($1, 'scheduled')", [ids[next++ % ids.length]]);
    },
    close: async () => {
      await worker.stop(5);
      await db.close();
    },
  };
};

export async function dispatchSection(opts: { n: number; rounds: number }): Promise<SectionResult> {
  const t0 = performance.now();
  const templates = {
    ours: await ourTemplate(),
    "graphile-worker": await graphileTemplate(),
    "pg-boss": await pgBossTemplate(),
  };
  const peers: Array<[keyof typeof templates, Factory]> = [
    ["ours", ours],
    ["graphile-worker", graphileLatencyQueue],
    ["pg-boss", pgBossLatencyQueue],
  ];
  const results = new Map<string, Latency[]>();
  // Rounds interleave the peers so a noisy minute on the shared machine hits all of them.
  for (let r = 0; r < opts.rounds; r++) {
    for (const [name, factory] of peers) {
      const { name: dbName, url } = await createDatabase("dispatch", templates[name]);
      let resolveStart: (() => void) | null = null;
      const q = await factory(url, () => resolveStart?.());
      const samples: number[] = [];
      try {
        // 20 warm-up jobs (connections, prepared statements), then n measured; each next job
        // is enqueued only after the previous one started.
        for (let i = 0; i < opts.n + 20; i++) {
          const started = new Promise<void>((resolve) => {
            resolveStart = resolve;
          });
          const s = performance.now();
          await q.enqueue();
          await started;
          if (i >= 20) samples.push(performance.now() - s);
        }
      } finally {
        await q.close();
        await dropDatabase(dbName);
      }
      results.set(name, [...(results.get(name) ?? []), latency(samples)]);
    }
  }
  const m = Object.fromEntries([...results].map(([k, v]) => [k, medianLatency(v)])) as Record<
    string,
    Latency
  >;
  const o = m.ours as Latency;
  const g = m["graphile-worker"] as Latency;
  const rows = Object.entries(m).map(([name, l]) => [
    name,
    ms(l.p50),
    ms(l.p90),
    ms(l.p99),
    ms(l.max),
    name === "ours" ? "1.00×" : ratio(l.p50, o.p50),
  ]);
  return {
    id: "dispatch",
    title: "2. Dispatch latency (enqueue → run started)",
    method:
      `${opts.n} sequential jobs per peer per round (the next enqueued after the previous started; 20 warm-up jobs ` +
      `dropped), ${opts.rounds} round(s) interleaved, each peer on a fresh database cloned from its migrated template. ` +
      `Ours: \`sync_engine.enqueue_run\` → Worker (LISTEN/NOTIFY, sweep 60 s) → executor start. graphile-worker: ` +
      `\`addJob\` → task start (LISTEN/NOTIFY). pg-boss: \`send\` → \`work\` handler start with \`useListenNotify\` + ` +
      `queue \`notify: true\` (its fastest documented mode). Last column: peer p50 ÷ our p50 (> 1 = we are faster).`,
    header: ["queue", "p50", "p90", "p99", "max", "p50 vs ours"],
    rows,
    goals: [
      {
        what: "dispatch p50 and p99 ≤ graphile-worker",
        goal: `≤ ${ms(g.p50)} / ${ms(g.p99)}`,
        value: `${ms(o.p50)} / ${ms(o.p99)}`,
        met: o.p50 <= g.p50 && o.p99 <= g.p99,
      },
    ],
    notes: [],
    seconds: (performance.now() - t0) / 1000,
  };
}
