import type { Db } from "../../db/types.ts";
import type { WorkerConfig } from "../config.ts";
import { type PingIntegration, runHealthChecks } from "../health/healthMonitor.ts";
import type { EngineLogger } from "../observe/logger.ts";
import type { EngineMetrics } from "../observe/metrics.ts";
import { Completer } from "../run/completer.ts";
import { type AbortReason, type AttemptResult, executeRun } from "../run/executeRun.ts";
import { claimRuns, heartbeatRuns, reapExpiredLeases, releaseRuns } from "../run/runStore.ts";
import { startEach } from "../run/startEach.ts";
import { checkDrift } from "../schedule/driftCheck.ts";
import { schedulerTick, type TickResult } from "../schedule/scheduler.ts";
import type { ClaimedRun, RunExecutor } from "../types.ts";
import type { Deadlines, EdgeBudget } from "./budget.ts";

/** Why the function was called: pg_net's dispatch at enqueue, or pg_cron's sweep every minute. */
export type SessionKind = "dispatch" | "sweep";

export interface SessionDeps {
  db: Db;
  executor: RunExecutor;
  workerId: string;
  log: EngineLogger;
  metrics: EngineMetrics;
  /** Backoff, scheduler, drift and health settings: the same schema and defaults as the Node worker. */
  config: WorkerConfig;
  budget: EdgeBudget;
  deadlines: Deadlines;
  kind: SessionKind;
  /** Health pings, run on sweeps only (a dispatch should start its run, not ping). */
  ping?: PingIntegration | undefined;
  /** The scheduler's clock (tests inject one). */
  now?: (() => Date) | undefined;
}

/** What one session did, logged as `edge_session_ended` and returned to tests. */
export interface SessionSummary {
  worker_id: string;
  kind: SessionKind;
  reaped: number;
  scheduled: TickResult | null;
  health_checks: number;
  claimed: number;
  results: Partial<Record<AttemptResult, number>>;
  /** Runs still executing at the give-up point, released by worker id. */
  abandoned: number;
  duration_ms: number;
}

interface InFlight {
  run: ClaimedRun;
  controller: AbortController;
  done: Promise<AttemptResult>;
}

/**
 * One bounded pass of the Edge Function worker — not the Node worker's endless loop: reap expired
 * leases, tick the scheduler, claim up to `concurrency` runs and execute them with the same
 * {@link executeRun} (and executor) as the Node worker, heartbeating their leases; as runs finish,
 * claim more until the claim window closes; at the drain point abort what still runs at its next
 * safe point and release it to pending; at the give-up point release anything still held. Ends as
 * soon as nothing is left to do, so an idle sweep costs two or three queries.
 *
 * @example
 * const session = new EdgeSession(deps);
 * waitUntil(session.done);
 */
export class EdgeSession {
  readonly workerId: string;
  /** Resolves when the session has nothing left running; never rejects. */
  readonly done: Promise<SessionSummary>;
  readonly #deps: SessionDeps;
  readonly #completer: Completer;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #results: Partial<Record<AttemptResult, number>> = {};
  #claiming: Promise<void> | null = null;
  #claimAgain = false;
  #claimed = 0;
  #draining = false;
  #wakeIdle: (() => void) | null = null;
  #giveUpNow: (() => void) | null = null;

  constructor(deps: SessionDeps) {
    this.#deps = deps;
    this.workerId = deps.workerId;
    this.#completer = new Completer(deps.db, deps.workerId);
    this.done = this.#run();
  }

  /** True while a request may still add work to this session (before the claim window closes). */
  get claiming(): boolean {
    return !this.#draining && Date.now() < this.#deps.deadlines.claimUntil;
  }

