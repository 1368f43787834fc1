import type { Queryable } from "../../db/types.ts";
import type { ClaimedRun } from "../types.ts";
import { completeRuns } from "./runStore.ts";

// After the I/O callbacks of this event-loop turn, so every run ending in it joins the batch.
// setTimeout(0) would wait ≥ 1 ms (Node clamps it) — a millisecond added to every claim →
// complete cycle (at concurrency 10 with no-op runs: 3,765 → 7,043 runs/s, docs/benchmarks.md).
// Node and Deno both have setImmediate; a runtime without it gets the timer.
const afterThisTurn: (fn: () => void) => void =
  typeof globalThis.setImmediate === "function" ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

interface Pending {
  run: ClaimedRun;
  recordsExported: number;
  resolve(completed: boolean): void;
  reject(error: unknown): void;
}

/**
 * Batches completions: every run finishing in the same turn of the event loop is completed by
 * one `complete_runs` statement (graphile-worker's completeJobs idea). With many short runs this
 * is the difference between a round trip per run and one per batch.
 */
export class Completer {
  #queue: Pending[] = [];
  #scheduled = false;

  readonly #db: Queryable;
  readonly #workerId: string;

  constructor(db: Queryable, workerId: string) {
    this.#db = db;
    this.#workerId = workerId;
  }

  /** Resolves true when the run was completed, false when this worker no longer held it. */
  complete(run: ClaimedRun, recordsExported: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ run, recordsExported, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        afterThisTurn(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    if (batch.length === 0) return;
    try {
      const done = await completeRuns(
        this.#db,
        this.#workerId,
        batch.map((p) => ({ id: p.run.id, attempt: p.run.attempt, recordsExported: p.recordsExported })),
      );
      for (const p of batch) p.resolve(done.has(p.run.id));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}
