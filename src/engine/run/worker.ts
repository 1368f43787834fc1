import type { Db } from "../../db/types.ts";
import { type WorkerConfig, workerConfigSchema } from "../config.ts";
import type { HealthMonitorDeps } from "../health/healthMonitor.ts";
import { deliverNotifications } from "../notify/deliverNotifications.ts";
import { type EngineLogger, silentLogger } from "../observe/logger.ts";
import { type EngineMetrics, noMetrics } from "../observe/metrics.ts";
import type { RunExecutor } from "../types.ts";
import { CoalescedTask } from "./coalesced.ts";
import { createRunExecutor } from "./dispatch.ts";
import {
  checkHealth,
  pruneHistory,
  reapExpired,
  tickReconciliations,
  tickScheduler,
} from "./housekeeping.ts";
import { InFlightRunner } from "./inFlight.ts";

/** The channel `sync_engine.dispatch_run` notifies on enqueue. */
export const WAKEUP_CHANNEL = "sync_engine_wakeup";

export interface WorkerOptions {
  db: Db;
  /** Default: the export and reconciliation executors by run kind, exports with this worker's `sendDeadlineSeconds`. */
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
  readonly #log: EngineLogger;
  readonly #metrics: EngineMetrics;
  readonly #runs: InFlightRunner;
  readonly #poll = new CoalescedTask(
    () => this.#pollOnce(),
    () => !this.#stopping,
  );
  readonly #timers: Array<ReturnType<typeof setInterval>> = [];
  readonly #options: WorkerOptions;
  #unlisten: (() => Promise<void>) | null = null;
  #stopping = false;
  #lastReap = 0;
  #lastPrune = 0;
  #notifyRound: Promise<void> | null = null;

  constructor(options: WorkerOptions) {
    this.#options = options;
    this.config = workerConfigSchema.parse(options.config ?? {});
    this.id = options.workerId ?? `worker-${crypto.randomUUID().slice(0, 8)}`;
    this.#db = options.db;
    this.#log = (options.log ?? silentLogger).child({ worker_id: this.id });
    this.#metrics = options.metrics ?? noMetrics;
    this.#runs = new InFlightRunner({
      db: options.db,
      executor:
        options.executor ??
        createRunExecutor({ export: { sendDeadlineMs: this.config.sendDeadlineSeconds * 1000 } }),
      workerId: this.id,
      config: this.config,
      leaseSeconds: this.config.leaseSeconds,
      log: this.#log,
      metrics: this.#metrics,
      onSettled: () => this.wake(),
    });
  }

  /** Runs currently executing in this worker. */
  get inFlight(): number {
    return this.#runs.size;
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
    every(this.config.heartbeatSeconds, () => this.#runs.heartbeat());
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
    this.#poll.trigger();
  }

  /** Resolves once nothing is executing and no poll is in progress (tests, benchmarks). */
  async drained(): Promise<void> {
    while (this.#poll.running || this.#runs.size > 0) {
      await (this.#poll.running ?? this.#runs.idle());
    }
  }

  /** One scheduler tick now (also runs on its timer). */
  async tickScheduler(): Promise<void> {
    await this.#schedule();
  }

  async #pollOnce(): Promise<void> {
    try {
      await this.#maintenance();
      await this.#runs.fill(this.config.concurrency, () => !this.#stopping);
    } catch (error) {
      this.#log.error({ event: "poll_failed", error: String(error) });
    }
  }

  async #maintenance(): Promise<void> {
    const now = Date.now();
    const deps = { db: this.#db, log: this.#log, metrics: this.#metrics };
    if (now - this.#lastReap >= this.config.pollSeconds * 1000) {
      this.#lastReap = now;
      await reapExpired(deps);
    }
    // Hourly: retention of runs, alerts and health history, one batch of 5,000 rows each.
    if (now - this.#lastPrune >= 3_600_000) {
      this.#lastPrune = now;
      await pruneHistory(deps, this.config);
    }
  }

  async #schedule(): Promise<void> {
    if (this.#stopping) return;
    const now = (this.#options.now ?? (() => new Date()))();
    await tickScheduler({ db: this.#db, log: this.#log, metrics: this.#metrics, config: this.config }, now);
    await tickReconciliations({ db: this.#db, log: this.#log, metrics: this.#metrics });
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
    await checkHealth({
      ...health,
      db: this.#db,
      log: this.#log,
      metrics: this.#metrics,
      config: this.config,
    });
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
    await this.#poll.running;
    if (this.#runs.size > 0) {
      // Keep leases alive while we wait.
      const beat = setInterval(() => void this.#runs.heartbeat(), this.config.heartbeatSeconds * 1000);
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        graceTimer = setTimeout(resolve, graceSeconds * 1000);
      });
      await Promise.race([this.#runs.idle(), grace]);
      clearTimeout(graceTimer);
      this.#runs.drain();
      await this.#runs.idle();
      clearInterval(beat);
    }
    // Anything still marked as ours (e.g. an executor that ignored its signal) goes back too.
    await this.#runs.releaseAll().catch(() => 0);
    this.#log.info({ event: "worker_stopped" });
  }
}