  /** Claims again now (another dispatch arrived while this session runs). */
  wake(): void {
    if (!this.claiming) return;
    if (this.#claiming) {
      this.#claimAgain = true;
      return;
    }
    this.#claiming = this.#claim().finally(() => {
      this.#claiming = null;
      if (this.#claimAgain) {
        this.#claimAgain = false;
        this.wake();
      }
      this.#signalIdle();
    });
  }

  /** Drains now: no more claims; what runs is aborted at its next safe point and released. */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const f of this.#inFlight.values()) this.#abort(f, "shutdown");
    this.#signalIdle();
  }

  /**
   * Drains now and, if runs are still executing after `graceMs`, releases them without waiting
   * for their sends (the Node gateway's shutdown, tests).
   */
  async close(graceMs = 5_000): Promise<SessionSummary> {
    this.drain();
    const grace = setTimeout(() => this.#giveUpNow?.(), graceMs);
    try {
      return await this.done;
    } finally {
      clearTimeout(grace);
    }
  }

  async #run(): Promise<SessionSummary> {
    const deps = this.#deps;
    const started = Date.now();
    const beat = setInterval(() => void this.#heartbeat(), deps.budget.heartbeatSeconds * 1000);
    const drainTimer = setTimeout(() => this.drain(), Math.max(0, deps.deadlines.drainAt - started));
    let reaped = 0;
    let scheduled: TickResult | null = null;
    let health: Promise<number> = Promise.resolve(0);
    let abandoned = 0;
    try {
      if (Date.now() < deps.deadlines.drainAt) {
        reaped = await this.#reap();
        scheduled = await this.#tick();
        if (deps.kind === "sweep" && deps.ping) health = this.#healthChecks(deps.ping);
      }
      this.wake();
      let giveUpTimer: ReturnType<typeof setTimeout> | undefined;
      const giveUp = new Promise<false>((resolve) => {
        this.#giveUpNow = () => resolve(false);
        giveUpTimer = setTimeout(resolve, Math.max(0, deps.deadlines.giveUpAt - Date.now()), false);
      });
      const finished = await Promise.race([this.#idle().then(() => true), giveUp]);
      clearTimeout(giveUpTimer);
      if (!finished) abandoned = await this.#abandon();
      await health;
    } catch (error) {
      deps.log.error({ event: "edge_session_failed", error: String(error) });
    } finally {
      clearInterval(beat);
      clearTimeout(drainTimer);
    }
    const summary: SessionSummary = {
      worker_id: this.workerId,
      kind: deps.kind,
      reaped,
      scheduled,
      health_checks: await health.catch(() => 0),
      claimed: this.#claimed,
      results: this.#results,
      abandoned,
      duration_ms: Date.now() - started,
    };
    deps.log.info({ event: "edge_session_ended", ...summary });
    return summary;
  }

  /** Resolves once no claim is in progress and nothing is in flight. */
  async #idle(): Promise<void> {
    while (this.#claiming || this.#inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        this.#wakeIdle = resolve;
      });
    }
  }

  #signalIdle(): void {
    const wake = this.#wakeIdle;
    this.#wakeIdle = null;
    wake?.();
  }

  async #reap(): Promise<number> {
    try {
      const rescued = await reapExpiredLeases(this.#deps.db);
      if (rescued.length > 0) this.#deps.metrics.reaped(rescued.length);
      for (const r of rescued)
        this.#deps.log.warn({ event: "lease_expired_run_rescued", run_id: r.run_id, status: r.status });
      return rescued.length;
    } catch (error) {
      this.#deps.log.error({ event: "reap_failed", error: String(error) });
      return 0;
    }
  }

  async #tick(): Promise<TickResult | null> {
    const deps = this.#deps;
    try {
      const r = await schedulerTick(deps.db, (deps.now ?? (() => new Date()))(), deps.config, deps.log);
      for (const [outcome, count] of Object.entries(r)) if (count > 0) deps.metrics.scheduled(outcome, count);
      return r;
    } catch (error) {
      deps.log.error({ event: "scheduler_tick_failed", error: String(error) });
      return null;
    }
  }

  async #healthChecks(ping: PingIntegration): Promise<number> {
    const deps = this.#deps;
    // A ping may take until the drain point, never longer (adapter default would be 30 s).
    const timeoutMs = Math.min(10_000, deps.deadlines.drainAt - Date.now());
    if (timeoutMs < 1_000) return 0;
    try {
      return await runHealthChecks({
        db: deps.db,
        ping,
        log: deps.log,
        metrics: deps.metrics,
        config: deps.config,
        timeoutMs,
      });
    } catch (error) {
      deps.log.error({ event: "health_checks_failed", error: String(error) });
      return 0;
    }
  }

  async #claim(): Promise<void> {
    const deps = this.#deps;
    try {
      for (;;) {
        const capacity = deps.budget.concurrency - this.#inFlight.size;
        if (capacity <= 0 || !this.claiming) return;
        const runs = await claimRuns(deps.db, this.workerId, capacity, deps.budget.leaseSeconds);
        await startEach(deps.db, runs, (run) => this.#start(run), deps.log);
        if (runs.length < capacity) return;
      }
    } catch (error) {
      deps.log.error({ event: "claim_failed", error: String(error) });
    }
  }

  #start(run: ClaimedRun): void {
    const deps = this.#deps;
    this.#claimed++;
    const controller = new AbortController();
    const latency = (new Date(run.heartbeat_at).getTime() - new Date(run.run_after).getTime()) / 1000;
    deps.metrics.runClaimed(run.integration_type, run.triggered_by, Math.max(0, latency));
    if (run.attempt === 1 && run.drift_ms !== null) void checkDrift(deps, run);
    // Claimed after the drain started (a claim racing the timer): release at the first safe point.
    if (this.#draining) controller.abort("shutdown" satisfies AbortReason);
    const done = executeRun(
      {
        db: deps.db,
        executor: deps.executor,
        workerId: this.workerId,
        config: deps.config,
        log: deps.log,
        metrics: deps.metrics,
        complete: (r, n) => this.#completer.complete(r, n),
      },
      run,
      controller,
    )
      .catch((error: unknown) => {
        // Recording failed (database gone): the lease expires and the next sweep's reaper returns it.
        deps.log.error({ event: "run_record_failed", run_id: run.id, error: String(error) });
        return "lost" as const;
      })
      .then((result) => {
        this.#results[result] = (this.#results[result] ?? 0) + 1;
        this.#inFlight.delete(run.id);
        this.wake();
        this.#signalIdle();
        return result;
      });
    this.#inFlight.set(run.id, { run, controller, done });
  }

  // The same heartbeat as the Node worker's: one statement for every held run; a run no longer
  // held is aborted as lease_lost, a cancellation request as cancelled.
  async #heartbeat(): Promise<void> {
    if (this.#inFlight.size === 0) return;
    const ids = [...this.#inFlight.keys()];
    try {
      const held = await heartbeatRuns(this.#deps.db, this.workerId, ids, this.#deps.budget.leaseSeconds);
      const heldIds = new Set(held.map((h) => h.run_id));
      for (const h of held) {
        const f = this.#inFlight.get(h.run_id);
        if (f && h.cancel_requested) this.#abort(f, "cancelled");
      }
      for (const id of ids) {
        const f = this.#inFlight.get(id);
        if (f && !heldIds.has(id)) this.#abort(f, "lease_lost");
      }
    } catch (error) {
      this.#deps.log.warn({ event: "heartbeat_failed", runs: ids.length, error: String(error) });
    }
  }

  #abort(f: InFlight, reason: AbortReason): void {
    if (f.controller.signal.aborted) return;
    this.#deps.log.info({ event: "run_abort", run_id: f.run.id, reason });
    f.controller.abort(reason);
  }

  /**
   * The give-up point: an executor is still inside a send (or ignores its signal). Release its
   * run now, fenced by worker id; when the send returns, its record call is refused (run_not_held)
   * and the per-integration in-flight markers make the next attempt look the batch up before
   * sending anything again, so the effect stays exactly-once.
   */
  async #abandon(): Promise<number> {
    const ids = [...this.#inFlight.keys()];
    this.#deps.log.warn({ event: "edge_give_up", runs: ids });
    try {
      return (await releaseRuns(this.#deps.db, this.workerId, ids)).length;
    } catch (error) {
      this.#deps.log.error({ event: "release_failed", runs: ids, error: String(error) });
      return 0;
    }
  }
}
