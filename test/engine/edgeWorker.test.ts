import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.ts";
import type { Db } from "../../src/db/types.ts";
import {
  createWorkerHandler,
  type WorkerHandler,
  type WorkerHandlerOptions,
} from "../../src/engine/edge/workerHandler.ts";
import { createJsonLogger } from "../../src/engine/observe/jsonLogger.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import type { RunExecutor } from "../../src/engine/types.ts";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { blockingExecutor } from "./testExecutors.ts";

// The seeded demo integrations (supabase/seed.sql): Demo Org has 12 approved entries.
const XLEDGER = "e0000000-0000-4000-8000-000000000001";
const DYNAMICS = "e0000000-0000-4000-8000-000000000002";
const SECRET = "edge-test-secret";
const FN_URL = "http://127.0.0.1/functions/v1/sync-worker";

interface RunRow {
  status: string;
  attempt: number;
  worker_id: string | null;
  records_exported: number;
}

const post = (body: unknown, headers: Record<string, string> = {}) =>
  new Request(FN_URL, {
    method: "POST",
    headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe.each(testDbKinds())("the worker Edge Function handler (Node, %s)", (kind) => {
  let t: TestDb;
  let db: Db;
  let sandbox: Sandbox;
  const handlers: WorkerHandler[] = [];

  const handlerWith = (options: Partial<WorkerHandlerOptions> = {}) => {
    const h = createWorkerHandler({ db, secrets: [SECRET], log: silentLogger, clock: "request", ...options });
    handlers.push(h);
    return h;
  };
  const enqueue = async (integrationId = XLEDGER) =>
    (
      await db.query<{ run_id: string }>("select run_id from sync_engine.enqueue_run($1, 'scheduled')", [
        integrationId,
      ])
    ).rows[0]?.run_id as string;
  const runRow = async (id: string) =>
    (
      await db.query<RunRow>(
        "select status, attempt, worker_id, records_exported from public.sync_run_log where id = $1",
        [id],
      )
    ).rows[0] as RunRow;

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    await migrate(db, { seed: true });
    sandbox = await startSandbox({ port: 0 });
    const settings = sandboxIntegrationSettings(sandbox.url);
    for (const [id, type] of [
      [XLEDGER, "xledger"],
      [DYNAMICS, "dynamics"],
    ] as const) {
      await db.query("update public.organization_integrations set config = $2 where id = $1", [
        id,
        settings[type].config,
      ]);
      await db.query("select sync_engine.set_integration_credentials($1, $2)", [
        id,
        settings[type].credentials,
      ]);
    }
  });
  afterAll(async () => {
    await sandbox.close();
    await t.close();
  });
  beforeEach(async () => {
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    sandbox.reset();
  });
  afterEach(async () => {
    for (const h of handlers.splice(0)) await h.close(100);
  });

  it("answers a warm-up with 200 at once and claims nothing; logs the cold start once", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const h = handlerWith({ log: createJsonLogger({ write: (l) => lines.push(JSON.parse(l)) }) });
    const runId = await enqueue();
    const first = await h(post({ warmup: true }));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ warm: true, cold_start: true });
    const second = await h(post("", { "x-sync-warmup": "1" }));
    expect(await second.json()).toEqual({ warm: true, cold_start: false });
    expect(await h.settled()).toEqual([]);
    expect((await runRow(runId)).status).toBe("pending");
    const cold = lines.filter((l) => l.event === "cold_start");
    expect(cold).toHaveLength(1);
    expect(cold[0]).toMatchObject({ level: "info", fn: "sync-worker" });
    expect(typeof cold[0]?.isolate_age_ms).toBe("number");
  });

  it("refuses a missing or wrong secret (401), other methods (405) and bad bodies (400)", async () => {
    const h = handlerWith();
    const runId = await enqueue();
    expect((await h(post({}, { authorization: "Bearer wrong" }))).status).toBe(401);
    expect((await h(post({}, { authorization: "" }))).status).toBe(401);
    expect((await h(post({ warmup: true }, { authorization: `Bearer ${SECRET}x` }))).status).toBe(401);
    expect((await h(new Request(FN_URL, { headers: { authorization: `Bearer ${SECRET}` } }))).status).toBe(
      405,
    );
    expect((await h(post("{not json"))).status).toBe(400);
    expect((await h(post({ run_id: "42" }))).status).toBe(400);
    expect((await h(post({ schedule_group: "7" }))).status).toBe(400);
    expect((await h(post({ schedule_group: 0 }))).status).toBe(400);
    expect((await h(post([1, 2]))).status).toBe(400);
    // No secret configured: fail closed.
    const open = handlerWith({ secrets: [""] });
    expect((await open(post({}))).status).toBe(503);
    expect(await h.settled()).toEqual([]);
    expect((await runRow(runId)).status).toBe("pending");
  });

  it("dispatch: 202 at once, the run succeeds in the background, each entry reaches the sandbox once", async () => {
    const h = handlerWith();
    const runId = await enqueue();
    const res = await h(post({ run_id: runId }));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { worker_id: string };
    expect(body).toMatchObject({ accepted: true, kind: "dispatch", joined: false });
    const [summary] = await h.settled();
    expect(summary).toMatchObject({ kind: "dispatch", claimed: 1, results: { succeeded: 1 }, abandoned: 0 });
    expect(await runRow(runId)).toMatchObject({
      status: "succeeded",
      worker_id: body.worker_id,
      records_exported: 12,
    });
    const received = sandbox.state().xledger.received;
    expect(Object.keys(received)).toHaveLength(12);
    expect(Object.values(received).every((n) => n === 1)).toBe(true);
  });

  it("a schedule group's dispatch claims without ticking the scheduler or pinging", async () => {
    const h = handlerWith();
    const runId = await enqueue();
    const res = await h(post({ schedule_group: 42 }));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ kind: "dispatch" });
    const [summary] = await h.settled();
    expect(summary).toMatchObject({ kind: "dispatch", claimed: 1, results: { succeeded: 1 } });
    expect((await runRow(runId)).status).toBe("succeeded");
  });

  it("sweep: ticks the scheduler and claims every pending run", async () => {
    const h = handlerWith();
    const manual = await enqueue(XLEDGER);
    // A due schedule: the sweep's tick enqueues it, then claims it with the other run. Two
    // statements: changing the cron resets next_run_at (the table's trigger). Whole seconds: the
    // tick compares next_run_at as read through the driver (millisecond Dates) with the stored value.
    await db.query(
      "update public.organization_integrations set schedule_cron = '*/5 * * * *' where id = $1",
      [DYNAMICS],
    );
    await db.query(
      "update public.organization_integrations set next_run_at = date_trunc('second', now()) - interval '1 minute' where id = $1",
      [DYNAMICS],
    );
    try {
      const res = await h(post({}));
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ kind: "sweep" });
      const [summary] = await h.settled();
      expect(summary).toMatchObject({ kind: "sweep", claimed: 2, results: { succeeded: 2 } });
      expect(summary?.scheduled?.enqueued).toBe(1);
      expect((await runRow(manual)).status).toBe("succeeded");
      const { rows } = await db.query<{ status: string }>(
        "select status from public.sync_run_log where integration_id = $1 and scheduled_for is not null and status <> 'skipped'",
        [DYNAMICS],
      );
      expect(rows.map((r) => r.status)).toEqual(["succeeded"]);
      expect(Object.keys(sandbox.state().dynamics.received)).toHaveLength(12);
    } finally {
      await db.query(
        "update public.organization_integrations set schedule_cron = null, next_run_at = null where id = $1",
        [DYNAMICS],
      );
    }
  });

  it("has one claimer per isolate: a request during a session joins it", async () => {
    const blocking = blockingExecutor();
    const h = handlerWith({ executor: blocking.executor });
    const first = await enqueue(XLEDGER);
    const a = (await (await h(post({ run_id: first }))).json()) as { worker_id: string };
    await waitFor(() => blocking.started, { until: (s) => s.length === 1 });
    const second = await enqueue(DYNAMICS);
    const b = (await (await h(post({ run_id: second }))).json()) as { worker_id: string; joined: boolean };
    expect(b).toMatchObject({ joined: true, worker_id: a.worker_id });
    await waitFor(() => blocking.started, { until: (s) => s.length === 2 });
    await h.close(1_000);
    // Closing released both without charging an attempt.
    for (const id of [first, second])
      expect(await runRow(id)).toMatchObject({ status: "pending", attempt: 0, worker_id: null });
  });

  it("drains before the wall clock: a run still executing is released to pending, attempt not charged", async () => {
    const blocking = blockingExecutor();
    const h = handlerWith({
      executor: blocking.executor,
      budget: { wallClockSeconds: 3, claimWindowSeconds: 1, drainSeconds: 1.5, sendDeadlineSeconds: 0.5 },
    });
    const runId = await enqueue();
    expect((await h(post({ run_id: runId }))).status).toBe(202);
    const [summary] = await h.settled();
    expect(summary).toMatchObject({ claimed: 1, results: { released: 1 }, abandoned: 0 });
    expect(summary?.duration_ms).toBeLessThan(3_000);
    expect(await runRow(runId)).toMatchObject({ status: "pending", attempt: 0, worker_id: null });
  });

  it("gives up on an executor that ignores its signal and releases its run before the wall clock", async () => {
    let finish: () => void = () => {};
    const stuck: RunExecutor = () =>
      new Promise((resolve) => {
        finish = () => resolve({ kind: "succeeded", recordsExported: 0 });
      });
    const h = handlerWith({
      executor: stuck,
      budget: { wallClockSeconds: 2, claimWindowSeconds: 0.5, drainSeconds: 1, sendDeadlineSeconds: 0.2 },
    });
    const runId = await enqueue();
    await h(post({ run_id: runId }));
    const [summary] = await h.settled();
    expect(summary).toMatchObject({ claimed: 1, abandoned: 1 });
    expect(summary?.duration_ms).toBeLessThan(2_000);
    expect(await runRow(runId)).toMatchObject({ status: "pending", worker_id: null });
    // The late answer cannot complete a run this worker no longer holds.
    finish();
    await new Promise((r) => setTimeout(r, 100));
    expect((await runRow(runId)).status).toBe("pending");
  });

  it("counts the wall clock from isolate start: an old isolate defers instead of claiming", async () => {
    const h = handlerWith({ clock: "isolate", isolateStartedAt: Date.now() - 140_000 });
    const runId = await enqueue();
    const res = await h(post({ run_id: runId }));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: true, deferred: true, worker_id: null });
    expect(await h.settled()).toEqual([]);
    expect((await runRow(runId)).status).toBe("pending");
  });

  it("heartbeats the lease and honours a cancellation request", async () => {
    const blocking = blockingExecutor();
    const h = handlerWith({
      executor: blocking.executor,
      budget: { leaseSeconds: 2, heartbeatSeconds: 0.5 },
    });
    const runId = await enqueue();
    await h(post({ run_id: runId }));
    await waitFor(() => blocking.started, { until: (s) => s.length === 1 });
    const before = await db.query<{ lease: Date }>(
      "select lease_expires_at as lease from public.sync_run_log where id = $1",
      [runId],
    );
    await new Promise((r) => setTimeout(r, 1_200));
    const after = await db.query<{ lease: Date }>(
      "select lease_expires_at as lease from public.sync_run_log where id = $1",
      [runId],
    );
    expect(after.rows[0]?.lease.getTime()).toBeGreaterThan(before.rows[0]?.lease.getTime() ?? Infinity);
    await db.query("select sync_engine.cancel_run($1)", [runId]);
    const [summary] = await h.settled();
    expect(summary).toMatchObject({ results: { cancelled: 1 } });
    expect((await runRow(runId)).status).toBe("cancelled");
  });
});
