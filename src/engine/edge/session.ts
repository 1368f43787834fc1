import type { Db } from "../../db/types.ts";
import type { WorkerConfig } from "../config.ts";
import type { PingIntegration } from "../health/healthMonitor.ts";
import type { EngineLogger } from "../observe/logger.ts";
import type { EngineMetrics } from "../observe/metrics.ts";
import { CoalescedTask } from "../run/coalesced.ts";
import type { AttemptResult } from "../run/executeRun.ts";
import { checkHealth, reapExpired, tickReconciliations, tickScheduler } from "../run/housekeeping.ts";
import { InFlightRunner } from "../run/inFlight.ts";
import type { TickResult } from "../schedule/scheduler.ts";
import type { RunExecutor } from "../types.ts";
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

/**
 * One bounded pass of the Edge Function worker — not the Node worker's endless loop: reap expired
 * leases, tick the scheduler, claim up to `concurrency` runs and execute them with the same
 * {@link InFlightRunner} (and executor) as the Node worker, heartbeating their leases; as runs finish,
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
  readonly #runs: InFlightRunner;
  readonly #claim = new CoalescedTask(
    () => this.#claimOnce(),
    () => this.claiming,
    () => this.#signalIdle(),
  );
  readonly #results: Partial<Record<AttemptResult, number>> = {};
  #draining = false;
  #wakeIdle: (() => void) | null = null;
  #giveUpNow: (() => void) | null = null;

  constructor(deps: SessionDeps) {
    this.#deps = deps;
    this.workerId = deps.workerId;
    this.#runs = new InFlightRunner({
      ...deps,
      leaseSeconds: deps.budget.leaseSeconds,
      onSettled: (result) => {
        this.#results[result] = (this.#results[result] ?? 0) + 1;
        this.wake();
        this.#signalIdle();
      },
    });
    this.done = this.#run();
  }

  /** True while a request may still add work to this session (before the claim window closes). */
  get claiming(): boolean {
    return !this.#draining && Date.now() < this.#deps.deadlines.claimUntil;
  }

  /** Claims again now (another dispatch arrived while this session runs). */
  wake(): void {
    this.#claim.trigger();
  }

  /** Drains now: no more claims; what runs is aborted at its next safe point and released. */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#runs.drain();
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
    const beat = setInterval(() => void this.#runs.heartbeat(), deps.budget.heartbeatSeconds * 1000);
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
      claimed: this.#runs.claimed,
      results: this.#results,
      abandoned,
      duration_ms: Date.now() - started,
    };
    deps.log.info({ event: "edge_session_ended", ...summary });
    return summary;
  }

  /** Resolves once no claim is in progress and nothing is in flight. */
  async #idle(): Promise<void> {
    while (this.#claim.running || this.#runs.size > 0) {
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
      return await reapExpired(this.#deps);
    } catch (error) {
      this.#deps.log.error({ event: "reap_failed", error: String(error) });
      return 0;
    }
  }

  async #tick(): Promise<TickResult | null> {
    const ticked = await tickScheduler(this.#deps, (this.#deps.now ?? (() => new Date()))());
    await tickReconciliations(this.#deps);
    return ticked;
  }

  async #healthChecks(ping: PingIntegration): Promise<number> {
    const deps = this.#deps;
    // A ping may take until the drain point, never longer (adapter default would be 30 s).
    const timeoutMs = Math.min(10_000, deps.deadlines.drainAt - Date.now());
    if (timeoutMs < 1_000) return 0;
    const { db, log, metrics, config } = deps;
    return await checkHealth({ db, ping, log, metrics, config, timeoutMs });
  }

  async #claimOnce(): Promise<void> {
    try {
      await this.#runs.fill(this.#deps.budget.concurrency, () => this.claiming);
    } catch (error) {
      this.#deps.log.error({ event: "claim_failed", error: String(error) });
    }
  }

  /**
   * The give-up point: an executor is still inside a send (or ignores its signal). Release its
   * run now, fenced by worker id; when the send returns, its record call is refused (run_not_held)
   * and the per-integration in-flight markers make the next attempt look the batch up before
   * sending anything again, so the effect stays exactly-once.
   */
  async #abandon(): Promise<number> {
    const ids = this.#runs.runIds;
    this.#deps.log.warn({ event: "edge_give_up", runs: ids });
    try {
      return await this.#runs.releaseAll();
    } catch (error) {
      this.#deps.log.error({ event: "release_failed", runs: ids, error: String(error) });
      return 0;
    }
  }
}
