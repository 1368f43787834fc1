import { createExportRun, type ExportRunOptions } from "../export/exportRun.ts";
import { createReconcileRun, type ReconcileRunOptions } from "../reconcile/reconcileRun.ts";
import type { RunExecutor } from "../types.ts";

/** Options of the executors {@link createRunExecutor} dispatches to. */
export interface RunExecutorOptions {
  export?: ExportRunOptions;
  reconcile?: ReconcileRunOptions;
}

/**
 * The executor the Node worker and the Edge Function share: `sync_run_log.kind` decides — `export` sends
 * entries (src/engine/export/), `reconcile` reads the books back (src/engine/reconcile/). Both kinds share
 * the one active slot per (org, integration type), so the two never run at once for one integration.
 *
 * @example
 * const executor = createRunExecutor({ export: { sendDeadlineMs: 60_000 } });
 */
export function createRunExecutor(options: RunExecutorOptions = {}): RunExecutor {
  const exportRun = createExportRun(options.export);
  const reconcileRun = createReconcileRun(options.reconcile);
  return (ctx) => (ctx.run.kind === "reconcile" ? reconcileRun(ctx) : exportRun(ctx));
}
