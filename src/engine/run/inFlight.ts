import type { Db } from "../../db/types.ts";
import type { WorkerConfig } from "../config.ts";
import type { EngineLogger } from "../observe/logger.ts";
import type { EngineMetrics } from "../observe/metrics.ts";
import { checkDrift } from "../schedule/driftCheck.ts";
import type { ClaimedRun, RunExecutor } from "../types.ts";
import { Completer } from "./completer.ts";
import { type AbortReason, type AttemptResult, executeRun } from "./executeRun.ts";
import { claimRuns, heartbeatRuns, releaseRuns } from "./runStore.ts";
import { startEach } from "./startEach.ts";

export interface InFlightDeps {
  db: Db;
  executor: RunExecutor;
  workerId: string;
  config: Pick<WorkerConfig, "backoffBaseSeconds" | "backoffCapSeconds" | "driftAlertSeconds">;
  /** Lease taken at claim and renewed by every heartbeat. */
  leaseSeconds: number;
  log: EngineLogger;
  metrics: EngineMetrics;
  /** Called once per run, after its attempt ended and it left the set (claim more, count results). */
  onSettled?: (result: AttemptResult) => void;
}

interface Entry {
  controller: AbortController;
  done: Promise<AttemptResult>;
}

/**
 * The runs one worker holds: claims them, executes each with {@link executeRun}, renews their
 * leases in one statement, aborts them (cancellation asked, lease lost, shutdown) and releases
 * what is left. The Node worker's endless loop and the Edge Function's bounded session both drive
 * one of these; they differ only in when they claim and when they stop.
 *
 * @example
 * const runner = new InFlightRunner({ db, executor, workerId, config, leaseSeconds: 60, log, metrics });
 * await runner.fill(4, () => true);
 * setInterval(() => void runner.heartbeat(), 15_000);
 * runner.drain();
 * await runner.idle();
 */
export class InFlightRunner {
  readonly #deps: InFlightDeps;
  readonly #completer: Completer;
  readonly #runs = new Map<string, Entry>();
  #idle: Array<() => void> = [];
  #draining = false;
  #claimed = 0;

  constructor(deps: InFlightDeps) {
    this.#deps = deps;
    this.#completer = new Completer(deps.db, deps.workerId);
  }

  /** Runs executing now. */
  get size(): number {
    return this.#runs.size;
  }

  /** Runs claimed since this runner was made. */
  get claimed(): number {
    return this.#claimed;
  }

  /** Ids of the runs executing now. */
  get runIds(): string[] {
    return [...this.#runs.keys()];
  }

  /**
   * Claims runs until `limit` execute at once, asking `canClaim` before every claim; claims again
   * while a claim comes back full. Throws what the claim threw.
   */
  async fill(limit: number, canClaim: () => boolean): Promise<void> {
    for (;;) {
      const capacity = limit - this.#runs.size;
      if (capacity <= 0 || !canClaim()) return;
      const runs = await claimRuns(this.#deps.db, this.#deps.workerId, capacity, this.#deps.leaseSeconds);
      // A run whose start throws is parked; the rest of the batch still starts.
      await startEach(this.#deps.db, runs, (run) => this.#start(run), this.#deps.log);
      if (runs.length < capacity) return;
    }
  }

  #start(run: ClaimedRun): void {
    const deps = this.#deps;
    this.#claimed++;
    const controller = new AbortController();
    const latency = (new Date(run.heartbeat_at).getTime() - new Date(run.run_after).getTime()) / 1000;
    deps.metrics.runClaimed(run.integration_type, run.triggered_by, Math.max(0, latency));
    if (run.attempt === 1 && run.drift_ms !== null) void checkDrift(deps, run);
    // Claimed after the drain began (a claim racing the drain): release at the first safe point.
    if (this.#draining) controller.abort("shutdown" satisfies AbortReason);
    const done = executeRun({ ...deps, complete: (r, n) => this.#completer.complete(r, n) }, run, controller)
      .catch((error: unknown) => {
        // Recording the outcome failed (database down): the lease expires and the reaper returns
        // the run; nothing is lost.
        deps.log.error({ event: "run_record_failed", run_id: run.id, error: String(error) });
        return "lost" as const;
      })
      .then((result) => {
        this.#runs.delete(run.id);
        deps.onSettled?.(result);
        if (this.#runs.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
        return result;
      });
    this.#runs.set(run.id, { controller, done });
  }

  /**
   * Renews every held lease in one statement: a run no longer held is aborted as `lease_lost`, one
   * whose cancellation was asked as `cancelled`. A failed heartbeat only logs: the lease still has
   * (lease − heartbeat interval) seconds and the next beat may succeed.
   */
  async heartbeat(): Promise<void> {
    if (this.#runs.size === 0) return;
    const ids = this.runIds;
    try {
      const held = await heartbeatRuns(this.#deps.db, this.#deps.workerId, ids, this.#deps.leaseSeconds);
      const heldIds = new Set(held.map((h) => h.run_id));
      for (const h of held) if (h.cancel_requested) this.#abort(h.run_id, "cancelled");
      for (const id of ids) if (!heldIds.has(id)) this.#abort(id, "lease_lost");
    } catch (error) {
      this.#deps.log.warn({ event: "heartbeat_failed", runs: ids.length, error: String(error) });
    }
  }

  /** Aborts every run, and every run claimed from now on, as `shutdown`: each is released to pending at its next safe point. */
  drain(): void {
    this.#draining = true;
    for (const id of this.#runs.keys()) this.#abort(id, "shutdown");
  }

  #abort(runId: string, reason: AbortReason): void {
    const entry = this.#runs.get(runId);
    if (!entry || entry.controller.signal.aborted) return;
    this.#deps.log.info({ event: "run_abort", run_id: runId, reason });
    entry.controller.abort(reason);
  }

  /** Resolves once nothing is executing. */
  idle(): Promise<void> {
    if (this.#runs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Hands every run still executing back to pending without waiting for it, fenced by worker id
   * (an executor inside a send, or ignoring its signal). When it returns, its record call is
   * refused (run_not_held). Returns how many were released.
   */
  async releaseAll(): Promise<number> {
    return (await releaseRuns(this.#deps.db, this.#deps.workerId, this.runIds)).length;
  }
}
