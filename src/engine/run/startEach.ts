import type { Queryable } from "../../db/types.ts";
import type { EngineLogger } from "../observe/logger.ts";
import type { ClaimedRun } from "../types.ts";
import { parkRun } from "./runStore.ts";

/**
 * Starts every claimed run of a batch; a run whose start throws is parked (failed with
 * `run_unprocessable` and a critical `parked` alert) and the rest of the batch still starts. Without
 * this, one bad row (say, a value the metrics or the executor set-up cannot take) left every run
 * after it in the batch `running` with nobody working on it until its lease expired, batch after
 * batch. Shared by the Node worker and the Edge Function.
 *
 * @example await startEach(db, runs, (run) => this.#startRun(run), log);
 */
export async function startEach(
  db: Queryable,
  runs: readonly ClaimedRun[],
  start: (run: ClaimedRun) => void,
  log: EngineLogger,
): Promise<void> {
  for (const run of runs) {
    try {
      start(run);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error({ event: "run_unprocessable", run_id: run.id, org_id: run.org_id, error: message });
      try {
        await parkRun(db, run.id, "run_unprocessable", `The worker could not start this run: ${message}`);
      } catch (parkError) {
        // The lease expires and the reaper takes the run back; the batch goes on either way.
        log.error({ event: "run_park_failed", run_id: run.id, error: String(parkError) });
      }
    }
  }
}
