import type { Db } from "../../db/types.ts";
import { type WorkerConfig, workerConfigSchema } from "../config.ts";
import { createExportRun } from "../export/exportRun.ts";
import { type HealthMonitorDeps, runHealthChecks } from "../health/healthMonitor.ts";
import { deliverNotifications } from "../notify/deliverNotifications.ts";
import { type EngineLogger, silentLogger } from "../observe/logger.ts";
import { type EngineMetrics, noMetrics } from "../observe/metrics.ts";
import { checkDrift } from "../schedule/driftCheck.ts";
import { schedulerTick } from "../schedule/scheduler.ts";
import type { ClaimedRun, RunExecutor } from "../types.ts";
import { Completer } from "./completer.ts";
import { type AbortReason, type AttemptResult, executeRun } from "./executeRun.ts";
import { claimRuns, heartbeatRuns, reapExpiredLeases, releaseRuns } from "./runStore.ts";
import { startEach } from "./startEach.ts";

/** The channel `sync_engine.dispatch_run` notifies on enqueue. */
export const WAKEUP_CHANNEL = "sync_engine_wakeup";

export interface WorkerOptions {
  db: Db;
  /** Default: the export executor with this worker's `sendDeadlineSeconds`. */
  executor?: RunExecutor;
  config?: Partial<WorkerConfig>;
  workerId?: string;
  log?: EngineLogger;
  metrics?: EngineMetrics;
  /** Run the scheduler tick in this worker (default true; any number of workers may). */
  scheduler?: boolean;
  /** Health pings; omit to run no health monitor in this worker. */
  health?: Omit<HealthMonitorDeps, "db" | "log" | "metrics" | "config">;
  /** Deliver the notification outbox's webhooks from this worker (default true; any number may). */
  notifications?: boolean;
  /** Clock for the scheduler (tests inject one). */
  now?: () => Date;
}

interface InFlight {
  run: ClaimedRun;
  controller: AbortController;
  done: Promise<AttemptResult>;
}

/**
 * Claims runs with SKIP LOCKED, executes them, heartbeats their leases in one statement, reaps
 * expired leases, ticks the scheduler and the health monitor. Any number of workers, on any
 * number of machines, may run against one database: they coordinate only through row locks.
 *
 * @example
 * const worker = new Worker({ db, config: { concurrency: 4 } });
 * await worker.start();
 * process.on("SIGTERM", () => worker.stop());
 */
export class Worker {
  readonly id: string;
  readonly config: WorkerConfig;
  readonly #db: Db;
  readonly #executor: RunExecutor;
  readonly #log: EngineLogger;
  readonly #metrics: EngineMetrics;
  readonly #completer: Completer;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #timers: Array<ReturnType<typeof setInterval>> = [];
  readonly #options: WorkerOptions;
  #unlisten: (() => Promise<void>) | null = null;
  #stopping = false;
  #polling: Promise<void> | null = null;
  #pollAgain = false;
  #lastReap = 0;
  #lastPrune = 0;
  #notifyRound: Promise<void> | null = null;
  #idle: Array<() => void> = [];

  constructor(options: WorkerOptions) {
    this.#options = options;
    this.config = workerConfigSchema.parse(options.config ?? {});
    this.id = options.workerId ?? `worker-${crypto.randomUUID().slice(0, 8)}`;
    this.#db = options.db;
    this.#executor =
      options.executor ?? createExportRun({ sendDeadlineMs: this.config.sendDeadlineSeconds * 1000 });
    this.#log = (options.log ?? silentLogger).child({ worker_id: this.id });
    this.#metrics = options.metrics ?? noMetrics;
    this.#completer = new Completer(options.db, this.id);
  }

