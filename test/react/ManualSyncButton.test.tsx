// @vitest-environment jsdom
import "@testing-library/jest-dom/vitest";
import { act, cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SyncTriggerError } from "../../src/client/index.ts";
import { ManualSyncButton } from "../../src/react/index.ts";
import { FakeSource, makeRun } from "./fakeSource.ts";
import { renderWith } from "./render.tsx";

afterEach(cleanup);

const button = () => screen.getByRole("button", { name: "Sync now" });

/** Presses the button and waits until the trigger reached the repository (the mutation starts on a microtask). */
async function press(source: FakeSource, target: HTMLElement = button()) {
  const before = source.triggers.length;
  fireEvent.click(target);
  await waitFor(() => expect(source.triggers).toHaveLength(before + 1));
  return source.triggers[before] as FakeSource["triggers"][number];
}

describe("<ManualSyncButton>", () => {
  it("shows a progress indicator and is disabled while the trigger is in flight and while its run is active", async () => {
    const source = new FakeSource();
    const onRunIdChange = vi.fn();
    renderWith(
      source,
      <ManualSyncButton orgId="org-1" integrationType="xledger" onRunIdChange={onRunIdChange} />,
    );
    expect(button()).toBeEnabled();
    expect(screen.queryByRole("progressbar")).toBeNull();

    fireEvent.click(button());
    await screen.findByRole("progressbar", { name: "Sync in progress" });
    expect(button()).toBeDisabled();
    expect(source.triggers).toHaveLength(1);
    expect(source.triggers[0]).toMatchObject({ orgId: "org-1", integrationType: "xledger" });

    source.runs.set("run-1", makeRun({ id: "run-1", status: "pending" }));
    await act(async () => source.triggers[0]?.resolve("run-1"));
    expect(onRunIdChange).toHaveBeenCalledWith("run-1");
    await waitFor(() => expect(source.watching("run-1")).toBe(1));
    expect(screen.getByRole("progressbar")).toBeInTheDocument();
    expect(button()).toBeDisabled();

    act(() =>
      source.emit(makeRun({ id: "run-1", status: "running", updatedAt: "2026-11-29T10:00:01.000Z" })),
    );
    expect(screen.getByRole("progressbar")).toBeInTheDocument();
    expect(button()).toBeDisabled();

    act(() =>
      source.emit(makeRun({ id: "run-1", status: "succeeded", updatedAt: "2026-11-29T10:00:02.000Z" })),
    );
    await waitFor(() => expect(screen.queryByRole("progressbar")).toBeNull());
    expect(button()).toBeEnabled();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("is disabled with a progress indicator while a run it is given (e.g. a scheduled one) is running", async () => {
    const source = new FakeSource();
    source.runs.set("sched-1", makeRun({ id: "sched-1", status: "running", triggeredBy: "scheduled" }));
    renderWith(source, <ManualSyncButton orgId="org-1" integrationType="dynamics" runId="sched-1" />);
    await screen.findByRole("progressbar");
    expect(button()).toBeDisabled();
    act(() =>
      source.emit(makeRun({ id: "sched-1", status: "failed", updatedAt: "2026-11-29T10:05:00.000Z" })),
    );
    await waitFor(() => expect(button()).toBeEnabled());
  });

  it("attaches to the active run on sync_already_in_progress instead of showing an error", async () => {
    const source = new FakeSource();
    const onRunIdChange = vi.fn();
    source.runs.set("active-9", makeRun({ id: "active-9", status: "running" }));
    renderWith(
      source,
      <ManualSyncButton orgId="org-1" integrationType="xledger" onRunIdChange={onRunIdChange} />,
    );
    const pending = await press(source);
    await act(async () =>
      pending.reject(
        new SyncTriggerError("sync_already_in_progress", {
          status: 409,
          details: { activeRunId: "active-9" },
        }),
      ),
    );
    expect(onRunIdChange).toHaveBeenCalledWith("active-9");
    await waitFor(() => expect(source.watching("active-9")).toBe(1));
    expect(screen.getByRole("progressbar")).toBeInTheDocument();
    expect(button()).toBeDisabled();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("on rate_limited says when it can be pressed again, and stays disabled until then", async () => {
    const source = new FakeSource();
    renderWith(source, <ManualSyncButton orgId="org-1" integrationType="xledger" />);
    const pending = await press(source);
    const retryAt = new Date(Date.now() + 240_000);
    await act(async () =>
      pending.reject(
        new SyncTriggerError("rate_limited", { status: 429, details: { retryAfterSeconds: 240, retryAt } }),
      ),
    );
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("A sync was started less than 5 minutes ago. Try again in 4 minutes.");
    const time = new Intl.DateTimeFormat("en-GB", { timeStyle: "medium" }).format(retryAt);
    expect(alert).toHaveTextContent(`"Sync now" can be pressed again at ${time}.`);
    expect(button()).toBeDisabled();
    expect(button()).toHaveAttribute("aria-describedby", alert.id);
    expect(screen.queryByRole("progressbar")).toBeNull();
  });

  it("shows other refusals in the provider's locale, looked up from the code", async () => {
    const source = new FakeSource();
    renderWith(source, <ManualSyncButton orgId="org-1" integrationType="xledger" />, "nb");
    const nbButton = screen.getByRole("button", { name: "Synkroniser nå" });
    const pending = await press(source, nbButton);
    await act(async () =>
      pending.reject(new SyncTriggerError("permission_denied", { status: 403, message: "ignored text" })),
    );
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "Du har ikke tilgang til å starte en synkronisering. Bare administratorer og koordinatorer kan det.",
    );
    expect(nbButton).toBeEnabled();
  });

  it("is disabled with an explanation when the user may not trigger", () => {
    const source = new FakeSource();
    renderWith(source, <ManualSyncButton orgId="org-1" integrationType="xledger" disabled />);
    expect(button()).toBeDisabled();
    expect(button()).toHaveAccessibleDescription("Only administrators and coordinators can start a sync.");
    fireEvent.click(button());
    expect(source.triggers).toHaveLength(0);
  });
});
