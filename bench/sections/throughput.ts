import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { PgBoss } from "pg-boss";
import { graphileTemplate, type PeerName, pgBossTemplate, QUEUE } from "../lib/peers.ts";
import { createDatabase, dropDatabase, ourTemplate } from "../lib/pg.ts";
import type { SectionResult } from "../lib/report.ts";
import { int, median, ratio, sleep } from "../lib/stats.ts";

const workerFile = fileURLToPath(new URL("../procs/drainWorker.ts", import.meta.url));

type Peer = "ours" | PeerName;

interface Drain {
  peer: Peer;
  processes: number;
  jobsPerSecond: number;
  maxRssMb: number[];
}

/** Commits `jobs` runnable jobs in one transaction (the clock starts when it returns). */
async function enqueueAll(peer: Peer, url: string, jobs: number): Promise<void> {
  if (peer === "pg-boss") {
    const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false, migrate: false });
    boss.on("error", () => {});
    await boss.start();
    // One INSERT … SELECT from a JSON array: one transaction.
    await boss.insert(
      QUEUE,
      Array.from({ length: jobs }, () => ({ data: {} })),
    );
    await boss.stop({ graceful: false, close: true });
    return;
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    if (peer === "ours") {
      // Rows straight into the pending state, as a scheduler tick leaves them (same run_after
      // for the whole batch), plus one wake-up. Not through enqueue_run: its per-(org, type)
      // advisory lock is held to commit, and 20,000 of them in one transaction exceed the lock
      // table (max_locks_per_transaction 64 × max_connections 100 here: "out of shared memory").
      await c.query(
        `insert into public.sync_run_log (org_id, integration_id, integration_type, status, triggered_by)
         select i.org_id, i.id, i.integration_type, 'pending', 'scheduled' from public.organization_integrations i limit $1`,
        [jobs],
      );
      await c.query("select pg_notify('sync_engine_wakeup', '')");
    } else {
      // graphile-worker's batch entry point (add_job per row took > 20 s for 20,000 here).
      await c.query(
        `select count(*) from graphile_worker.add_jobs(array(
           select row($1::text, '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec
           from generate_series(1, $2::int)))`,
        [QUEUE, jobs],
      );
    }
  } finally {
    await c.end();
  }
}

/** True when nothing is left to run (cheap: partial indexes / small tables). */
const drainedSql: Record<Peer, string> = {
  ours: "select not exists (select from public.sync_run_log where status in ('pending', 'running')) as done",
  "graphile-worker": "select not exists (select from graphile_worker._private_jobs) as done",
  "graphile-worker (batched)": "select not exists (select from graphile_worker._private_jobs) as done",
  "pg-boss": `select not exists (select from pgboss.job where name = '${QUEUE}' and state < 'completed') as done`,
};

function spawnWorker(peer: Peer, url: string, concurrency: number) {
  const child: ChildProcess = fork(workerFile, [peer, url, String(concurrency)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = (event: string) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const onMessage = (m: { event: string } & Record<string, number>) => {
        if (m.event === event) {
          child.off("message", onMessage);
          resolve(m);
        }
      };
      child.on("message", onMessage);
      child.once("exit", (code) => reject(new Error(`${peer} worker exited (${code}) before ${event}`)));
    });
  return { child, started: next("started"), stopped: next("stopped") };
}

async function drainOnce(peer: Peer, template: string, jobs: number, processes: number, concurrency: number) {
  const dbg = (s: string) => process.env.BENCH_DEBUG && console.error(`[${peer} x${processes}] ${s}`);
  const { name, url } = await createDatabase("tp", template);
  const poll = new pg.Client({ connectionString: url });
  try {
    if (peer === "ours") {
      // One integration per run: at most one active run per (org, type) is the engine's rule.
      await poll.connect();
      await poll.query(
        `with o as (insert into public.organizations (name) select 'Org ' || g from generate_series(1, $1::int) g returning id)
         insert into public.organization_integrations (org_id, integration_type)
         select o.id, t from o cross join unnest(array['xledger', 'dynamics']) t`,
        [Math.ceil(jobs / 2)],
      );
      await poll.query("vacuum analyze");
    } else {
      await poll.connect();
    }
    const workers = Array.from({ length: processes }, () => spawnWorker(peer, url, concurrency));
    await Promise.all(workers.map((w) => w.started));
    dbg("started");
    await sleep(300);
    await enqueueAll(peer, url, jobs);
    dbg("enqueued");
    const t0 = performance.now();
    // 20 ms polling: ± 10 ms on multi-second drains; the query is an index probe.
    for (;;) {
      const { rows } = await poll.query<{ done: boolean }>(drainedSql[peer]);
      if (rows[0]?.done) break;
      await sleep(20);
    }
    const seconds = (performance.now() - t0) / 1000;
    for (const w of workers) w.child.send({ cmd: "stop" });
    dbg(`drained in ${seconds} s`);
    const stopped = await Promise.all(workers.map((w) => w.stopped));
    dbg("stopped");
    const executed = stopped.reduce((a, s) => a + (s.executed ?? 0), 0);
    if (executed < jobs) throw new Error(`${peer}: executed ${executed} of ${jobs}`);
    return { jobsPerSecond: jobs / seconds, maxRssMb: stopped.map((s) => (s.maxRssKb ?? 0) / 1024) };
  } finally {
    await poll.end().catch(() => {});
    await dropDatabase(name);
  }
}