  /** Runs currently executing in this worker. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Starts listening, polling, heartbeating and (optionally) scheduling. */
  async start(): Promise<void> {
    try {
      this.#unlisten = await this.#db.listen(WAKEUP_CHANNEL, () => this.wake());
    } catch (error) {
      // Poolers in transaction mode refuse LISTEN; the polling sweep still finds every run.
      this.#log.warn({ event: "listen_unavailable", error: String(error) });
    }
    const every = (seconds: number, fn: () => unknown) => {
      const timer = setInterval(() => void fn(), seconds * 1000);
      timer.unref?.();
      this.#timers.push(timer);
    };
    every(this.config.pollSeconds, () => this.wake());
    every(this.config.heartbeatSeconds, () => this.#heartbeat());
    if (this.#options.scheduler !== false) every(this.config.schedulerSeconds, () => this.#schedule());
    if (this.#options.health) every(this.config.healthCheckSeconds, () => this.#healthChecks());
    if (this.#options.notifications !== false) every(this.config.notifySeconds, () => this.#notify());
    this.#log.info({ event: "worker_started", config: this.config });
    this.wake();
    // First scheduler tick and health round now, not one interval after start: a fresh stack
    // shows next runs and health at once.
    if (this.#options.scheduler !== false) void this.#schedule();
    if (this.#options.health) void this.#healthChecks();
  }

  /** Claims and starts runs now (also called on NOTIFY and by the polling sweep). */
  wake(): void {
    if (this.#stopping) return;
    if (this.#polling) {
      this.#pollAgain = true;
      return;
    }
    this.#polling = this.#poll().finally(() => {
      this.#polling = null;
      if (this.#pollAgain) {
        this.#pollAgain = false;
        this.wake();
      }
    });
  }

  /** Resolves once nothing is executing and no poll is in progress (tests, benchmarks). */
  async drained(): Promise<void> {
    while (this.#polling || this.#inFlight.size > 0) {
      await (this.#polling ?? Promise.race([...this.#inFlight.values()].map((f) => f.done)));
    }
  }

  /** One scheduler tick now (also runs on its timer). */
  async tickScheduler(): Promise<void> {
    await this.#schedule();
  }

  async #poll(): Promise<void> {
    try {
      await this.#maintenance();
      for (;;) {
        const capacity = this.config.concurrency - this.#inFlight.size;
        if (capacity <= 0 || this.#stopping) return;
        const runs = await claimRuns(this.#db, this.id, capacity, this.config.leaseSeconds);
        await startEach(this.#db, runs, (run) => this.#startRun(run), this.#log);
        if (runs.length < capacity) return;
      }
    } catch (error) {
      this.#log.error({ event: "poll_failed", error: String(error) });
    }
  }

  async #maintenance(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastReap >= this.config.pollSeconds * 1000) {
      this.#lastReap = now;
      const rescued = await reapExpiredLeases(this.#db);
      if (rescued.length > 0) {
        this.#metrics.reaped(rescued.length);
        for (const r of rescued)
          this.#log.warn({ event: "lease_expired_run_rescued", run_id: r.run_id, status: r.status });
      }
    }
    // Hourly: retention of runs, alerts and health history, one batch of 5,000 rows each so it
    // never holds long locks. (≤ 5,000 an hour per worker; docs/benchmarks.md "Volume" has the cost.)
    if (now - this.#lastPrune >= 3_600_000) {
      this.#lastPrune = now;
      const { rows } = await this.#db.query<{ runs: number; alerts: number; health: number }>(
        `select sync_engine.prune_run_log(make_interval(days => $1)) as runs,
                sync_engine.prune_alerts(make_interval(days => $2)) as alerts,
                sync_engine.prune_health_checks(make_interval(days => $3)) as health`,
        [this.config.retentionDays, this.config.alertRetentionDays, this.config.healthRetentionDays],
      );
      const pruned = rows[0];
      if (pruned && pruned.runs + pruned.alerts + pruned.health > 0)
        this.#log.info({ event: "history_pruned", ...pruned });
    }
  }

  #startRun(run: ClaimedRun): void {
    const controller = new AbortController();
    const dispatchLatency = (new Date(run.heartbeat_at).getTime() - new Date(run.run_after).getTime()) / 1000;
    this.#metrics.runClaimed(run.integration_type, run.triggered_by, Math.max(0, dispatchLatency));
    if (run.attempt === 1 && run.drift_ms !== null)
      void checkDrift({ db: this.#db, log: this.#log, metrics: this.#metrics, config: this.config }, run);
    const done = executeRun(
      {
        db: this.#db,
        executor: this.#executor,
        workerId: this.id,
        config: this.config,
        log: this.#log,
        metrics: this.#metrics,
        complete: (r, n) => this.#completer.complete(r, n),
      },
      run,
      controller,
    )
      .catch((error: unknown) => {
        // Recording the outcome failed (database down): the lease will expire and the reaper
        // returns the run; nothing is lost.
        this.#log.error({ event: "run_record_failed", run_id: run.id, error: String(error) });
        return "lost" as const;
      })
      .finally(() => {
        this.#inFlight.delete(run.id);
        if (this.#inFlight.size === 0) for (const fn of this.#idle.splice(0)) fn();
        this.wake();
      });
    this.#inFlight.set(run.id, { run, controller, done });
  }

  async #heartbeat(): Promise<void> {
    if (this.#inFlight.size === 0) return;
    const ids = [...this.#inFlight.keys()];
    try {
      const held = await heartbeatRuns(this.#db, this.id, ids, this.config.leaseSeconds);
      const heldIds = new Set(held.map((h) => h.run_id));
      for (const h of held) if (h.cancel_requested) this.#abort(h.run_id, "cancelled");
      for (const id of ids) if (!heldIds.has(id)) this.#abort(id, "lease_lost");
    } catch (error) {
      // Keep running: the lease still has (lease − heartbeat) seconds; the next beat may succeed.
      this.#log.warn({ event: "heartbeat_failed", runs: ids.length, error: String(error) });
    }
  }

  #abort(runId: string, reason: AbortReason): void {
    const f = this.#inFlight.get(runId);
    if (f && !f.controller.signal.aborted) {
      this.#log.info({ event: "run_abort", run_id: runId, reason });
      f.controller.abort(reason);
    }
  }

  async #schedule(): Promise<void> {
    if (this.#stopping) return;
    try {
      const r = await schedulerTick(
        this.#db,
        (this.#options.now ?? (() => new Date()))(),
        this.config,
        this.#log,
      );
      for (const [outcome, count] of Object.entries(r))
        if (count > 0) this.#metrics.scheduled(outcome, count);
    } catch (error) {
      this.#log.error({ event: "scheduler_tick_failed", error: String(error) });
    }
  }

  #notify(): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    this.#notifyRound ??= (async () => {
      try {
        // Drain what is due: a round is at most 20 deliveries.
        const opts = { backoffBaseSeconds: this.config.notifyBackoffBaseSeconds };
        while (!this.#stopping && (await deliverNotifications(this.#db, this.#log, opts)) > 0);
      } catch (error) {
        this.#log.error({ event: "notifications_failed", error: String(error) });
      } finally {
        this.#notifyRound = null;
      }
    })();
    return this.#notifyRound;
  }

  async #healthChecks(): Promise<void> {
    const health = this.#options.health;
    if (!health || this.#stopping) return;
    try {
      await runHealthChecks({
        ...health,
        db: this.#db,
        log: this.#log,
        metrics: this.#metrics,
        config: this.config,
      });
    } catch (error) {
      this.#log.error({ event: "health_checks_failed", error: String(error) });
    }
  }

  /**
   * Graceful shutdown: stop claiming, give in-flight runs `shutdownGraceSeconds` to finish, then
   * abort the rest and release them to pending without charging an attempt.
   */
  async stop(graceSeconds = this.config.shutdownGraceSeconds): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const t of this.#timers.splice(0)) clearInterval(t);
    await this.#notifyRound;
    await this.#unlisten?.().catch(() => {});
    await this.#polling;
    if (this.#inFlight.size > 0) {
      // Keep leases alive while we wait.
      const beat = setInterval(() => void this.#heartbeat(), this.config.heartbeatSeconds * 1000);
      const idle = new Promise<void>((resolve) => this.#idle.push(resolve));
      const grace = new Promise<void>((resolve) => setTimeout(resolve, graceSeconds * 1000));
      await Promise.race([idle, grace]);
      for (const id of this.#inFlight.keys()) this.#abort(id, "shutdown");
      await Promise.all([...this.#inFlight.values()].map((f) => f.done));
      clearInterval(beat);
    }
    // Anything still marked as ours (e.g. an executor that ignored its signal) goes back too.
    await releaseRuns(this.#db, this.id, [...this.#inFlight.keys()]).catch(() => []);
    this.#log.info({ event: "worker_stopped" });
  }
}
