import { type Db, pgError } from "../../db/types.ts";
import { isIntegrationError } from "../../integrations/errors.ts";
import type { WorkerConfig } from "../config.ts";
import { type EngineLogger, runBindings } from "../observe/logger.ts";
import type { EngineMetrics } from "../observe/metrics.ts";
import type { ClaimedRun, RunExecutor, RunOutcome } from "../types.ts";
import { failRun, finishCancelled, releaseRuns } from "./runStore.ts";

/** Why a worker aborted a run's signal. */
export type AbortReason = "cancelled" | "lease_lost" | "shutdown";

/** The state a run ended this attempt in, from this worker's point of view. */
export type AttemptResult = "succeeded" | "failed" | "pending" | "cancelled" | "released" | "lost";

export interface ExecuteDeps {
  db: Db;
  executor: RunExecutor;
  workerId: string;
  config: Pick<WorkerConfig, "backoffBaseSeconds" | "backoffCapSeconds">;
  log: EngineLogger;
  metrics: EngineMetrics;
  /** Completes a run (batched by the caller); resolves false when the run was no longer held. */
  complete(run: ClaimedRun, recordsExported: number): Promise<boolean>;
}

/** Turns whatever an executor threw into an outcome: IntegrationErrors keep their retry advice. */
export function errorToOutcome(error: unknown): RunOutcome {
  if (isIntegrationError(error)) {
    return error.retryable
      ? {
          kind: "retry",
          code: error.code,
          message: error.message,
          ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
        }
      : { kind: "failed", code: error.code, message: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "retry", code: "executor_error", message };
}

/**
 * Runs one attempt of one claimed run and records how it ended through the SQL core: the one
 * implementation the Node worker and the Edge Function share.
 */
export async function executeRun(
  deps: ExecuteDeps,
  run: ClaimedRun,
  controller: AbortController,
): Promise<AttemptResult> {
  const log = deps.log.child(runBindings(run));
  const started = Date.now();
  log.info({ event: "run_started", triggered_by: run.triggered_by });
  let outcome: RunOutcome;
  try {
    outcome = await deps.executor({
      run,
      db: deps.db,
      signal: controller.signal,
      log: (event) => log.info(event),
      metrics: deps.metrics,
    });
  } catch (error) {
    outcome = errorToOutcome(error);
  }
  // The executor's own time, before the outcome is recorded: the run is this attempt's alone
  // until the record commits, so no other attempt can start within [run_started, + work_ms].
  const workMs = Date.now() - started;

  let result: AttemptResult;
  try {
    result = await recordRetrying(deps, run, controller, outcome, log);
  } catch (error) {
    // The outcome could not be recorded (the database went away, say): the attempt is over all the
    // same — nothing more runs for it, its lease expires and the reaper returns the run. Said here,
    // or a reader of the log (the chaos suite) sees an attempt that never ended and overlaps the
    // next one (seen once: a PostgreSQL restart between the export and its record).
    log.info({
      event: "run_attempt_ended",
      result: "lost",
      outcome: outcome.kind,
      duration_ms: Date.now() - started,
      work_ms: workMs,
      error: String(error),
    });
    throw error;
  }
  const seconds = (Date.now() - started) / 1000;
  deps.metrics.runFinished(run.integration_type, run.triggered_by, result, seconds);
  log.info({
    event: "run_attempt_ended",
    result,
    outcome: outcome.kind,
    duration_ms: Math.round(seconds * 1000),
    work_ms: workMs,
  });
  return result;
}

// A statement chosen as a deadlock victim (40P01) or failed for serialization (40001) was rolled
// back whole, so recording the outcome again is safe: every record call is fenced by the attempt.
// Without this the outcome was lost and the run waited for its lease to expire to be retried.
const RECORD_RETRY_CODES = new Set(["40P01", "40001"]);
const RECORD_TRIES = 3;

async function recordRetrying(
  deps: ExecuteDeps,
  run: ClaimedRun,
  controller: AbortController,
  outcome: RunOutcome,
  log: EngineLogger,
): Promise<AttemptResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await record(deps, run, controller, outcome, log);
    } catch (error) {
      if (attempt >= RECORD_TRIES || !RECORD_RETRY_CODES.has(pgError(error)?.code ?? "")) throw error;
      log.warn({ event: "run_record_retried", attempt, error: String(error) });
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
    }
  }
}

async function record(
  deps: ExecuteDeps,
  run: ClaimedRun,
  controller: AbortController,
  outcome: RunOutcome,
  log: EngineLogger,
): Promise<AttemptResult> {
  const reason = controller.signal.aborted ? (controller.signal.reason as AbortReason) : null;
  // A run that finished its work before noticing the abort is completed all the same (unless
  // its lease is gone: then completion is refused by the fencing token anyway).
  if (outcome.kind === "succeeded" && reason !== "lease_lost") {
    return (await deps.complete(run, outcome.recordsExported)) ? "succeeded" : "lost";
  }
  if (reason === "lease_lost") {
    log.warn({ event: "run_lease_lost" });
    return "lost";
  }
  if (reason === "cancelled") {
    return (await finishCancelled(deps.db, deps.workerId, run)) ? "cancelled" : "lost";
  }
  if (reason === "shutdown") {
    const released = await releaseRuns(deps.db, deps.workerId, [run.id]);
    return released.length > 0 ? "released" : "lost";
  }
  if (outcome.kind === "succeeded") return "lost";
  if (outcome.kind === "retry") deps.metrics.runRetried(run.integration_type, outcome.code);
  if (outcome.code !== "executor_error") deps.metrics.externalApiError(run.integration_type, outcome.code);
  const status = await failRun(deps.db, deps.workerId, run, {
    code: outcome.code,
    message: outcome.message,
    retryable: outcome.kind === "retry",
    retryAfterSeconds: outcome.kind === "retry" ? outcome.retryAfterSeconds : undefined,
    chargeAttempt: outcome.kind === "retry" ? outcome.chargeAttempt : true,
    backoffBaseSeconds: deps.config.backoffBaseSeconds,
    backoffCapSeconds: deps.config.backoffCapSeconds,
  });
  if (status === null) return "lost";
  log[status === "failed" ? "error" : "warn"]({
    event: status === "failed" ? "run_failed" : "run_retry_scheduled",
    code: outcome.code,
    message: outcome.message,
  });
  return status === "failed" ? "failed" : "pending";
}
