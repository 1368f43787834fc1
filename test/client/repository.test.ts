import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type SyncError,
  SyncSchedulerRepository,
  SyncTriggerError,
  type SyncTriggerErrorCode,
} from "../../src/client/index.ts";
import { DEMO, type GatewayHarness, openGatewayHarness } from "../gateway/harness.ts";
import { testDbKinds } from "../helpers/db.ts";
import { ClientPool, type RecordedRequest, recordingFetch } from "./clients.ts";

/** Awaits a rejection and returns it, failing the test when the promise resolves instead. */
async function rejection<E>(promise: Promise<unknown>): Promise<E> {
  try {
    const value = await promise;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (error) {
    return error as E;
  }
}

// A gateway without a worker: runs stay pending, so conflicts and the rate limit are deterministic.
describe.each(testDbKinds())("SyncSchedulerRepository against the gateway on %s", (kind) => {
  let h: GatewayHarness;
  let pool: ClientPool;
  let coordinator: SyncSchedulerRepository;
  const requests: RecordedRequest[] = [];

  beforeAll(async () => {
    h = await openGatewayHarness(kind);
    pool = new ClientPool(h.gw.url, h.gw.anonKey);
    coordinator = new SyncSchedulerRepository(
      await pool.signedIn(DEMO.coordinator, { fetch: recordingFetch(requests) }),
    );
  });
  afterAll(async () => {
    await pool?.close();
    await h?.close();
  });

  const triggerError = (repo: SyncSchedulerRepository, orgId: string, type: string) =>
    rejection<SyncTriggerError>(repo.triggerManualSync(orgId, type as "xledger"));

  it("calls rpc trigger_integration_sync with the org and type by name and resolves the run id; then conflicts, cancels and rate-limits", async () => {
    requests.length = 0;
    const runId = await coordinator.triggerManualSync(DEMO.orgId, "xledger");
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    const rpc = requests.filter((r) => r.url.pathname.startsWith("/rest/v1/rpc/"));
    expect(rpc).toHaveLength(1);
    expect(rpc[0]?.method).toBe("POST");
    expect(rpc[0]?.url.pathname).toBe("/rest/v1/rpc/trigger_integration_sync");
    expect(rpc[0]?.body).toEqual({ org_id: DEMO.orgId, integration_type: "xledger" });

    const run = await coordinator.getRun(runId);
    expect(run).toMatchObject({
      id: runId,
      orgId: DEMO.orgId,
      integrationType: "xledger",
      status: "pending",
      triggeredBy: "manual",
      triggeredByUserId: DEMO.coordinatorId,
    });

    const busy = await triggerError(coordinator, DEMO.orgId, "xledger");
    expect(busy).toBeInstanceOf(SyncTriggerError);
    expect(busy).toMatchObject({ code: "sync_already_in_progress", status: 409 });
    expect(busy.details.activeRunId).toBe(runId);

    expect(await coordinator.cancelRun(runId)).toBe("cancelled");
    const cancelRpc = requests.filter((r) => r.url.pathname === "/rest/v1/rpc/cancel_integration_sync");
    expect(cancelRpc.map((r) => r.body)).toEqual([{ run_id: runId }]);
    const again = await rejection<SyncError>(coordinator.cancelRun(runId));
    expect(again).toMatchObject({ code: "run_not_active", status: 409 });
    expect(again.details.runStatus).toBe("cancelled");

    const before = Date.now();
    const limited = await triggerError(coordinator, DEMO.orgId, "xledger");
    expect(limited).toMatchObject({ code: "rate_limited", status: 429 });
    const seconds = limited.details.retryAfterSeconds ?? -1;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(300);
    expect(limited.details.retryAt?.getTime()).toBeGreaterThanOrEqual(before + seconds * 1000);
    expect(limited.userMessage("en")).toContain(`Try again in ${Math.ceil(seconds / 60)} minute`);
    expect(limited.userMessage("nb")).toContain(`Prøv igjen om ${Math.ceil(seconds / 60)} minutt`);

    const history = await coordinator.listRuns(DEMO.orgId, { integrationType: "xledger" });
    expect(history[0]).toMatchObject({ id: runId, status: "cancelled" });
  });

  it("maps each refusal of the RPC to its code, HTTP status and both locales' text", async () => {
    const viewer = new SyncSchedulerRepository(await pool.signedIn(DEMO.viewer));
    const other = new SyncSchedulerRepository(await pool.signedIn(DEMO.otherCoordinator));
    const anon = new SyncSchedulerRepository(pool.client());

    await h.t.db.query(
      "update public.organization_integrations set enabled = false where org_id = $1 and integration_type = 'xledger'",
      [DEMO.otherOrgId],
    );
    const cases: Array<[SyncTriggerErrorCode, number, Promise<SyncTriggerError>]> = [
      ["permission_denied", 401, triggerError(anon, DEMO.orgId, "xledger")],
      ["org_scope_violation", 403, triggerError(coordinator, DEMO.otherOrgId, "xledger")],
      ["permission_denied", 403, triggerError(viewer, DEMO.orgId, "xledger")],
      ["unknown_integration_type", 400, triggerError(coordinator, DEMO.orgId, "sap")],
      ["integration_not_configured", 404, triggerError(other, DEMO.otherOrgId, "dynamics")],
      ["integration_disabled", 409, triggerError(other, DEMO.otherOrgId, "xledger")],
    ];
    const seen = new Set<string>();
    for (const [code, status, pending] of cases) {
      const error = await pending;
      expect(error, code).toBeInstanceOf(SyncTriggerError);
      expect({ code: error.code, status: error.status }).toEqual({ code, status });
      const en = error.userMessage("en");
      const nb = error.userMessage("nb");
      expect(en).not.toBe(nb);
      seen.add(en);
    }
    // permission_denied twice, every other code its own text.
    expect(seen.size).toBe(cases.length - 1);
    await h.t.db.query(
      "update public.organization_integrations set enabled = true where org_id = $1 and integration_type = 'xledger'",
      [DEMO.otherOrgId],
    );
  });

  it("reports an unreachable server as network_error, and reads and cancel as typed SyncErrors", async () => {
    const offline = new SyncSchedulerRepository(pool.client({ url: "http://127.0.0.1:1" }));
    const error = await triggerError(offline, DEMO.orgId, "xledger");
    expect(error).toMatchObject({ code: "network_error", status: 0 });
    expect(error.userMessage("nb")).toContain("kontakt med serveren");
    expect(await rejection<SyncError>(offline.listRuns(DEMO.orgId))).toMatchObject({ code: "network_error" });

    expect(await coordinator.getRun("00000000-0000-4000-8000-000000000000")).toBeNull();
    const missing = await rejection<SyncError>(coordinator.cancelRun("00000000-0000-4000-8000-000000000000"));
    expect(missing).toMatchObject({ code: "run_not_found", status: 404 });
    expect(missing.userMessage("en")).toMatch(/not found/);
  });

  it("reads integrations, members, the organization and alerts under RLS", async () => {
    const integrations = await coordinator.listIntegrations(DEMO.orgId);
    expect(integrations.map((i) => i.integrationType).sort()).toEqual(["dynamics", "xledger"]);
    expect(integrations.find((i) => i.integrationType === "xledger")).toMatchObject({
      enabled: true,
      scheduleCron: "0 2 * * *",
      scheduleTimezone: "Europe/Oslo",
    });
    const members = await coordinator.listMembers(DEMO.orgId);
    expect(members.find((m) => m.userId === DEMO.coordinatorId)?.role).toBe("coordinator");
    expect(await coordinator.getOrganization(DEMO.orgId)).toEqual({ id: DEMO.orgId, name: "Demo Org" });
    expect(await coordinator.getOrganization(DEMO.otherOrgId)).toBeNull();
    expect(await coordinator.listIntegrations(DEMO.otherOrgId)).toEqual([]);
    await h.t.db.query(
      "insert into public.sync_alerts (org_id, kind, severity, message, details) values ($1, 'drift', 'warning', 'late', '{\"drift_ms\":360000}')",
      [DEMO.orgId],
    );
    const [alert] = await coordinator.listAlerts(DEMO.orgId);
    expect(alert).toMatchObject({
      kind: "drift",
      severity: "warning",
      message: "late",
      details: { drift_ms: 360000 },
    });
  });

  it("reads this month's API request tally of its own organization only", async () => {
    const integrations = await h.t.db.query<{ id: string; org_id: string }>(
      "select id, org_id from public.organization_integrations where org_id in ($1, $2) and integration_type = 'xledger'",
      [DEMO.orgId, DEMO.otherOrgId],
    );
    for (const row of integrations.rows) {
      await h.t.db.query('select sync_engine.count_api_requests($1, \'{"export": 3, "ping": 2}\', now())', [
        row.id,
      ]);
    }
    const usage = await coordinator.listApiUsage(DEMO.orgId);
    const own = integrations.rows.find((r) => r.org_id === DEMO.orgId)?.id;
    const now = new Date();
    const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, "0")}-01`;
    expect(usage).toEqual([
      { integrationId: own, month, purpose: "export", requests: 3 },
      { integrationId: own, month, purpose: "ping", requests: 2 },
    ]);
    expect(await coordinator.listApiUsage(DEMO.otherOrgId)).toEqual([]);
    expect(await coordinator.listApiUsage(DEMO.orgId, new Date(Date.UTC(2020, 0, 1)))).toEqual([]);
  });
});
