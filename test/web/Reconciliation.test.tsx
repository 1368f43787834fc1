// @vitest-environment jsdom
import "@testing-library/jest-dom/vitest";
import { cleanup, configure, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type FindingStatus,
  type Integration,
  type IntegrationType,
  type ReconciliationFinding,
  type Reconciliation as ReconciliationRun,
  type ReconciliationSource,
  type ReconciliationTotal,
  SyncError,
} from "../../src/client/index.ts";
import { Reconciliation } from "../../web/src/Reconciliation.tsx";
import { FakeSource, makeRun } from "../react/fakeSource.ts";
import { renderWith } from "../react/render.tsx";

// How long findBy*/waitFor keep looking before giving up (1 s by default): a loaded CI machine
// may take longer to re-render; it never decides what passes.
configure({ asyncUtilTimeout: 10_000 });

/** The fake repository with reconciliation data the test sets, and a log of every action. */
class FakeReconciliation extends FakeSource implements ReconciliationSource {
  reconciliations: ReconciliationRun[] = [];
  findings: ReconciliationFinding[] = [];
  totals: ReconciliationTotal[] = [];
  readonly actions: string[] = [];
  reconcileAnswer: () => Promise<string> = async () => "new-run";
  findingReads = 0;

  reconcileIntegration(orgId: string, type: IntegrationType): Promise<string> {
    this.actions.push(`reconcile ${orgId} ${type}`);
    return this.reconcileAnswer();
  }
  async listReconciliations(_o: string, options: { integrationType?: IntegrationType } = {}) {
    return this.reconciliations.filter((r) => r.run.integrationType === options.integrationType);
  }
  async listReconciliationFindings(_o: string, options: { runId?: string } = {}) {
    this.findingReads++;
    return this.findings.filter((f) => f.runId === options.runId);
  }
  async listReconciliationTotals(_o: string, options: { runId?: string } = {}) {
    return this.totals.filter((t) => t.runId === options.runId);
  }
  async requeueReconciliationFinding(_o: string, id: string) {
    this.actions.push(`requeue ${id}`);
    this.setStatus(id, "requeued");
  }
  async acknowledgeReconciliationFinding(_o: string, id: string, note: string) {
    this.actions.push(`acknowledge ${id} ${note}`);
    this.setStatus(id, "acknowledged", note);
  }
  private setStatus(id: string, status: FindingStatus, note: string | null = null) {
    this.findings = this.findings.map((f) => (f.id === id ? { ...f, status, note } : f));
  }
}

const ORG = "org-1";
const integration: Integration = {
  id: "int-1",
  orgId: ORG,
  integrationType: "dynamics",
  enabled: true,
  scheduleCron: null,
  scheduleTimezone: "Europe/Oslo",
  nextRunAt: null,
  healthStatus: "healthy",
  healthMode: "active",
  healthCheckedAt: null,
  healthLastError: null,
  reconcileCron: "0 3 * * *",
  nextReconcileAt: null,
};
const reconciliation = (id: string, findings: number, periodStart = "2026-10-01"): ReconciliationRun => ({
  run: makeRun({
    id,
    integrationType: "dynamics",
    kind: "reconcile",
    status: "succeeded",
    finishedAt: "2026-11-30T03:00:05.000Z",
  }),
  periodStart,
  periodEnd: "2026-11-30",
  checked: 1000,
  findings,
  requests: 14,
  linesRead: 1000,
});
const finding = (id: string, kind: ReconciliationFinding["kind"]): ReconciliationFinding => ({
  id,
  runId: "rec-1",
  orgId: ORG,
  integrationType: "dynamics",
  ledgerEntryId: `entry-${id}`,
  kind,
  expected: {
    account: "6300",
    amount: "250.00",
    currency: "NOK",
    postingDate: "2026-11-15",
    voucherNumber: `V-${id}`,
    externalId: null,
    state: "journal",
  },
  actual:
    kind === "missing"
      ? null
      : {
          account: "6300",
          amount: "260.00",
          currency: "NOK",
          postingDate: "2026-11-15",
          voucherNumber: `V-${id}`,
          externalId: "x",
          state: "journal",
        },
  foundAt: "2026-11-30T03:00:04.000Z",
  status: "open",
  actedBy: null,
  actedAt: null,
  note: null,
});

let source: FakeReconciliation;
const blobs: Blob[] = [];
beforeEach(() => {
  source = new FakeReconciliation();
  blobs.length = 0;
  // jsdom has no object URLs; the link only needs one, the test reads the blob it was made from.
  URL.createObjectURL = vi.fn((blob: Blob) => {
    blobs.push(blob);
    return `blob:test/${blobs.length}`;
  });
  URL.revokeObjectURL = vi.fn();
});
afterEach(cleanup);

