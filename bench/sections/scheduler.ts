import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { openPostgres } from "../../src/db/postgres.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { schedulerTick } from "../../src/engine/schedule/scheduler.ts";
import { createDatabase, dropDatabase, ourTemplate } from "../lib/pg.ts";
import type { SectionResult } from "../lib/report.ts";
import { int, ms, sleep } from "../lib/stats.ts";

const workerFile = fileURLToPath(new URL("../procs/drainWorker.ts", import.meta.url));

function startWorker(url: string): { child: ChildProcess; started: Promise<void>; stopped: Promise<void> } {
  const child = fork(workerFile, ["ours", url, "10"], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = (event: string) =>
    new Promise<void>((resolve) => {
      const on = (m: { event: string }) => {
        if (m.event === event) {
          child.off("message", on);
          resolve();
        }
      };
      child.on("message", on);
    });
  return { child, started: next("started"), stopped: next("stopped") };
}

interface ScalePoint {
  integrations: number;
  enqueueMs: number;
  enqueueLag: { p50: number; p99: number };
  drift: { p50: number; p99: number };
  drainMs: number;
  /** Runs/s from the tick's end until all were done: the workers' rate with a full queue. */
  drainRate: number;
}

/**
 * `n` integrations whose next period is the same instant T; at T one scheduler tick (this
 * process, the production schedulerTick) enqueues them all while `workers` worker processes
 * (concurrency 10, no-op executor) drain them. Drift is the engine's own figure
 * (`drift_ms` = first start − scheduled_for, stamped by claim_runs on the database clock).
 */
async function scalePoint(template: string, n: number, workers: number): Promise<ScalePoint> {
  const { name, url } = await createDatabase("sched", template);
  const db = openPostgres({ connectionString: url, max: 4 });
  const procs: Array<ReturnType<typeof startWorker>> = [];
  try {
    await db.query(
      `with o as (insert into public.organizations (name) select 'Sched ' || g from generate_series(1, $1::int) g returning id)
       insert into public.organization_integrations (org_id, integration_type, schedule_cron, schedule_timezone)
       select id, 'xledger', '0 * * * *', 'UTC' from o`,
      [n],
    );
    for (let i = 0; i < workers; i++) procs.push(startWorker(url));
    await Promise.all(procs.map((p) => p.started));
    // T = the next whole second ≥ 1.5 s from now, so the update and vacuum are done before it.
    const T = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
    await db.query("update public.organization_integrations set next_run_at = $1", [T]);
    await db.exec("vacuum analyze public.organization_integrations");
    await sleep(Math.max(0, T.getTime() - Date.now()));
    const t0 = performance.now();
    const result = await schedulerTick(
      db,
      new Date(),
      { schedulerBatch: 500, catchUpWindowSeconds: 86_400 },
      silentLogger,
    );
    const enqueueMs = performance.now() - t0;
    if (result.enqueued + result.queued !== n)
      throw new Error(`scheduler enqueued ${result.enqueued} and queued ${result.queued} of ${n}`);
    const { rows: atTickEnd } = await db.query<{ done: number }>(
      "select count(*)::int as done from public.sync_run_log where status not in ('pending', 'running')",
    );
    const doneAtTickEnd = atTickEnd[0]?.done ?? 0;
    for (;;) {
      const { rows } = await db.query<{ done: boolean }>(
        `select not exists (select from public.sync_run_log where status in ('pending', 'running'))
                and not exists (select from sync_engine.schedule_groups) as done`,
      );
      if (rows[0]?.done) break;
      await sleep(50);
    }
    const drainMs = performance.now() - t0;
    const { rows } = await db.query<{ d50: number; d99: number; e50: number; e99: number; n: number }>(
      `select count(*)::int as n,
              percentile_disc(0.5) within group (order by drift_ms) as d50,
              percentile_disc(0.99) within group (order by drift_ms) as d99,
              percentile_disc(0.5) within group (order by extract(epoch from triggered_at - scheduled_for) * 1000) as e50,
              percentile_disc(0.99) within group (order by extract(epoch from triggered_at - scheduled_for) * 1000) as e99
       from public.sync_run_log where scheduled_for = $1 and status = 'succeeded'`,
      [T],
    );
    const r = rows[0];
    if (!r || r.n !== n) throw new Error(`expected ${n} succeeded scheduled runs, found ${r?.n}`);
    return {
      integrations: n,
      enqueueMs,
      enqueueLag: { p50: Number(r.e50), p99: Number(r.e99) },
      drift: { p50: Number(r.d50), p99: Number(r.d99) },
      drainMs,
      // Too few runs left after the tick to time the workers alone: the whole round's rate.
      drainRate:
        n - doneAtTickEnd >= n / 100 && drainMs > enqueueMs
          ? (n - doneAtTickEnd) / ((drainMs - enqueueMs) / 1000)
          : n / (drainMs / 1000),
    };
  } finally {
    for (const p of procs) p.child.send({ cmd: "stop" });
    await Promise.all(procs.map((p) => p.stopped));
    await db.close();
    await dropDatabase(name);
  }
}

export async function schedulerSection(opts: {
  integrations: number;
  workers: number;
  quick: boolean;
}): Promise<SectionResult> {
  const t0 = performance.now();
  const template = await ourTemplate();
  const scales = [1_000, 10_000, 100_000].filter((s) => s < opts.integrations);
  const points: ScalePoint[] = [];
  for (const n of [...scales, opts.integrations]) points.push(await scalePoint(template, n, opts.workers));
  const top = points[points.length - 1] as ScalePoint;
  const rows = points.map((p) => [
    int(p.integrations),
    ms(p.enqueueMs),
    int(p.integrations / (p.enqueueMs / 1000)),
    `${ms(p.enqueueLag.p50)} / ${ms(p.enqueueLag.p99)}`,
    `${ms(p.drift.p50)} / ${ms(p.drift.p99)}`,
    ms(p.drainMs),
    int(p.integrations / (p.drainMs / 1000)),
    int(p.drainRate),
  ]);
  const fits = [...points].reverse().find((p) => p.drift.p99 <= 1000);
  // Every run is due at the same instant, so the last one can start only after the workers have
  // executed all the others: drift p99 ≥ 0.99 × N ÷ drain rate, whatever the scheduler does. What
  // the scheduler controls is the delay beyond that bound (enqueueing late, waking workers late).
  // The rate is the workers' own after the tick ended (a full queue, no tick competing), so a slow
  // enqueue shows up here instead of stretching the bound with it.
  const drainBoundMs = (p: ScalePoint) => ((0.99 * p.integrations) / p.drainRate) * 1000;
  const beyond = top.drift.p99 - drainBoundMs(top);
  return {
    id: "scheduler",
    title: "5. Scheduler scale (integrations due in the same minute)",
    method:
      `N integrations (one org each, cron \`0 * * * *\` UTC) whose next period is the same instant T. At T one ` +
      `\`schedulerTick\` (due ids read once, in the database; the rest beyond the first 500 queued there as schedule groups of 500 by \`queue_due_schedule_groups\`; the first 500 enqueued by \`schedule_due_plan_ids\`, locked FOR NO KEY UPDATE SKIP LOCKED by primary key) enqueues them through the production path while ` +
      `${opts.workers} worker processes (concurrency 10 each, bench-only no-op executor) drain them; their claims apply the groups (\`apply_schedule_group\`: the same \`schedule_due_plan_ids\`) as they have room. ` +
      `"tick" = until every due period is durably enqueued or queued; run row written = triggered_at − T (when the run's row was inserted, by the tick or by a claim); ` +
      `drift = first start − T (the engine's drift_ms). One round per scale.`,
    header: [
      "integrations",
      "tick (all enqueued or queued)",
      "per s",
      "run row written p50 / p99",
      "drift p50 / p99",
      "all done",
      "runs/s",
      "runs/s after the tick",
    ],
    rows,
    goals: [
      {
        what: `schedule ${int(top.integrations)}: all enqueued (first batch as runs, the rest as schedule groups; durable)`,
        goal: "≤ 2 s",
        value: ms(top.enqueueMs),
        met: top.enqueueMs <= 2000,
      },
      {
        what: `schedule ${int(top.integrations)}: drift p99 beyond the drain bound (${opts.workers} workers; p99 − 0.99 × N ÷ runs/s after the tick)`,
        goal: "≤ 1 s",
        value: `${ms(beyond)} (p99 ${ms(top.drift.p99)}, bound ${ms(drainBoundMs(top))})`,
        met: beyond <= 1000,
      },
    ],
    notes: [
      `Drift p99 is bounded below by 0.99 × N ÷ drain rate: every run is due at the same instant, so the last one ` +
        `starts after the workers have executed all the others (100,000 at ≈ 4,000 no-op runs/s is ≈ 25 s). The goal ` +
        `row therefore judges what the scheduler controls, the drift beyond that bound, with the rate the workers reach after the tick has ended (a slow or ` +
        `CPU-hungry enqueue, a late wake-up all count against it); ` +
        `the raw figure is in the table. Largest scale measured with raw drift p99 ≤ 1 s: ` +
        `${fits ? int(fits.integrations) : "none"}.`,
      `Until 2026-11-30 the tick wrote every run at the due instant (one run row per integration, ≈ 62 µs of backend CPU ` +
        `each under load): 100,000 took 6.6–8.8 s to enqueue and all 100,000 had started after ≈ 27–39 s (same harness, ` +
        `docs/benchmarks.md "What the optimisations bought"). Now the runs beyond the first batch are written by the ` +
        `workers' claims as they have room, so "run row written" follows the drift instead of preceding it.`,
    ],
    seconds: (performance.now() - t0) / 1000,
  };
}
