import type { RunExecutor } from "../../src/engine/types.ts";

/**
 * The bench's no-op executor: succeeds at once, exports nothing. Registered by the bench only,
 * never by production code, so what is measured is the engine (claim, dispatch, complete), not
 * an accounting API.
 */
export const noopExecutor: RunExecutor = async () => ({ kind: "succeeded", recordsExported: 0 });
