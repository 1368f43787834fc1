import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { workerConfigSchema } from "../../src/engine/config.ts";
import { runHealthChecks } from "../../src/engine/health/healthMonitor.ts";
import { decideHealth } from "../../src/engine/health/healthPolicy.ts";
import { pingIntegration } from "../../src/engine/health/pingIntegration.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { noMetrics } from "../../src/engine/observe/metrics.ts";
import { IntegrationError } from "../../src/integrations/errors.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { createScenario } from "../helpers/fixtures.ts";

const MIN = 60_000;
const now = new Date("2026-11-29T12:00:00Z");
const policy = { now, intervalMs: 15 * MIN, backoffCapMs: 6 * 60 * MIN };

describe("health policy", () => {
  it("pings every 15 minutes when healthy and never more often, whatever is configured", () => {
    expect(decideHealth({ ok: true, failuresBefore: 0, ...policy }).nextCheckAt).toEqual(
      new Date(now.getTime() + 15 * MIN),
    );
    expect(decideHealth({ ok: true, failuresBefore: 0, ...policy, intervalMs: MIN }).nextCheckAt).toEqual(
      new Date(now.getTime() + 15 * MIN),
    );
    expect(workerConfigSchema.safeParse({ healthIntervalSeconds: 60 }).success).toBe(false);
  });

  it("backs off exponentially after consecutive failures, capped, degraded then unhealthy", () => {
    const schedule = [0, 1, 2, 3, 4, 5, 6].map((failuresBefore) => {
      const d = decideHealth({ ok: false, errorCode: "server_error", failuresBefore, ...policy });
      return [(d.nextCheckAt.getTime() - now.getTime()) / MIN, d.status];
    });
    expect(schedule).toEqual([
      [30, "degraded"],
      [60, "degraded"],
      [120, "unhealthy"],
      [240, "unhealthy"],
      [360, "unhealthy"],
      [360, "unhealthy"],
      [360, "unhealthy"],
    ]);
  });

  it("switches to passive when pings are rate limited", () => {
    for (const code of ["rate_limited", "burst_limit", "concurrency_limit", "insufficient_credits"]) {
      expect(decideHealth({ ok: false, errorCode: code, failuresBefore: 0, ...policy }).mode).toBe("passive");
    }
    expect(decideHealth({ ok: false, errorCode: "timeout", failuresBefore: 0, ...policy }).mode).toBe(
      "active",
    );
  });
});

describe.each(testDbKinds())("health monitor on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let s: Awaited<ReturnType<typeof createScenario>>;
  const pinged: string[] = [];
  let failWith: Error | null = null;
  const deps = () => ({
    db,
    log: silentLogger,
    metrics: noMetrics,
    config: { healthIntervalSeconds: 900, healthBackoffCapSeconds: 21_600 },
    now: () => now,
    ping: async (i: { id: string }) => {
      pinged.push(i.id);
      if (failWith) throw failWith;
    },
  });
  const health = async (id: string) =>
    (
      await db.query<{
        health_status: string;
        health_mode: string;
        health_next_check_at: Date;
        health_consecutive_failures: number;
      }>(
        "select health_status, health_mode, health_next_check_at, health_consecutive_failures from public.organization_integrations where id = $1",
        [id],
      )
    ).rows[0];

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    // Park every other integration so only this test's are due.
    await db.query("update public.organization_integrations set health_next_check_at = 'infinity'");
    s = await createScenario(db);
    pinged.length = 0;
    failWith = null;
  });

  it("pings due integrations once, records healthy, and waits 15 minutes before the next ping", async () => {
    await runHealthChecks(deps());
    expect(pinged.sort()).toEqual([s.xledgerId, s.dynamicsId, s.otherXledgerId].sort());
    expect(await health(s.xledgerId)).toMatchObject({
      health_status: "healthy",
      health_next_check_at: new Date(now.getTime() + 15 * MIN),
    });
    await runHealthChecks(deps());
    expect(pinged).toHaveLength(3);
    const history = await db.query(
      "select ok from public.integration_health_checks where integration_id = $1",
      [s.xledgerId],
    );
    expect(history.rows).toEqual([{ ok: true }]);
  });

  it("never pings an integration while a sync of it is running", async () => {
    await db.query("select sync_engine.enqueue_run($1, 'scheduled')", [s.xledgerId]);
    await db.query("update public.sync_run_log set status = 'running' where integration_id = $1", [
      s.xledgerId,
    ]);
    await runHealthChecks(deps());
    expect(pinged).not.toContain(s.xledgerId);
    expect(pinged).toContain(s.dynamicsId);
  });

  it("backs off after a failed ping and raises a health alert", async () => {
    failWith = new IntegrationError("server_error", "503 from the API", { retryable: true, status: 503 });
    await runHealthChecks(deps());
    expect(await health(s.dynamicsId)).toMatchObject({
      health_status: "degraded",
      health_consecutive_failures: 1,
      health_next_check_at: new Date(now.getTime() + 30 * MIN),
    });
    const alerts = await db.query("select kind, severity from public.sync_alerts where integration_id = $1", [
      s.dynamicsId,
    ]);
    expect(alerts.rows).toEqual([{ kind: "health", severity: "warning" }]);
  });

  it("goes passive when pings are rate limited, stops pinging, then follows sync outcomes", async () => {
    failWith = new IntegrationError("burst_limit", "BAD_REQUEST.BURST_RATE_LIMIT_REACHED", {
      retryable: true,
      retryAfterSeconds: 5,
    });
    await runHealthChecks(deps());
    expect((await health(s.xledgerId))?.health_mode).toBe("passive");
    await db.query("update public.organization_integrations set health_next_check_at = null where id = $1", [
      s.xledgerId,
    ]);
    pinged.length = 0;
    await runHealthChecks(deps());
    expect(pinged).not.toContain(s.xledgerId);
    const { rows } = await db.query<{ run_id: string }>(
      "select run_id from sync_engine.enqueue_run($1, 'scheduled')",
      [s.xledgerId],
    );
    await db.query("select sync_engine.claim_runs('hw', 10, 60)");
    await db.query("select sync_engine.complete_runs('hw', $1::uuid[], array[1])", [[rows[0]?.run_id]]);
    expect((await health(s.xledgerId))?.health_status).toBe("healthy");
  });

  it("keeps at most 100 history rows per integration", async () => {
    for (let i = 0; i < 105; i++) {
      await db.query(
        "select sync_engine.record_health_check($1, true, 5, null, null, 'healthy', 'active', now())",
        [s.xledgerId],
      );
    }
    const { rows } = await db.query<{ n: number }>(
      "select count(*)::int as n from public.integration_health_checks where integration_id = $1",
      [s.xledgerId],
    );
    expect(rows[0]?.n).toBe(100);
  });

  it("an integration without credentials fails its ping with the export's code, credentials_missing", async () => {
    await runHealthChecks({ ...deps(), ping: (i, signal) => pingIntegration(db, i, signal) });
    const { rows } = await db.query(
      "select ok, error_code from public.integration_health_checks where integration_id = $1",
      [s.xledgerId],
    );
    expect(rows).toEqual([{ ok: false, error_code: "credentials_missing" }]);
  });
});
