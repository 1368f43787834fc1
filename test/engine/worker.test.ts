import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { createPromMetrics } from "../../src/engine/observe/promMetrics.ts";
import { Worker } from "../../src/engine/run/worker.ts";
import { IntegrationError } from "../../src/integrations/errors.ts";
import { rpc, triggerSync, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { createScenario } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { blockingExecutor, recordingExecutor } from "./testExecutors.ts";

type Scenario = Awaited<ReturnType<typeof createScenario>>;
const fast = { pollSeconds: 0.1, heartbeatSeconds: 1, leaseSeconds: 5, schedulerSeconds: 300 };

describe.each(testDbKinds())("worker on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let s: Scenario;
  const workers: Worker[] = [];
  const startWorker = async (options: Omit<ConstructorParameters<typeof Worker>[0], "db">) => {
    const w = new Worker({ db, scheduler: false, ...options, config: { ...fast, ...options.config } });
    workers.push(w);
    await w.start();
    return w;
  };
  const status = async (id: string) =>
    (
      await db.query<{
        status: string;
        attempt: number;
        records_exported: number;
        error_code: string | null;
        run_after: Date;
      }>(
        "select status, attempt, records_exported, error_code, run_after from public.sync_run_log where id = $1",
        [id],
      )
    ).rows[0];

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    s = await createScenario(db);
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop(0)));
  });

  it("runs a manual run to completion, woken by NOTIFY", async () => {
    const rec = recordingExecutor();
    const w = await startWorker({ executor: rec.executor, config: { pollSeconds: 300 } });
    const { data: runId } = await triggerSync(db, user(s.users.coordinator, s.orgId), s.orgId, "xledger");
    const row = await waitFor(() => status(runId as string), { until: (r) => r?.status === "succeeded" });
    expect(row).toMatchObject({ status: "succeeded", attempt: 1, records_exported: 3 });
    expect(rec.started).toEqual([runId]);
    expect(w.inFlight).toBe(0);
  });

  it("retries a retryable external error after the API's Retry-After", async () => {
    const executor = recordingExecutor(() => {
      throw new IntegrationError("rate_limited", "429 from Business Central", {
        retryable: true,
        retryAfterSeconds: 120,
      });
    }).executor;
    await startWorker({ executor });
    const { data: runId } = await triggerSync(db, user(s.users.coordinator, s.orgId), s.orgId, "dynamics");
    const row = await waitFor(() => status(runId as string), {
      until: (r) => r?.status === "pending" && r.attempt === 1,
    });
    expect(row?.error_code).toBe("rate_limited");
    expect((row?.run_after.getTime() ?? 0) - Date.now()).toBeGreaterThan(100_000);
  });

  it("fails a run on a fatal error", async () => {
    const executor = recordingExecutor(() => ({
      kind: "failed",
      code: "unauthorized",
      message: "bad token",
    })).executor;
    await startWorker({ executor });
    const { data: runId } = await triggerSync(db, user(s.users.coordinator, s.orgId), s.orgId, "xledger");
    expect(
      await waitFor(() => status(runId as string), { until: (r) => r?.status === "failed" }),
    ).toMatchObject({
      error_code: "unauthorized",
    });
  });

  it("cancels a running run through the user-facing RPC: the executor is aborted and the run ends cancelled", async () => {
    const blocking = blockingExecutor();
    await startWorker({ executor: blocking.executor });
    const { data: runId } = await triggerSync(db, user(s.users.coordinator, s.orgId), s.orgId, "xledger");
    await waitFor(() => status(runId as string), { until: (r) => r?.status === "running" });
    const cancel = await rpc<string>(
      db,
      user(s.users.admin, s.orgId),
      "select public.cancel_integration_sync($1) as result",
      [runId],
    );
    expect(cancel).toEqual({ data: "running", error: null });
    expect(
      await waitFor(() => status(runId as string), { until: (r) => r?.status === "cancelled" }),
    ).toMatchObject({
      error_code: "cancelled",
    });
    const audit = await db.query(
      "select action from public.sync_trigger_audit where run_id = $1 order by id",
      [runId],
    );
    expect(audit.rows).toEqual([{ action: "trigger" }, { action: "cancel" }]);
  });

  it("graceful shutdown releases a run it could not finish, without charging the attempt", async () => {
    const blocking = blockingExecutor();
    const w = await startWorker({ executor: blocking.executor });
    const { data: runId } = await triggerSync(db, user(s.users.coordinator, s.orgId), s.orgId, "xledger");
    await waitFor(() => status(runId as string), { until: (r) => r?.status === "running" });
    await w.stop(0);
    expect(await status(runId as string)).toMatchObject({ status: "pending", attempt: 0 });
  });

  it("lets in-flight runs finish within the grace period on shutdown", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const w = await startWorker({
      executor: async () => {
        await gate;
        return { kind: "succeeded", recordsExported: 1 };
      },
    });
    const { data: runId } = await triggerSync(db, user(s.users.coordinator, s.orgId), s.orgId, "xledger");
    await waitFor(() => status(runId as string), { until: (r) => r?.status === "running" });
    const stopped = w.stop(30);
    release();
    await stopped;
    expect((await status(runId as string))?.status).toBe("succeeded");
  });

  it("counts runs in Prometheus metrics", async () => {
    const { metrics, registry } = createPromMetrics();
    await startWorker({ executor: recordingExecutor().executor, metrics });
    const { data: runId } = await triggerSync(db, user(s.users.coordinator, s.orgId), s.orgId, "xledger");
    await waitFor(() => status(runId as string), { until: (r) => r?.status === "succeeded" });
    const text = await waitFor(() => registry.metrics(), {
      until: (m) =>
        m.includes('sync_runs_total{integration="xledger",triggered_by="manual",result="succeeded"} 1'),
    });
    expect(text).toContain("sync_claim_to_start_seconds_count");
  });
});

describe.runIf(testDbKinds().includes("postgres"))("several workers on PostgreSQL", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb("postgres", 20);
  });
  afterAll(() => t.close());

  it("three workers drain 60 runs, each executed exactly once, never two holders at a time", async () => {
    await t.db.query(
      `with orgs as (insert into public.organizations (name) select 'Drain ' || g from generate_series(1, 60) g returning id),
            integ as (insert into public.organization_integrations (org_id, integration_type) select id, 'xledger' from orgs returning id)
       select sync_engine.enqueue_run(id, 'scheduled') from integ`,
    );
    const rec = recordingExecutor();
    const workers = [0, 1, 2].map(
      (i) =>
        new Worker({
          db: t.db,
          executor: rec.executor,
          scheduler: false,
          workerId: `w${i}`,
          config: { ...fast, concurrency: 5 },
        }),
    );
    await Promise.all(workers.map((w) => w.start()));
    try {
      await waitFor(
        async () =>
          (
            await t.db.query<{ n: number }>(
              "select count(*)::int as n from public.sync_run_log where status = 'succeeded'",
            )
          ).rows[0]?.n,
        { until: (n) => n === 60 },
      );
      expect(rec.started).toHaveLength(60);
      expect(new Set(rec.started).size).toBe(60);
      expect(rec.maxConcurrent()).toBe(1);
      const byWorker = await t.db.query<{ worker_id: string }>(
        "select distinct worker_id from public.sync_run_log",
      );
      expect(byWorker.rows.length).toBeGreaterThan(1);
    } finally {
      await Promise.all(workers.map((w) => w.stop(0)));
    }
  });
});
