// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, configure, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it, vi } from "vitest";
import { type ReconciliationSource, SyncError } from "../../src/client/index.ts";
import { SyncSchedulerProvider, useFindingAction, useReconciliationFindings } from "../../src/react/index.ts";
import { FakeSource } from "./fakeSource.ts";

// How long findBy*/waitFor keep looking before giving up (1 s by default): a loaded CI machine
// may take longer to re-render; it never decides what passes.
configure({ asyncUtilTimeout: 10_000 });

function wrapper(source: FakeSource) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>
      <SyncSchedulerProvider repository={source}>{children}</SyncSchedulerProvider>
    </QueryClientProvider>
  );
}

/** Reconciliation answers on top of the run fake; every method a spy. */
function withReconciliation(): FakeSource & ReconciliationSource {
  return Object.assign(new FakeSource(), {
    reconcileIntegration: vi.fn(async () => "run"),
    listReconciliations: vi.fn(async () => []),
    listReconciliationFindings: vi.fn(async () => []),
    listReconciliationTotals: vi.fn(async () => []),
    requeueReconciliationFinding: vi.fn(async () => {}),
    acknowledgeReconciliationFinding: vi.fn(async () => {
      throw new SyncError("invalid_note", { status: 400, details: { operation: "finding" } });
    }),
  });
}

describe("reconciliation hooks", () => {
  it("say which method is missing when the provider's repository is not a SyncSchedulerRepository", () => {
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(() => renderHook(() => useFindingAction(), { wrapper: wrapper(new FakeSource()) })).toThrow(
      "the SyncSchedulerProvider's repository has no reconcileIntegration: pass a SyncSchedulerRepository",
    );
    quiet.mockRestore();
  });

  it("read findings narrowed by run, and report a refused action as an error state with its code", async () => {
    const source = withReconciliation();
    const { result } = renderHook(
      () => ({ findings: useReconciliationFindings("org", { runId: "r1" }), action: useFindingAction() }),
      { wrapper: wrapper(source) },
    );
    await waitFor(() => expect(result.current.findings).toEqual({ status: "data", data: [] }));
    expect(source.listReconciliationFindings).toHaveBeenCalledWith("org", { runId: "r1" });

    await act(() => result.current.action.requeue("org", "f1"));
    expect(source.requeueReconciliationFinding).toHaveBeenCalledWith("org", "f1");
    // TanStack publishes a mutation's result through its notify batch, after the promise settles.
    await waitFor(() => expect(result.current.action.state).toEqual({ status: "data", data: "f1" }));
    // Settling an action refetches the findings.
    await waitFor(() => expect(source.listReconciliationFindings).toHaveBeenCalledTimes(2));

    await act(() => result.current.action.acknowledge("org", "f2", "").catch(() => {}));
    await waitFor(() => expect(result.current.action.state.status).toBe("error"));
    const state = result.current.action.state;
    if (state.status === "error")
      expect(state.error.userMessage("en")).toBe("Write a note of 1 to 500 characters.");
  });
});
