// Over 300 lines: one scenario read top to bottom (cluster, workers, kill loop, faults, verdict).
/**
 * The chaos suite (`npm run test:chaos`): several `sync-scheduler worker` processes against a
 * throwaway PostgreSQL cluster and the sandbox accounting servers, with manual triggers and
 * scheduled runs flowing, while workers are SIGKILLed mid-export, PostgreSQL restarts once and the
 * sandbox injects every fault kind. Afterwards: every run terminal, no run completed twice,
 * every approved entry received exactly once per integration, one audit row per accepted manual
 * trigger, and the metrics show the faults. Bounded: CHAOS_SECONDS of load (default 120), then a
 * bounded drain.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.ts";
import { openPostgres } from "../../src/db/postgres.ts";
import type { Db } from "../../src/db/types.ts";
import {
  createSandboxApp,
  type SandboxApp,
  sandboxIntegrationSettings,
} from "../../src/local/sandbox/index.ts";
import { triggerSync, user } from "../helpers/actAs.ts";
import { ThrowawayCluster } from "./cluster.ts";

const bin = fileURLToPath(new URL("../../bin/sync-scheduler.js", import.meta.url));
const LOAD_SECONDS = Number(process.env.CHAOS_SECONDS ?? 120);
const WORKERS = 3;
const ORGS = 8;
const KILL_EVERY_MS = Math.max(1000, Math.floor((LOAD_SECONDS * 1000) / 26)); // ≥ 20 kills plus margin
const LEASE_SECONDS = 5;
const SWEEP_SECONDS = 0.5;
// While a batch is in flight the lease is stretched to the send deadline + 15 s (a killed worker's
// send may still land; no one may look the batch up before it cannot). The sandbox's slowest fault
// is 1.5 s, so 10 s of deadline is ample and a kill mid-send is recovered within 25 s.
const SEND_DEADLINE_SECONDS = 10;
const IN_FLIGHT_LEASE_SECONDS = SEND_DEADLINE_SECONDS + 15;
// Recovery bound: the longest lease a killed worker can leave behind, plus the sweep that reaps it,
// plus 15 s for a worker to claim it under this load (and through the PostgreSQL restart).
const RECOVERY_BOUND_MS = (Math.max(LEASE_SECONDS, IN_FLIGHT_LEASE_SECONDS) + SWEEP_SECONDS + 15) * 1000;
const isRoot = process.getuid?.() === 0;

interface Proc {
  proc: ChildProcess;
  workerId: string | null;
  lines: Array<Record<string, unknown>>;
  killedAt: number | null;
  steady: boolean;
  metricsPort: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;

describe("chaos: kills, a PostgreSQL restart and API faults", () => {
  const cluster = new ThrowawayCluster();
  let db: Db;
  let sandbox: SandboxApp;
  let sandboxServer: import("node:http").Server;
  let sandboxUrl = "";
  const procs: Proc[] = [];
  const stats = {
    kills: 0,
    restarts: 0,
    faults: 0,
    manualAccepted: 0,
    manualRefused: 0,
    recoveries: [] as number[],
    /** Runs held by a killed worker and neither re-held by another worker nor ended in time. */
    unrecovered: [] as string[],
  };
  const coordinators = new Map<string, string>();
  const watchers: Promise<void>[] = [];
  const crashes: Array<{ code: number | null; signal: string | null; stderr: string }> = [];
  let stopping = false;

  function spawnWorker(steady = false): Proc {
    const args = [
      bin,
      "worker",
      "--db-url",
      cluster.url,
      "--concurrency",
      steady ? "1" : "3",
      "--lease-seconds",
      String(LEASE_SECONDS),
      "--heartbeat-seconds",
      "1",
      "--poll-seconds",
      String(SWEEP_SECONDS),
      "--scheduler-seconds",
      "1",
      "--shutdown-grace-seconds",
      "10",
      "--send-deadline-seconds",
      String(SEND_DEADLINE_SECONDS),
      ...(steady ? ["--metrics-port", "0"] : []),
    ];
    // Retry backoff of 1 s doubling to 5 s (defaults: 30 s to 1 h): runs cycle through failures
    // many times within the test instead of waiting out minutes of backoff with idle workers.
    // Scheduler batches of 4: of each wave's 16 due integrations the tick writes 4 runs and queues
    // the rest as schedule groups, so kills also land in claims that apply a group.
    const env = {
      ...process.env,
      SYNC_BACKOFF_BASE_SECONDS: "1",
      SYNC_BACKOFF_CAP_SECONDS: "5",
      SYNC_SCHEDULER_BATCH: "4",
    };
    const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env });
    const p: Proc = { proc, workerId: null, lines: [], killedAt: null, steady, metricsPort: null };
    let buffer = "";
    proc.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf("\n");
        if (!line.startsWith("{")) continue;
        const event = JSON.parse(line) as Record<string, unknown>;
        event._t = Date.now();
        p.lines.push(event);
        if (typeof event.worker_id === "string") p.workerId ??= event.worker_id;
        if (event.event === "metrics_listening") p.metricsPort = event.port as number;
      }
    });
    let stderr = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    proc.on("exit", (code, signal) => {
      // A worker that dies on its own (not our SIGKILL) is a defect: report what it said.
      if (signal !== "SIGKILL" && !stopping) crashes.push({ code, signal, stderr });
    });
    procs.push(p);
    return p;
  }

  beforeAll(async () => {
    if (!isRoot) {
      throw new Error(
        "run `npm run test:chaos` as root: it starts its own PostgreSQL cluster through runuser (CI runs as root)",
      );
    }
    await cluster.init();
    await cluster.start();
    // Load generator, kill loop and recovery watchers each wait on their own connections.
    db = openPostgres({ connectionString: cluster.url, max: 24 });
    await migrate(db);

    sandbox = createSandboxApp();
    const http = await import("node:http");
    sandboxServer = http.createServer((req, res) => {
      void sandbox.handle(req, res, sandboxUrl).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => sandboxServer.listen(0, "127.0.0.1", resolve));
    const address = sandboxServer.address();
    sandboxUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const settings = sandboxIntegrationSettings(sandboxUrl);

    for (let i = 0; i < ORGS; i++) {
      const { rows } = await db.query<{ id: string }>(
        "insert into public.organizations (name) values ($1) returning id",
        [`Chaos Org ${i}`],
      );
      const orgId = rows[0]?.id as string;
      const u = await db.query<{ id: string }>("insert into auth.users (email) values ($1) returning id", [
        `chaos-${i}@test.local`,
      ]);
      const userId = u.rows[0]?.id as string;
      coordinators.set(orgId, userId);
      await db.query(
        "insert into public.organization_members (org_id, user_id, role) values ($1, $2, 'coordinator')",
        [orgId, userId],
      );
      for (const type of ["xledger", "dynamics"] as const) {
        const integ = await db.query<{ id: string }>(
          `insert into public.organization_integrations (org_id, integration_type, schedule_cron, schedule_timezone, config)
           values ($1, $2, '* * * * *', 'Europe/Oslo', $3) returning id`,
          [orgId, type, settings[type].config],
        );
        await db.query("select sync_engine.set_integration_credentials($1, $2)", [
          integ.rows[0]?.id,
          settings[type].credentials,
        ]);
      }
      await db.query(
        // 75 balanced vouchers of two lines (docs/export-pipeline.md "Vouchers").
        `insert into public.ledger_entries (org_id, voucher_number, account, amount, description, approved_at)
         select $1, 'chaos-' || ((g + 1) / 2), '3000',
           (case when g % 2 = 1 then g * 10.5 else -(g - 1) * 10.5 end)::numeric(14, 2), 'chaos ' || g, now()
         from generate_series(1, 150) g`,
        [orgId],
      );
    }
    spawnWorker(true);
    for (let i = 1; i < WORKERS; i++) spawnWorker();
  });

  afterAll(async () => {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill("SIGKILL");
    await db?.close().catch(() => {});
    sandbox?.abort();
    sandboxServer?.close();
    sandboxServer?.closeAllConnections();
    cluster.stop();
  });

  /**
   * SIGKILLs a worker that holds a running run (mid-export) and starts a replacement. Returns
   * false when no killable worker is busy right now (the caller tries again on its next tick).
   */
  async function killOneMidExport(): Promise<boolean> {
    const live = procs.filter((p) => !p.steady && p.killedAt === null && p.workerId);
    const { rows } = await db
      .query<{ id: string; worker_id: string }>(
        "select id, worker_id from public.sync_run_log where status = 'running'",
      )
      .catch(() => ({ rows: [] as Array<{ id: string; worker_id: string }> }));
    const busy = live.filter((p) => rows.some((r) => r.worker_id === p.workerId));
    if (busy.length === 0) return false;
    const victim = pick(busy);
    const held = rows.filter((r) => r.worker_id === victim.workerId).map((r) => r.id);
    victim.killedAt = Date.now();
    victim.proc.kill("SIGKILL");
    stats.kills++;
    spawnWorker();
    for (const runId of held) watchers.push(watchRecovery(runId, victim.workerId as string, victim.killedAt));
    return true;
  }

  /** Time from a kill until the killed worker's run is held by another worker or ended. */
  async function watchRecovery(runId: string, deadWorker: string, killedAt: number): Promise<void> {
    while (Date.now() - killedAt < RECOVERY_BOUND_MS + 30_000) {
      await sleep(100);
      const r = await db
        .query<{ status: string; worker_id: string | null }>(
          "select status, worker_id from public.sync_run_log where id = $1",
          [runId],
        )
        .catch(() => null);
      const row = r?.rows[0];
      if (row && (row.status !== "running" || row.worker_id !== deadWorker)) {
        stats.recoveries.push(Date.now() - killedAt);
        return;
      }
    }
    stats.unrecovered.push(runId);
  }

  /**
   * Fast-forwards retry and snooze waits (run_after in the future → now), like a clock moving on:
   * under a fault every 1.75 s, rate-limit snoozes grow to minutes and would leave the workers
   * idle behind pending runs, so kills could not land mid-export. The wait policy itself is
   * covered by test/engine and test/sql; here what matters is what happens when runs do run.
   */
  async function fastForwardWaits(): Promise<void> {
    await db
      .query(
        "update public.sync_run_log set run_after = now() where status = 'pending' and run_after > now()",
      )
      .catch(() => {});
  }

  function injectFault(): void {
    const faults = [
      { target: "xledger", kind: "latency", ms: 1500, count: 4 },
      { target: "dynamics", kind: "latency", ms: 1500, count: 4 },
      { target: "xledger", kind: "status", status: 503, count: 2 },
      { target: "dynamics", kind: "status", status: 500, count: 2 },
      { target: "dynamics", kind: "rate_limit", retry_after: 2, count: 2 },
      { target: "xledger", kind: "burst_limit", count: 2 },
      { target: "xledger", kind: "credits", reset_at: new Date(Date.now() + 3000).toISOString(), count: 1 },
      { target: "xledger", kind: "reset", count: 1 },
      { target: "dynamics", kind: "reset", count: 1 },
      { target: "xledger", kind: "lost_response", count: 2 },
      { target: "dynamics", kind: "lost_response", count: 2 },
    ];
    sandbox.fault(pick(faults));
    stats.faults++;
  }

  it("loses nothing, exports nothing twice, leaves nothing stuck", async () => {
    const orgIds = [...coordinators.keys()];
    const loadEnds = Date.now() + LOAD_SECONDS * 1000;
    // Kills and the restart run on their own loops, so a load tick slowed by lock waits or the
    // restart cannot starve them.
    let loadDone = false;
    const killer = (async () => {
      while (!loadDone) {
        await sleep(KILL_EVERY_MS);
        while (!loadDone && !(await killOneMidExport())) await sleep(100);
      }
    })();
    const restarter = (async () => {
      await sleep((LOAD_SECONDS * 1000) / 2);
      await cluster.restart();
      stats.restarts++;
    })();
    let tick = 0;
    // The load phase ends after LOAD_SECONDS, or later if fewer than 20 mid-export kills have
    // happened by then (bounded: at most 90 s more).
    while (Date.now() < loadEnds || (stats.kills < 20 && Date.now() < loadEnds + 90_000)) {
      tick++;
      await sleep(250);
      try {
        if (tick % 8 === 0) {
          // New approved entries for every org: every run has something to export (a run with
          // nothing to send finishes before a kill could land mid-export).
          await db.query(
            `insert into public.ledger_entries (org_id, voucher_number, account, amount, description, approved_at)
             select o.id, 'late-' || to_char(now(), 'YYYYMMDDHH24MISSUS') || '-' || ((g + 1) / 2), '4000',
               (case when g % 2 = 1 then g * 3.25 else -(g - 1) * 3.25 end)::numeric(14, 2), 'late ' || g, now()
             from public.organizations o, generate_series(1, 8) g`,
          );
        }
        if (tick % 6 === 0) {
          const orgId = pick(orgIds);
          const result = await triggerSync(
            db,
            user(coordinators.get(orgId) as string, orgId),
            orgId,
            pick(["xledger", "dynamics"]),
          );
          if (result.error === null) stats.manualAccepted++;
          else if (["rate_limited", "sync_already_in_progress"].includes(result.error.body.code))
            stats.manualRefused++;
          else throw new Error(`unexpected refusal ${JSON.stringify(result.error.body)}`);
        }
        if (tick % 16 === 0) {
          // Pull every integration's next period to now: a wave of scheduled runs every 4 s.
          await db.query("update public.organization_integrations set next_run_at = now()");
        }
        if (tick % 8 === 4) await fastForwardWaits();
        if (tick % 7 === 0) injectFault();
        // Slow exports keep runs in flight, so kills land mid-export.
        if (tick % 2 === 0)
          sandbox.fault({ target: pick(["xledger", "dynamics"]), kind: "latency", ms: 1200, count: 3 });
      } catch (error) {
        // The PostgreSQL restart drops connections: the load generator retries on its next tick.
        if (!String(error).match(/terminat|connect|ECONNREFUSED|shutting down|Connection/i)) throw error;
      }
    }
    loadDone = true;
    await killer;
    await restarter;

    // Drain: let faults run out and every run end.
    const drainStarted = Date.now();
    const active = async () =>
      (
        await db.query<{ n: number }>(
          `select (select count(*)::int from public.sync_run_log
                   where status in ('pending', 'running') and run_after <= now() + interval '5 minutes')
                + (select count(*)::int from sync_engine.schedule_groups) as n`,
        )
      ).rows[0]?.n ?? 0;
    while ((await active()) > 0 && Date.now() - drainStarted < 180_000) {
      await fastForwardWaits();
      await sleep(500);
    }
    const drainMs = Date.now() - drainStarted;
    await Promise.all(watchers);

    // Final pass: one more run per integration so that entries of runs that failed (attempts
    // spent under faults) are exported too; repeat while any of those final runs fails.
    for (let round = 0; round < 3; round++) {
      await db.query(
        `select sync_engine.enqueue_run(i.id, 'scheduled', p_idempotency_key => i.id || ':final:' || $1)
         from public.organization_integrations i`,
        [round],
      );
      const started = Date.now();
      while ((await active()) > 0 && Date.now() - started < 120_000) {
        await fastForwardWaits();
        await sleep(500);
      }
      const failed = await db.query<{ n: number }>(
        "select count(*)::int as n from public.sync_run_log where idempotency_key like '%:final:' || $1 and status <> 'succeeded'",
        [String(round)],
      );
      if (failed.rows[0]?.n === 0) break;
    }

    // --- Assertions -----------------------------------------------------------------------------
    const stuck = await db.query<{ n: number }>(
      `select (select count(*)::int from public.sync_run_log where status in ('pending', 'running'))
            + (select count(*)::int from sync_engine.schedule_groups) as n`,
    );
    const queuedTicks = procs.reduce(
      (n, p) => n + p.lines.filter((e) => e.event === "schedule_queued").length,
      0,
    );
    const approved = await db.query<{ id: string }>(
      "select id::text from public.ledger_entries where approved_at is not null",
    );
    const state = sandbox.state();
    let duplicates = 0;
    let lost = 0;
    for (const { id } of approved.rows) {
      for (const target of ["xledger", "dynamics"] as const) {
        const n = state[target].received[id] ?? 0;
        if (n > 1) duplicates++;
        if (n === 0) lost++;
      }
    }
    const exportRows = await db.query<{ n: number }>(
      "select count(*)::int as n from public.ledger_entry_exports",
    );
    const audit = await db.query<{ n: number }>(
      "select count(*)::int as n from public.sync_trigger_audit where action = 'trigger'",
    );

    // No run completed by two attempts; no two attempts of one run executing at once on live workers.
    const attempts = new Map<
      string,
      Array<{ worker: string; start: number; end: number; result: string; [k: string]: unknown }>
    >();
    for (const p of procs) {
      const open = new Map<string, number>();
      for (const e of p.lines) {
        // Times from the worker's own log lines (its clock is this machine's): when the line was
        // read here depends on pipe scheduling, and an attempt ends when its executor returned
        // (work_ms), before its outcome is recorded; the next attempt can only be claimed after.
        if (e.event === "run_started") open.set(e.run_id as string, Date.parse(e.time as string));
        if (e.event === "run_attempt_ended") {
          const list = attempts.get(e.run_id as string) ?? [];
          const start = open.get(e.run_id as string) ?? 0;
          list.push({
            worker: p.workerId ?? "?",
            start,
            end: start + (e.work_ms as number),
            result: e.result as string,
          });
          attempts.set(e.run_id as string, list);
          open.delete(e.run_id as string);
        }
      }
      for (const [runId, start] of open) {
        const list = attempts.get(runId) ?? [];
        list.push({
          worker: p.workerId ?? "?",
          start,
          end: p.killedAt ?? Date.now(),
          result: p.killedAt ? "killed" : "open",
          // What the worker said about this run, and last, to tell a hang from a lost line.
          ...(p.killedAt
            ? {}
            : {
                said: p.lines
                  .filter((e) => e.run_id === runId)
                  .map((e) => `${e.time} ${e.event}${e.error ? ` ${String(e.error).slice(0, 160)}` : ""}`),
                last: p.lines
                  .slice(-8)
                  .map((e) => `${e.time} ${e.event}${e.error ? ` ${String(e.error).slice(0, 160)}` : ""}`),
                exited: p.proc.exitCode,
              }),
        });
        attempts.set(runId, list);
      }
    }
    let doubleCompletions = 0;
    let overlaps = 0;
    const overlapExamples: unknown[] = [];
    for (const list of attempts.values()) {
      if (list.filter((a) => a.result === "succeeded").length > 1) doubleCompletions++;
      const recorded = list
        .filter((a) => a.result !== "lost" && a.result !== "killed")
        .sort((a, b) => a.start - b.start);
      for (let i = 1; i < recorded.length; i++)
        if ((recorded[i]?.start ?? 0) < (recorded[i - 1]?.end ?? 0)) {
          overlaps++;
          overlapExamples.push(recorded);
        }
    }
    const runs = await db.query<{ status: string; n: number }>(
      "select status, count(*)::int as n from public.sync_run_log group by status order by status",
    );
    const steady = procs.find((p) => p.steady);
    const metrics = steady?.metricsPort
      ? await (await fetch(`http://127.0.0.1:${steady.metricsPort}/metrics`)).text()
      : "";
    const counter = (name: string) =>
      [...metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, "gm"))].reduce(
        (s, m) => s + Number(m[1]),
        0,
      );
    stopping = true;
    const summary = {
      worker_crashes: crashes.length,
      runs: Object.fromEntries(runs.rows.map((r) => [r.status, r.n])),
      kills: stats.kills,
      restarts: stats.restarts,
      faults_injected: stats.faults,
      manual_accepted: stats.manualAccepted,
      manual_refused: stats.manualRefused,
      approved_entries: approved.rows.length,
      duplicates,
      lost,
      stuck: stuck.rows[0]?.n,
      ticks_that_queued_groups: queuedTicks,
      double_completions: doubleCompletions,
      overlapping_recorded_attempts: overlaps,
      overlap_examples: overlapExamples.slice(0, 3),
      median_time_to_recovery_ms:
        [...stats.recoveries].sort((a, b) => a - b)[Math.floor(stats.recoveries.length / 2)] ?? 0,
      worst_time_to_recovery_ms: Math.max(0, ...stats.recoveries),
      recoveries_measured: stats.recoveries.length,
      unrecovered: stats.unrecovered.length,
      recovery_bound_ms: RECOVERY_BOUND_MS,
      drain_ms: drainMs,
      steady_worker_retries: counter("sync_run_retries_total"),
      steady_worker_api_errors: counter("sync_external_api_errors_total"),
      steady_worker_runs_reaped: counter("sync_runs_reaped_total"),
    };
    console.log(`CHAOS SUMMARY ${JSON.stringify(summary, null, 2)}`);

    if (crashes.length > 0) console.log(`WORKER CRASHES ${JSON.stringify(crashes, null, 2)}`);
    expect(crashes).toEqual([]);
    expect(stats.kills).toBeGreaterThanOrEqual(20);
    expect(stats.restarts).toBe(1);
    expect(summary.stuck).toBe(0);
    // The schedule-group path was exercised (the waves exceed the batch of 4).
    expect(queuedTicks).toBeGreaterThan(0);
    expect(duplicates).toBe(0);
    expect(lost).toBe(0);
    expect(exportRows.rows[0]?.n).toBe(approved.rows.length * 2);
    expect(doubleCompletions).toBe(0);
    expect(overlaps).toBe(0);
    expect(audit.rows[0]?.n).toBe(stats.manualAccepted);
    expect(summary.steady_worker_api_errors + summary.steady_worker_retries).toBeGreaterThan(0);
    // Every run a killed worker held was taken over or ended within the lease bound (the in-flight
    // lease when it died mid-send) plus the sweep, plus scheduling slack on a loaded machine.
    expect(stats.unrecovered).toEqual([]);
    expect(stats.recoveries.length).toBeGreaterThanOrEqual(stats.kills);
    expect(summary.worst_time_to_recovery_ms).toBeLessThan(RECOVERY_BOUND_MS);
  });
});