describe("<Reconciliation>", () => {
  it("shows a badge per period, the latest run's findings with their actions, and a CSV link", async () => {
    const running = {
      ...reconciliation("rec-2", 0, "2026-11-01"),
      run: makeRun({ id: "rec-2", kind: "reconcile", integrationType: "dynamics", status: "running" }),
      linesRead: 340,
    };
    source.reconciliations = [running, reconciliation("rec-1", 2), reconciliation("rec-0", 0, "2026-09-01")];
    source.findings = [finding("a", "missing"), finding("b", "amount_mismatch")];
    source.totals = [
      {
        runId: "rec-1",
        orgId: ORG,
        integrationType: "dynamics",
        periodMonth: "2026-11-01",
        account: "6300",
        currency: "NOK",
        ourTotal: "500.00",
        theirTotal: "260.00",
        ourEntries: 2,
        theirEntries: 1,
      },
    ];
    renderWith(source, <Reconciliation orgId={ORG} integrations={[integration]} canAct={true} locale="en" />);
    const region = screen.getByRole("article", { name: "Dynamics 365 Business Central reconciliation" });
    await within(region).findByText("2 differences");
    expect(region).toHaveTextContent("1 Oct 2026 – 30 Nov 2026: 2 differences");
    expect(within(region).getByText(/^Reconciled ✓ at /)).toBeInTheDocument();
    expect(region).toHaveTextContent("1 Sept 2026 – 30 Nov 2026");
    // A run still reading shows how far it got; the findings below stay the latest finished run's.
    expect(region).toHaveTextContent(
      "1 Nov 2026 – 30 Nov 2026: Reconciliation in progress · 340 lines read back",
    );

    const table = await within(region).findByRole("table", {
      name: "Dynamics 365 Business Central findings",
    });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("data-kind"))).toEqual(["missing", "amount_mismatch"]);
    expect(rows[0]).toHaveTextContent("Missing");
    expect(rows[1]).toHaveTextContent("250.00 NOK");
    expect(rows[1]).toHaveTextContent("260.00 NOK");
    // Re-queue only for the missing entry; acknowledge (with a note) only for the other.
    expect(within(rows[0] as HTMLElement).queryByRole("button", { name: "Acknowledge" })).toBeNull();
    expect(within(rows[1] as HTMLElement).queryByRole("button", { name: "Re-queue" })).toBeNull();
    const ack = within(rows[1] as HTMLElement).getByRole("button", { name: "Acknowledge" });
    expect(ack).toBeDisabled();
    fireEvent.change(within(rows[1] as HTMLElement).getByLabelText("Note"), {
      target: { value: " Rounding agreed with BC " },
    });
    fireEvent.click(ack);
    await within(table).findByText(/Acknowledged/);
    fireEvent.click(within(rows[0] as HTMLElement).getByRole("button", { name: "Re-queue" }));
    await within(table).findByText("Re-queued");
    expect(source.actions).toEqual(["acknowledge b Rounding agreed with BC", "requeue a"]);

    const link = within(region).getByRole("link", { name: "Download CSV" });
    expect(link).toHaveAttribute("download", "reconciliation-dynamics-2026-10-01-2026-11-30.csv");
    expect(link.getAttribute("href")).toMatch(/^blob:test\/\d+$/);
    const blob = blobs[Number(link.getAttribute("href")?.split("/").pop()) - 1];
    expect(blob?.type).toBe("text/csv;charset=utf-8");
    expect(await blob?.text()).toBe(
      "period,account,currency,our_total,their_total,difference,our_entries,their_entries,findings\r\n" +
        "2026-11,6300,NOK,500.00,260.00,240.00,2,1,1 missing; 1 amount_mismatch\r\n",
    );
  });

  it("tells a viewer why the button is off and never asks for findings", async () => {
    source.reconciliations = [reconciliation("rec-1", 2)];
    renderWith(
      source,
      <Reconciliation orgId={ORG} integrations={[integration]} canAct={false} locale="nb" />,
    );
    const region = screen.getByRole("article", { name: "Avstemming for Dynamics 365 Business Central" });
    await within(region).findByText("2 avvik");
    const button = within(region).getByRole("button", { name: "Avstem nå" });
    expect(button).toBeDisabled();
    expect(button).toHaveAccessibleDescription(
      "Bare administratorer og koordinatorer kan starte en avstemming.",
    );
    expect(within(region).queryByRole("table")).toBeNull();
    expect(within(region).queryByRole("link")).toBeNull();
    expect(source.findingReads).toBe(0);
  });

  it("Reconcile now follows the run it started, and says when it may be pressed again", async () => {
    source.runs.set(
      "new-run",
      makeRun({ id: "new-run", kind: "reconcile", integrationType: "dynamics", status: "pending" }),
    );
    renderWith(source, <Reconciliation orgId={ORG} integrations={[integration]} canAct={true} locale="en" />);
    const region = screen.getByRole("article", { name: "Dynamics 365 Business Central reconciliation" });
    await within(region).findByText("Not reconciled yet.");
    fireEvent.click(within(region).getByRole("button", { name: "Reconcile now" }));
    await within(region).findByRole("progressbar", { name: "Reconciliation in progress" });
    expect(within(region).getByRole("button", { name: "Reconciling…" })).toBeDisabled();
    source.emit(
      makeRun({ id: "new-run", kind: "reconcile", integrationType: "dynamics", status: "succeeded" }),
    );
    await waitFor(() => expect(within(region).queryByRole("progressbar")).toBeNull());

    source.reconcileAnswer = async () => {
      throw new SyncError("rate_limited", {
        status: 429,
        details: { retryAfterSeconds: 600, operation: "reconcile" },
      });
    };
    fireEvent.click(within(region).getByRole("button", { name: "Reconcile now" }));
    expect(await within(region).findByRole("alert")).toHaveTextContent(
      "A reconciliation of this integration was started less than 15 minutes ago. Try again in 10 minutes.",
    );
    expect(source.actions).toEqual(["reconcile org-1 dynamics", "reconcile org-1 dynamics"]);
  });
});
