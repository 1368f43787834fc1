import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import type { WorkerConfig } from "../../src/engine/config.ts";
import { workerConfigSchema } from "../../src/engine/config.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { noMetrics } from "../../src/engine/observe/metrics.ts";
import type { AttemptResult } from "../../src/engine/run/executeRun.ts";
import { InFlightRunner } from "../../src/engine/run/inFlight.ts";
import type { RunExecutor } from "../../src/engine/types.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { blockingExecutor, recordingExecutor } from "./testExecutors.ts";

const config: WorkerConfig = workerConfigSchema.parse({});

describe.each(testDbKinds())("in-flight runner on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let settled: AttemptResult[];
  const runner = (executor: RunExecutor, workerId = "runner-1") =>
    new InFlightRunner({
      db,
      executor,
      workerId,
      config,
      leaseSeconds: 30,
      log: silentLogger,
      metrics: noMetrics,
      onSettled: (result) => settled.push(result),
    });
  const enqueue = async (n: number): Promise<string[]> => {
    const { rows } = await db.query<{ id: string }>(
      `with orgs as (insert into public.organizations (name) select 'Runner ' || g from generate_series(1, $1::int) g returning id),
            integ as (insert into public.organization_integrations (org_id, integration_type) select id, 'xledger' from orgs returning id)
       select e.run_id as id from integ, sync_engine.enqueue_run(integ.id, 'scheduled') e`,
      [n],
    );
    return rows.map((r) => r.id);
  };
  const runs = async (ids: string[]) =>
    (
      await db.query<{ id: string; status: string; attempt: number; worker_id: string | null }>(
        "select id, status, attempt, worker_id from public.sync_run_log where id = any($1::uuid[]) order by id",
        [ids],
      )
    ).rows;

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    settled = [];
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
  });

  it("claims up to its limit, executes and completes each run once, then is idle", async () => {
    const ids = await enqueue(3);
    const rec = recordingExecutor();
    const r = runner(rec.executor);
    await r.fill(2, () => true);
    expect(r.size).toBe(2);
    expect(r.claimed).toBe(2);
    await r.idle();
    expect(r.size).toBe(0);
    await r.fill(2, () => true);
    await r.idle();
    expect(r.claimed).toBe(3);
    expect(settled).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(new Set(rec.started)).toEqual(new Set(ids));
    expect((await runs(ids)).map((x) => x.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
  });

  it("claims nothing when told not to", async () => {
    await enqueue(1);
    const r = runner(recordingExecutor().executor);
    await r.fill(4, () => false);
    expect(r.claimed).toBe(0);
  });

  it("heartbeat aborts a run whose cancellation was asked (cancelled) and one whose lease was lost (lease_lost)", async () => {
    const [cancelled, lost] = await enqueue(2);
    const blocking = blockingExecutor();
    const r = runner(blocking.executor);
    await r.fill(2, () => true);
    await db.query("update public.sync_run_log set cancel_requested_at = now() where id = $1", [cancelled]);
    // Another worker's reaper took the second run back after its lease expired.
    await db.query(
      "update public.sync_run_log set lease_expires_at = now() - interval '1 second' where id = $1",
      [lost],
    );
    await db.query("select * from sync_engine.reap_expired_leases(100)");
    await r.heartbeat();
    await r.idle();
    expect(settled.sort()).toEqual(["cancelled", "lost"]);
    const after = Object.fromEntries(
      (await runs([cancelled as string, lost as string])).map((x) => [x.id, x]),
    );
    expect(after[cancelled as string]).toMatchObject({ status: "cancelled" });
    expect(after[lost as string]).toMatchObject({ status: "pending", worker_id: null });
  });

  it("drain releases what runs, and what is claimed after it, without charging the attempt", async () => {
    const ids = await enqueue(1);
    const running = runner(blockingExecutor().executor);
    await running.fill(1, () => true);
    running.drain();
    await running.idle();
    expect(settled).toEqual(["released"]);
    // A claim that raced the drain: its run is aborted before its executor looks at the signal.
    const late = runner(blockingExecutor().executor);
    late.drain();
    await late.fill(1, () => true);
    expect(late.claimed).toBe(1);
    await late.idle();
    expect(settled).toEqual(["released", "released"]);
    expect((await runs(ids)).map((x) => [x.status, x.attempt])).toEqual([["pending", 0]]);
  });

  it("releaseAll hands back a run whose executor ignores its signal; its late record is refused", async () => {
    const [id] = await enqueue(1);
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const r = runner(async () => {
      await gate;
      return { kind: "succeeded", recordsExported: 1 };
    });
    await r.fill(1, () => true);
    r.drain();
    expect(await r.releaseAll()).toBe(1);
    expect(await runs([id as string])).toMatchObject([{ status: "pending", attempt: 0 }]);
    finish();
    await r.idle();
    expect(settled).toEqual(["lost"]);
    expect(await runs([id as string])).toMatchObject([{ status: "pending", attempt: 0 }]);
  });
});