export async function throughputSection(opts: {
  jobs: number;
  rounds: number;
  concurrency: number;
}): Promise<SectionResult> {
  const t0 = performance.now();
  const gw = await graphileTemplate();
  const templates: Record<Peer, string> = {
    ours: await ourTemplate(),
    "graphile-worker": gw,
    "graphile-worker (batched)": gw,
    "pg-boss": await pgBossTemplate(),
  };
  const peers: Peer[] = ["ours", "graphile-worker", "graphile-worker (batched)", "pg-boss"];
  const results: Drain[] = [];
  for (const processes of [1, 2]) {
    const perPeer = new Map<Peer, Array<{ jobsPerSecond: number; maxRssMb: number[] }>>();
    for (let r = 0; r < opts.rounds; r++) {
      for (const peer of peers) {
        const d = await drainOnce(peer, templates[peer], opts.jobs, processes, opts.concurrency);
        perPeer.set(peer, [...(perPeer.get(peer) ?? []), d]);
      }
    }
    for (const [peer, ds] of perPeer) {
      results.push({
        peer,
        processes,
        jobsPerSecond: median(ds.map((d) => d.jobsPerSecond)),
        maxRssMb: ds.flatMap((d) => d.maxRssMb),
      });
    }
  }
  const rate = (peer: Peer, p: number) =>
    results.find((r) => r.peer === peer && r.processes === p)?.jobsPerSecond ?? Number.NaN;
  const rows = results.map((r) => [
    r.peer,
    String(r.processes),
    int(r.jobsPerSecond),
    ratio(rate("ours", r.processes), r.jobsPerSecond),
    `${int(median(r.maxRssMb))} MB`,
  ]);
  const goals: SectionResult["goals"] = [];
  for (const p of [1, 2]) {
    const vsGw = rate("ours", p) / rate("graphile-worker", p);
    const vsBoss = rate("ours", p) / rate("pg-boss", p);
    goals.push(
      {
        what: `throughput ${p} process(es) vs graphile-worker`,
        goal: "≥ 1.0×",
        value: `${vsGw.toFixed(2)}× (batched: ${(rate("ours", p) / rate("graphile-worker (batched)", p)).toFixed(2)}×)`,
        met: vsGw >= 1,
      },
      {
        what: `throughput ${p} process(es) vs pg-boss`,
        goal: "≥ 1.5×",
        value: `${vsBoss.toFixed(2)}×`,
        met: vsBoss >= 1.5,
      },
    );
  }
  return {
    id: "throughput",
    title: "3. Throughput (drain pre-enqueued no-op jobs)",
    method:
      `${int(opts.jobs)} no-op jobs committed in one transaction after the worker processes started on an empty queue; ` +
      `timed from that commit until the database shows none pending or running. Concurrency ${opts.concurrency} per ` +
      `process; 1 and 2 worker processes (each a forked Node process); ${opts.rounds} round(s) interleaved; fresh ` +
      `database per drain. Ours: Worker + no-op executor (bench-only). graphile-worker: default settings, and "batched" = ` +
      `localQueue size ${opts.concurrency + 1} + completeJobBatchDelay 0. pg-boss: useListenNotify, queue notify, ` +
      `batchSize ${opts.concurrency} with burstWhenBatchFull (its documented backlog mode; batchSize 1 idles between fetches). "ours ÷ peer" > 1 means we are faster. RSS = peak resident ` +
      `set of each worker process (median over processes and rounds).`,
    header: ["queue", "processes", "jobs/s", "ours ÷ peer", "peak RSS / process"],
    rows,
    goals,
    notes: [],
    seconds: (performance.now() - t0) / 1000,
  };
}
