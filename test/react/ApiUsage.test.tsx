// @vitest-environment jsdom
import "@testing-library/jest-dom/vitest";
import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Integration } from "../../src/client/index.ts";
import { ApiUsage } from "../../web/src/ApiUsage.tsx";

afterEach(cleanup);

const integration = (id: string, integrationType: "xledger" | "dynamics"): Integration => ({
  id,
  orgId: "o",
  integrationType,
  enabled: true,
  scheduleCron: null,
  scheduleTimezone: "Europe/Oslo",
  nextRunAt: null,
  healthStatus: "healthy",
  healthMode: "active",
  healthCheckedAt: null,
  healthLastError: null,
  reconcileCron: null,
  nextReconcileAt: null,
});

describe("<ApiUsage> (dashboard panel)", () => {
  it("shows each integration's requests this month by purpose, with a total", () => {
    render(
      <ApiUsage
        locale="en"
        integrations={[integration("x", "xledger"), integration("d", "dynamics")]}
        usage={[
          { integrationId: "x", month: "2026-11-01", purpose: "export", requests: 1200 },
          { integrationId: "x", month: "2026-11-01", purpose: "lookup", requests: 4 },
          { integrationId: "x", month: "2026-11-01", purpose: "ping", requests: 37 },
          { integrationId: "x", month: "2026-11-01", purpose: "reconcile", requests: 12 },
        ]}
      />,
    );
    const table = within(screen.getByRole("region", { name: "API requests this month" })).getByRole("table");
    const row = within(table).getByRole("row", { name: /Xledger/ });
    expect(
      within(row)
        .getAllByRole("cell")
        .map((c) => c.textContent),
    ).toEqual(["1,200", "4", "12", "37", "0", "1,253"]);
    // No requests, no row.
    expect(within(table).queryByRole("row", { name: /Business Central/ })).toBeNull();
  });

  it("says so when nothing was requested, in Norwegian too", () => {
    render(<ApiUsage locale="nb" integrations={[integration("x", "xledger")]} usage={[]} />);
    expect(screen.getByRole("region", { name: "API-kall denne måneden" })).toHaveTextContent(
      "Ingen kall til regnskapssystemene denne måneden.",
    );
  });
});
