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
    ping: async (i: { id: string }, _signal: AbortSignal, onRequest?: (p: "ping") => void) => {
      pinged.push(i.id);
      onRequest?.("ping");
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

  it("pings due integrations once, records healthy, and waits out the ping budget's spacing", async () => {
    await runHealthChecks(deps());
    expect(pinged.sort()).toEqual([s.xledgerId, s.dynamicsId, s.otherXledgerId].sort());
    // Xledger: 5 % of 5,000 = 250 pings in November's 30 days, one per 172.8 min; Business Central: 15 min.
    expect(await health(s.xledgerId)).toMatchObject({
      health_status: "healthy",
      health_next_check_at: new Date(now.getTime() + (30 * 24 * 60 * MIN) / 250),
    });
    expect((await health(s.dynamicsId))?.health_next_check_at).toEqual(new Date(now.getTime() + 15 * MIN));
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

  it("tallies each ping in the integration's monthly API request tally", async () => {
    await runHealthChecks(deps());
    const { rows } = await db.query(
      "select month::text, purpose, requests::int from public.api_request_tally where integration_id = $1",
      [s.xledgerId],
    );
    expect(rows).toEqual([{ month: "2026-11-01", purpose: "ping", requests: 1 }]);
  });

  it("does not ping an integration whose month's ping budget is spent, until next month", async () => {
    await db.query("select sync_engine.count_api_requests($1, '{\"ping\": 250}', $2)", [s.xledgerId, now]);
    await runHealthChecks(deps());
    expect(pinged).not.toContain(s.xledgerId);
    expect(pinged).toContain(s.dynamicsId);
    expect((await health(s.xledgerId))?.health_next_check_at).toEqual(new Date("2026-12-01T00:00:00Z"));
  });

  it("does not ping a busy integration: a run that exported something is evidence, and clears a degraded state", async () => {
    failWith = new IntegrationError("server_error", "503", { retryable: true, status: 503 });
    await runHealthChecks(deps());
    expect((await health(s.xledgerId))?.health_status).toBe("degraded");
    const { rows } = await db.query<{ run_id: string }>(
      "select run_id from sync_engine.enqueue_run($1, 'scheduled')",
      [s.xledgerId],
    );
    await db.query("select sync_engine.claim_runs('hw', 10, 60)");
    await db.query("select sync_engine.complete_runs('hw', $1::uuid[], array[1], array[7])", [
      [rows[0]?.run_id],
    ]);
    const finished = (
      await db.query<{ finished_at: Date }>("select finished_at from public.sync_run_log where id = $1", [
        rows[0]?.run_id,
      ])
    ).rows[0]?.finished_at as Date;
    await db.query("update public.organization_integrations set health_next_check_at = null where id = $1", [
      s.xledgerId,
    ]);
    pinged.length = 0;
    failWith = null;
    await runHealthChecks(deps());
    expect(pinged).not.toContain(s.xledgerId);
    expect(await health(s.xledgerId)).toMatchObject({
      health_status: "healthy",
      health_consecutive_failures: 0,
      health_next_check_at: new Date(finished.getTime() + (30 * 24 * 60 * MIN) / 250),
    });
    const open = await db.query(
      "select 1 from public.sync_alerts where integration_id = $1 and kind = 'health' and resolved_at is null",
      [s.xledgerId],
    );
    expect(open.rows).toEqual([]);
  });

  it("an admin's connection test is pinged even when evidence would stand in (the budget still applies)", async () => {
    await db.query(
      "update public.organization_integrations set health_status = 'healthy', health_checked_at = now() - interval '1 minute', health_next_check_at = null where id = $1",
      [s.xledgerId],
    );
    await db.query(
      "insert into public.integration_admin_audit (org_id, integration_type, actor_user_id, action) values ($1, 'xledger', $2, 'test_connection')",
      [s.orgId, s.users.admin],
    );
    await runHealthChecks(deps());
    expect(pinged).toContain(s.xledgerId);
  });

  it("returns from passive to active by itself after a quiet, healthy period (but not after a failed run)", async () => {
    failWith = new IntegrationError("burst_limit", "BAD_REQUEST.BURST_RATE_LIMIT_REACHED", {
      retryable: true,
      retryAfterSeconds: 5,
    });
    await runHealthChecks(deps());
    expect((await health(s.xledgerId))?.health_mode).toBe("passive");
    // Not yet: 59 minutes of the default hour's quiet period.
    failWith = null;
    pinged.length = 0;
    await runHealthChecks({ ...deps(), now: () => new Date(now.getTime() + 59 * MIN) });
    expect(pinged).not.toContain(s.xledgerId);
    expect((await health(s.xledgerId))?.health_mode).toBe("passive");
    // Every integration went passive on the burst error; a failed run while passive (health then
    // unhealthy) keeps one passive past the quiet period.
    await db.query("update public.organization_integrations set health_status = 'unhealthy' where id = $1", [
      s.dynamicsId,
    ]);
    await runHealthChecks({ ...deps(), now: () => new Date(now.getTime() + 61 * MIN) });
    expect(pinged).toContain(s.xledgerId);
    expect(await health(s.xledgerId)).toMatchObject({ health_mode: "active", health_status: "healthy" });
    expect(pinged).not.toContain(s.dynamicsId);
    expect((await health(s.dynamicsId))?.health_mode).toBe("passive");
    // An admin's passive (no passive_until) stays.
    await db.query(
      "update public.organization_integrations set health_mode = 'passive', health_passive_until = null where id = $1",
      [s.otherXledgerId],
    );
    pinged.length = 0;
    await runHealthChecks({ ...deps(), now: () => new Date(now.getTime() + 48 * 60 * MIN) });
    expect(pinged).not.toContain(s.otherXledgerId);
  });

  it("the tally refuses unknown purposes and negative counts with a coded error, changing nothing", async () => {
    for (const counts of ['{"pings": 1}', '{"ping": -1}', '{"ping": 1.5}', '["ping"]']) {
      const error = await db
        .query("select sync_engine.count_api_requests($1, $2::jsonb)", [s.xledgerId, counts])
        .then(
          () => null,
          (e: unknown) => e as Error,
        );
      expect(error?.message).toContain("invalid_request_counts");
    }
    const { rows } = await db.query("select 1 from public.api_request_tally where integration_id = $1", [
      s.xledgerId,
    ]);
    expect(rows).toEqual([]);
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
