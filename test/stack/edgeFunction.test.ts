import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { type Stack, startStack } from "../../src/local/stack/startStack.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";

const XLEDGER = "e0000000-0000-4000-8000-000000000001";

describe.each(testDbKinds())("the local gateway serves the worker Edge Function (%s)", (kind) => {
  let stack: Stack;
  let t: TestDb | undefined;
  let fn: string;

  beforeAll(async () => {
    if (kind === "postgres") t = await openTestDb("postgres");
    stack = await startStack({
      port: 0,
      log: silentLogger,
      ...(t?.url ? { dbUrl: t.url } : { inMemory: true }),
    });
    // The stack's own Node worker would race the function for the run: stop it, so what runs
    // here is the handler behind /functions/v1/sync-worker.
    await stack.worker.stop(0);
    fn = `${stack.url}/functions/v1/sync-worker`;
  });
  afterAll(async () => {
    await stack?.close();
    await t?.close();
  });

  const call = (body: unknown, token?: string) =>
    fetch(fn, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  it("answers a warm-up with 200; refuses no token, and the anon key, with 401", async () => {
    const warm = await call({ warmup: true }, stack.serviceRoleKey);
    expect(warm.status).toBe(200);
    expect(await warm.json()).toMatchObject({ warm: true });
    // No JWT: the gateway's verify_jwt answers, like Kong.
    expect((await call({})).status).toBe(401);
    // A valid JWT that is not the worker's secret: the handler answers.
    const anon = await call({}, stack.anonKey);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({ code: "unauthorized" });
  });

  it("takes a dispatch: 202, then the run succeeds and reaches the sandbox exactly once", async () => {
    const { rows } = await stack.db.query<{ run_id: string }>(
      "select run_id from sync_engine.enqueue_run($1, 'scheduled')",
      [XLEDGER],
    );
    const runId = rows[0]?.run_id as string;
    const res = await call({ run_id: runId }, stack.serviceRoleKey);
    expect(res.status).toBe(202);
    const { worker_id } = (await res.json()) as { worker_id: string };
    expect(worker_id).toMatch(/^edge-/);
    await stack.edgeWorker.settled();
    const run = await stack.db.query<{ status: string; worker_id: string; records_exported: number }>(
      "select status, worker_id, records_exported from public.sync_run_log where id = $1",
      [runId],
    );
    expect(run.rows[0]).toEqual({ status: "succeeded", worker_id, records_exported: 12 });
    const received = stack.sandbox.state().xledger.received;
    expect(Object.keys(received)).toHaveLength(12);
    expect(Object.values(received).every((n) => n === 1)).toBe(true);
  });
});
