import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { openPostgres } from "../../src/db/postgres.ts";
import type { Db } from "../../src/db/types.ts";
import { sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { createDatabase, dropDatabase, ourTemplate } from "../lib/pg.ts";
import type { SectionResult } from "../lib/report.ts";
import { memberClaims, seedOrgs } from "../lib/seed.ts";
import { int, ms, sleep } from "../lib/stats.ts";

const workerFile = fileURLToPath(new URL("../procs/soakWorker.ts", import.meta.url));

const INTEGRATIONS = 1_000;
const WORKERS = 2;
const CONCURRENCY = 10;
// A manual trigger every 250 ms (4/s) for a random org, as a coordinator at SQL level.
const TRIGGER_EVERY_MS = 250;
// New approved ledger entries every 10 s, so scheduled exports keep finding work.
const ENTRIES_EVERY_MS = 10_000;
const ENTRIES_PER_ROUND = 50;
// A sandbox fault every 20 s, cycling through the kinds the adapters must survive.
const FAULT_EVERY_MS = 20_000;
const FAULTS: object[] = [
  { target: "xledger", kind: "status", status: 503, count: 20 },
  { target: "dynamics", kind: "rate_limit", retry_after: 2, count: 20 },
  { target: "xledger", kind: "latency", ms: 3_000, count: 10 },
  { target: "dynamics", kind: "reset", count: 10 },
  { target: "xledger", kind: "lost_response", count: 5 },
  { target: "dynamics", kind: "status", status: 502, retry_after: 1, count: 20 },
];

interface Proc {
  child: ChildProcess;
  rss: number;
  stopped: Promise<void>;
}

function startWorker(url: string): Promise<Proc> {
  const child = fork(workerFile, [url, String(CONCURRENCY)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let stoppedResolve = () => {};
  const proc: Proc = { child, rss: 0, stopped: new Promise((r) => (stoppedResolve = r)) };
  return new Promise((resolve) => {
    child.on("message", (m: { event: string; rss?: number }) => {
      if (m.event === "started") resolve(proc);
      else if (m.event === "rss") proc.rss = Math.max(proc.rss, m.rss ?? 0);
      else if (m.event === "stopped") stoppedResolve();
    });
    child.on("exit", () => stoppedResolve());
  });
}

interface Minute {
  minute: number;
  rssMb: number[];
  benchRssMb: number;
  connections: number;
  started: number;
  dispatchP99: number;
  driftP99: number;
  succeeded: number;
  failed: number;
  retried: number;
  manual: Record<string, number>;
}

/** Runs first started in [from, to): count, dispatch p99 (start − enqueue) and drift p99 (scheduled). */
async function minuteFigures(db: Db, from: Date, to: Date) {
  const { rows } = await db.query<{
    started: number;
    dispatch: number | null;
    drift: number | null;
  }>(
    `select count(*)::int as started,
            percentile_disc(0.99) within group (order by extract(epoch from started_at - triggered_at) * 1000) as dispatch,
            percentile_disc(0.99) within group (order by drift_ms) filter (where triggered_by = 'scheduled') as drift
     from public.sync_run_log where started_at >= $1 and started_at < $2`,
    [from, to],
  );
  const { rows: ends } = await db.query<{ succeeded: number; failed: number }>(
    `select count(*) filter (where status = 'succeeded')::int as succeeded,
            count(*) filter (where status = 'failed')::int as failed
     from public.sync_run_log where finished_at >= $1 and finished_at < $2`,
    [from, to],
  );
  const { rows: conns } = await db.query<{ n: number }>(
    "select count(*)::int as n from pg_stat_activity where datname = current_database()",
  );
  return {
    started: rows[0]?.started ?? 0,
    dispatchP99: Number(rows[0]?.dispatch ?? Number.NaN),
    driftP99: Number(rows[0]?.drift ?? Number.NaN),
    succeeded: ends[0]?.succeeded ?? 0,
    failed: ends[0]?.failed ?? 0,
    connections: conns[0]?.n ?? 0,
  };
}

/**
 * `npm run bench -- --soak 10m`: the product under steady load for `minutes`. 1,000
 * integrations (one org each, half Xledger, half Business Central) scheduled every minute
 * against the sandbox, exporting ledger entries that keep arriving; 2 worker processes (the
 * production Worker, export executor, scheduler every second); manual triggers as coordinators
 * 4 times a second; a sandbox fault every 20 s (5xx, 429, latency, reset, lost response); one
 * worker stopped and replaced halfway. Per minute: peak RSS of each worker, the database's open
 * connections, runs started, dispatch p99 (start − enqueue) and drift p99 (start − scheduled).
 */
export async function soakSection(opts: { minutes: number }): Promise<SectionResult> {
  const t0 = performance.now();
  const template = await ourTemplate();
  const { name, url } = await createDatabase("soak", template);
  const db = openPostgres({ connectionString: url, max: 4 });
  const sandbox = await startSandbox();
  const workers: Proc[] = [];
  const minutes: Minute[] = [];
  const timers: NodeJS.Timeout[] = [];
  const manual: Record<string, number> = {};
  try {
    const orgs = await seedOrgs(db, INTEGRATIONS, "Soak");
    const settings = sandboxIntegrationSettings(sandbox.url);
    // Half the integrations Business Central: the seed makes xledger ones, so switch every other one.
    const dynamicsIds = orgs.filter((_, i) => i % 2 === 1).map((o) => o.integration);
    await db.query(
      "update public.organization_integrations set integration_type = 'dynamics' where id = any($1::uuid[])",
      [dynamicsIds],
    );
    for (const [type, s] of [
      ["xledger", settings.xledger],
      ["dynamics", settings.dynamics],
    ] as const) {
      await db.query(
        `update public.organization_integrations set config = $2, schedule_cron = '* * * * *', schedule_timezone = 'UTC'
         where integration_type = $1`,
        [type, s.config],
      );
      await db.query(
        "select sync_engine.set_integration_credentials(id, $2) from public.organization_integrations where integration_type = $1",
        [type, s.credentials],
      );
    }
    // Balanced vouchers of two lines (docs/export-pipeline.md "Vouchers"), for `n` random orgs.
    const addEntries = (n: number) =>
      db.query(
        `insert into public.ledger_entries (org_id, voucher_number, account, amount, description, approved_at)
         select x.o, 'soak-' || x.v, '3000', case when s = 1 then x.a else -x.a end, 'soak', now()
         from (select org_id as o, gen_random_uuid()::text as v, round((random() * 10000)::numeric, 2) + 0.01 as a
               from public.organization_integrations order by random() limit $1) x,
              generate_series(1, 2) s`,
        [n],
      );
    await addEntries(INTEGRATIONS * 2);

    for (let i = 0; i < WORKERS; i++) workers.push(await startWorker(url));
    const startedAt = Date.now();
    const endAt = startedAt + opts.minutes * 60_000;

    // Manual triggers: one PostgREST-style transaction each (role, claims, RPC).
    const trigger = async () => {
      const o = orgs[Math.floor(Math.random() * orgs.length)];
      if (!o) return;
      const type = orgs.indexOf(o) % 2 === 1 ? "dynamics" : "xledger";
      let code = "ok";
      try {
        await db.transaction(async (tx) => {
          await tx.query(
            "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
            [JSON.stringify(memberClaims(o.coordinator, o.org))],
          );
          await tx.query("select public.trigger_integration_sync($1, $2)", [o.org, type]);
        });
      } catch (error) {
        const message = (error as { message?: string }).message ?? "";
        code = /"code":\s*"(\w+)"/.exec(message)?.[1] ?? "error";
      }
      manual[code] = (manual[code] ?? 0) + 1;
    };
    timers.push(setInterval(() => void trigger(), TRIGGER_EVERY_MS));
    timers.push(setInterval(() => void addEntries(ENTRIES_PER_ROUND), ENTRIES_EVERY_MS));
    let faultNo = 0;
    timers.push(
      setInterval(() => {
        sandbox.fault(FAULTS[faultNo % FAULTS.length]);
        faultNo++;
      }, FAULT_EVERY_MS),
    );

    let restarted = false;
    let retriedBefore = 0;
    for (let m = 0; m < opts.minutes; m++) {
      const from = new Date(startedAt + m * 60_000);
      const to = new Date(startedAt + (m + 1) * 60_000);
      const manualBefore = { ...manual };
      for (const w of workers) w.rss = 0;
      let benchRss = 0;
      while (Date.now() < to.getTime()) {
        benchRss = Math.max(benchRss, process.memoryUsage.rss());
        if (!restarted && Date.now() >= startedAt + (opts.minutes * 60_000) / 2) {
          // One worker restart halfway: graceful stop, then a fresh process.
          restarted = true;
          const old = workers.shift() as Proc;
          old.child.send({ cmd: "stop" });
          await old.stopped;
          workers.push(await startWorker(url));
        }
        await sleep(Math.min(1_000, Math.max(0, to.getTime() - Date.now())));
      }
      const f = await minuteFigures(db, from, to);
      const { rows } = await db.query<{ n: number }>(
        "select coalesce(sum(attempt - 1), 0)::int as n from public.sync_run_log where attempt > 1",
      );
      const retried = (rows[0]?.n ?? 0) - retriedBefore;
      retriedBefore = rows[0]?.n ?? 0;
      const manualDelta = Object.fromEntries(
        Object.entries(manual).map(([k, v]) => [k, v - (manualBefore[k] ?? 0)]),
      );
      minutes.push({
        minute: m + 1,
        rssMb: workers.map((w) => w.rss / 1024 / 1024),
        benchRssMb: benchRss / 1024 / 1024,
        connections: f.connections,
        started: f.started,
        dispatchP99: f.dispatchP99,
        driftP99: f.driftP99,
        succeeded: f.succeeded,
        failed: f.failed,
        retried,
        manual: manualDelta,
      });
      const last = minutes[minutes.length - 1] as Minute;
      console.log(
        `  soak minute ${last.minute}: started ${last.started}, dispatch p99 ${ms(last.dispatchP99)}, drift p99 ${ms(last.driftP99)}, ` +
          `connections ${last.connections}, worker RSS ${last.rssMb.map((r) => r.toFixed(0)).join("/")} MB`,
      );
      if (Date.now() >= endAt) break;
    }
  } finally {
    for (const t of timers) clearInterval(t);
    for (const w of workers) w.child.send({ cmd: "stop" });
    await Promise.all(workers.map((w) => w.stopped));
    await sandbox.close();
    await db.close();
    await dropDatabase(name);
    await dropDatabase(template);
  }
  const manualTotal: Record<string, number> = {};
  for (const m of minutes)
    for (const [k, v] of Object.entries(m.manual)) manualTotal[k] = (manualTotal[k] ?? 0) + v;
  const rows = minutes.map((m) => [
    String(m.minute),
    m.rssMb.map((r) => r.toFixed(0)).join(" / "),
    m.benchRssMb.toFixed(0),
    String(m.connections),
    int(m.started),
    ms(m.dispatchP99),
    ms(m.driftP99),
    `${int(m.succeeded)} / ${int(m.failed)} / ${int(m.retried)}`,
    Object.entries(m.manual)
      .map(([k, v]) => `${k} ${v}`)
      .join(", "),
  ]);
  return {
    id: "soak",
    title: `7. Soak (${opts.minutes} min, \`npm run bench -- --soak ${opts.minutes}m\`)`,
    method:
      `PostgreSQL database from the migrated template. ${int(INTEGRATIONS)} integrations (one org each, half Xledger, ` +
      `half Business Central) scheduled \`* * * * *\` against the sandbox in the bench process; ${int(INTEGRATIONS * 2)} ` +
      `balanced two-line vouchers to start with and ${ENTRIES_PER_ROUND} more every ${ENTRIES_EVERY_MS / 1000} s. ` +
      `${WORKERS} worker processes (production Worker and export executor, concurrency ${CONCURRENCY}, scheduler every ` +
      `second). Manual triggers as coordinators every ${TRIGGER_EVERY_MS} ms (PostgREST-style transactions). A sandbox ` +
      `fault every ${FAULT_EVERY_MS / 1000} s, cycling: Xledger 503 ×20, BC 429 ×20, Xledger 3 s latency ×10, BC ` +
      `connection reset ×10, Xledger lost response ×5, BC 502 ×20. The first worker is stopped gracefully and ` +
      `replaced halfway. Per minute: peak RSS of each worker process (after the restart the new one is last) and of ` +
      `the bench process (sandbox + triggers), connections to the database (pg_stat_activity), runs first started ` +
      `that minute with dispatch p99 (started_at − triggered_at) and drift p99 (drift_ms of scheduled runs), runs ` +
      `finished (succeeded / failed) and retries, manual trigger outcomes.`,
    header: [
      "minute",
      "worker RSS (MB)",
      "bench RSS (MB)",
      "connections",
      "runs started",
      "dispatch p99",
      "drift p99",
      "succeeded / failed / retries",
      "manual triggers",
    ],
    rows,
    goals: [],
    notes: [
      `Manual triggers over the whole soak: ${Object.entries(manualTotal)
        .map(([k, v]) => `${k} ${int(v)}`)
        .join(
          ", ",
        )} (sync_already_in_progress and rate_limited are the RPC's own refusals, expected at this rate).`,
    ],
    seconds: (performance.now() - t0) / 1000,
  };
}
