// @vitest-environment jsdom
import "@testing-library/jest-dom/vitest";
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { ColdStart, Integration } from "../../src/client/index.ts";
import { ColdStarts } from "../../web/src/ColdStarts.tsx";

afterEach(cleanup);

const integration = (id: string, integrationType: Integration["integrationType"]): Integration => ({
  id,
  orgId: "d0000000-0000-4000-8000-000000000001",
  integrationType,
  enabled: true,
  scheduleCron: "0 2 * * *",
  scheduleTimezone: "Europe/Oslo",
  nextRunAt: null,
  healthStatus: "healthy",
  healthMode: "active",
  healthCheckedAt: null,
  healthLastError: null,
  reconcileCron: null,
  nextReconcileAt: null,
});
const incident = (id: number, integrationId: string, prewarmSentAt: string | null): ColdStart => ({
  id,
  occurredAt: `2026-11-30T02:0${id}:00.000Z`,
  kind: "dispatch",
  integrationId,
  runId: null,
  isolateAgeMs: 700 + id,
  prewarmSentAt,
});

describe("<ColdStarts>", () => {
  const xledger = integration("e1", "xledger");
  const dynamics = integration("e2", "dynamics");

  it("shows each integration's count and its latest incident, and whether a warm-up preceded it", () => {
    render(
      <ColdStarts
        coldStarts={[
          incident(3, "e1", null),
          incident(2, "e1", "2026-11-30T02:01:30.000Z"),
          incident(1, "e2", "x"),
        ]}
        integrations={[xledger, dynamics]}
        locale="en"
      />,
    );
    const items = screen.getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent("Xledger · 2 cold starts");
    expect(items[0]).toHaveTextContent("703 ms · no warm-up before it");
    expect(items[1]).toHaveTextContent("Dynamics 365 Business Central · 1 cold start");
    expect(items[1]).toHaveTextContent("a warm-up was sent before it");
  });

  it("says so when there are none, in bokmål too", () => {
    render(<ColdStarts coldStarts={[]} integrations={[xledger]} locale="nb" />);
    expect(screen.getByRole("heading", { name: "Kaldstarter i Edge Function" })).toBeInTheDocument();
    expect(screen.queryAllByRole("listitem")).toHaveLength(0);
    expect(screen.getByText(/Ingen kaldstarter registrert/)).toBeInTheDocument();
  });
});
