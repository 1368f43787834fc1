// @vitest-environment jsdom
import "@testing-library/jest-dom/vitest";
import { act, cleanup, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { SyncStatusBanner } from "../../src/react/index.ts";
import { FakeSource, makeRun } from "./fakeSource.ts";
import { renderWith } from "./render.tsx";

afterEach(cleanup);

describe("<SyncStatusBanner>", () => {
  it("is a polite live region that follows the run Pending → Running → Succeeded, then stops watching", async () => {
    const source = new FakeSource();
    source.runs.set("r1", makeRun({ id: "r1", status: "pending" }));
    renderWith(source, <SyncStatusBanner runId="r1" label="Xledger sync status" />);
    const banner = screen.getByRole("status", { name: "Xledger sync status" });
    expect(banner).toHaveAttribute("aria-live", "polite");
    await waitFor(() => expect(banner).toHaveTextContent("Pending"));
    expect(banner).toHaveTextContent("Queued");
    await waitFor(() => expect(source.watching("r1")).toBe(1));

    act(() =>
      source.emit(
        makeRun({ id: "r1", status: "running", startedAt: "2026-11-29T10:00:01.000Z", recordsExported: 4 }),
      ),
    );
    // TanStack Query notifies subscribers on a macrotask: wait (bounded) for the render.
    await waitFor(() => expect(banner).toHaveTextContent("Running"));
    expect(banner).toHaveTextContent("4 records exported");
    expect(banner).toHaveTextContent("Started");
    expect(banner).toHaveAttribute("data-status", "running");

    act(() =>
      source.emit(
        makeRun({
          id: "r1",
          status: "succeeded",
          startedAt: "2026-11-29T10:00:01.000Z",
          finishedAt: "2026-11-29T10:00:03.000Z",
          recordsExported: 12,
        }),
      ),
    );
    await waitFor(() => expect(banner).toHaveTextContent("Succeeded"));
    expect(banner).toHaveTextContent("12 records exported");
    expect(banner).toHaveTextContent("Finished");
    // The same element throughout: a live region replaced on each change would not be announced.
    expect(screen.getByRole("status")).toBe(banner);
    await waitFor(() => expect(source.watching("r1")).toBe(0));
  });

  it("shows a failed run's error message, and Cancelled", async () => {
    const source = new FakeSource();
    source.runs.set(
      "f1",
      makeRun({ id: "f1", status: "failed", errorCode: "auth", errorMessage: "Xledger rejected the token" }),
    );
    source.runs.set("c1", makeRun({ id: "c1", status: "cancelled" }));
    renderWith(
      source,
      <>
        <SyncStatusBanner runId="f1" label="failed" />
        <SyncStatusBanner runId="c1" label="cancelled" />
      </>,
    );
    const failed = screen.getByRole("status", { name: "failed" });
    await waitFor(() => expect(failed).toHaveTextContent("Failed"));
    expect(failed).toHaveTextContent("Error: Xledger rejected the token");
    await waitFor(() =>
      expect(screen.getByRole("status", { name: "cancelled" })).toHaveTextContent("Cancelled"),
    );
    // Terminal already on the first read: nothing to watch.
    expect(source.watching("f1")).toBe(0);
  });

  it("speaks Norwegian, and says so when there is no run or it cannot be found", async () => {
    const source = new FakeSource();
    source.runs.set("s1", makeRun({ id: "s1", status: "succeeded", recordsExported: 1 }));
    renderWith(
      source,
      <>
        <SyncStatusBanner runId="s1" label="a" />
        <SyncStatusBanner runId={null} label="b" />
        <SyncStatusBanner runId="missing" label="c" />
      </>,
      "nb",
    );
    await waitFor(() => expect(screen.getByRole("status", { name: "a" })).toHaveTextContent("Fullført"));
    expect(screen.getByRole("status", { name: "a" })).toHaveTextContent("1 post eksportert");
    expect(screen.getByRole("status", { name: "b" })).toHaveTextContent(
      "Ingen synkronisering har kjørt ennå.",
    );
    await waitFor(() =>
      expect(screen.getByRole("status", { name: "c" })).toHaveTextContent(
        "Fant ikke denne synkroniseringen.",
      ),
    );
  });
});
