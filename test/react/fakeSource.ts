import type { IntegrationType, SyncRun, SyncRunSource } from "../../src/client/index.ts";

/**
 * A repository whose answers the test hands out by hand: the trigger stays in flight until the
 * test settles it, and run changes arrive when the test emits them. The real repository is tested
 * against the gateway in test/client and end to end in test/browser; here the components' states
 * are what is under test.
 */
export class FakeSource implements SyncRunSource {
  readonly runs = new Map<string, SyncRun>();
  readonly triggers: Array<{
    orgId: string;
    integrationType: IntegrationType;
    resolve: (runId: string) => void;
    reject: (error: unknown) => void;
  }> = [];
  private readonly watchers = new Map<string, Set<(run: SyncRun) => void>>();

  triggerManualSync(orgId: string, integrationType: IntegrationType): Promise<string> {
    return new Promise((resolve, reject) => this.triggers.push({ orgId, integrationType, resolve, reject }));
  }

  async getRun(runId: string): Promise<SyncRun | null> {
    return this.runs.get(runId) ?? null;
  }

  watchRun(runId: string, onChange: (run: SyncRun) => void): () => void {
    const set = this.watchers.get(runId) ?? new Set();
    set.add(onChange);
    this.watchers.set(runId, set);
    return () => set.delete(onChange);
  }

  watching(runId: string): number {
    return this.watchers.get(runId)?.size ?? 0;
  }

  /** The engine changed the run: store it and tell every watcher. */
  emit(run: SyncRun): void {
    this.runs.set(run.id, run);
    for (const w of this.watchers.get(run.id) ?? []) w(run);
  }
}

/** A run row with defaults, overridden field by field. */
export function makeRun(overrides: Partial<SyncRun> & { id: string }): SyncRun {
  return {
    orgId: "org-1",
    integrationId: "int-1",
    integrationType: "xledger",
    kind: "export",
    status: "pending",
    triggeredBy: "manual",
    triggeredByUserId: "user-1",
    triggeredAt: "2026-11-29T10:00:00.000Z",
    scheduledFor: null,
    attempt: 0,
    maxAttempts: 5,
    startedAt: null,
    finishedAt: null,
    recordsExported: 0,
    errorCode: null,
    errorMessage: null,
    driftMs: null,
    skipReason: null,
    cancelRequestedAt: null,
    updatedAt: "2026-11-29T10:00:00.000Z",
    ...overrides,
  };
}
