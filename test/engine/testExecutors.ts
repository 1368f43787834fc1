import type { RunExecutor, RunOutcome } from "../../src/engine/types.ts";

/** An executor that records what ran and returns `outcome` (default: success with 3 records). */
export function recordingExecutor(
  outcome: (attempt: number) => RunOutcome = () => ({ kind: "succeeded", recordsExported: 3 }),
) {
  const started: string[] = [];
  const concurrent = new Map<string, number>();
  let maxConcurrentPerRun = 0;
  const executor: RunExecutor = async ({ run }) => {
    started.push(run.id);
    const n = (concurrent.get(run.id) ?? 0) + 1;
    concurrent.set(run.id, n);
    maxConcurrentPerRun = Math.max(maxConcurrentPerRun, n);
    await new Promise((r) => setTimeout(r, 5));
    concurrent.set(run.id, (concurrent.get(run.id) ?? 1) - 1);
    return outcome(run.attempt);
  };
  return { executor, started, maxConcurrent: () => maxConcurrentPerRun };
}

/** An executor that runs until its signal aborts (or finds it aborted), then throws the abort reason. */
export function blockingExecutor() {
  const started: string[] = [];
  const executor: RunExecutor = ({ run, signal }) => {
    started.push(run.id);
    return new Promise((_, reject) => {
      const abort = () => reject(new Error(`aborted: ${String(signal.reason)}`));
      // Aborted before it started (claimed during a drain): a real executor checks at its first safe point.
      if (signal.aborted) abort();
      signal.addEventListener("abort", abort, { once: true });
    });
  };
  return { executor, started };
}
