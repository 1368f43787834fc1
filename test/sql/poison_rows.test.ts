import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { addIntegration, createOrg } from "../helpers/fixtures.ts";

// One deliberately broken row per batch: a trigger that raises when the row reaches `status`
// stands in for whatever a real row could carry. The rest of the batch must go through and the
// broken row must end parked (failed, run_unprocessable, one critical 'parked' alert).
describe.each(testDbKinds())("batch isolation in the engine's SQL on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let runIds: string[];

  const breakRow = (runId: string, when: string) =>
    db.exec(`
      create function public.test_broken_row() returns trigger language plpgsql as $$
      begin raise exception 'broken row' using errcode = '23514'; end $$;
      create trigger test_broken_row before update on public.sync_run_log for each row
        when (new.id = '${runId}'::uuid and ${when}) execute function public.test_broken_row();`);
  const state = async (id: string) =>
    (
      await db.query<{ status: string; error_code: string | null; alerts: number }>(
        `select r.status, r.error_code,
                (select count(*)::int from public.sync_alerts a where a.run_id = r.id and a.kind = 'parked') as alerts
         from public.sync_run_log r where r.id = $1`,
        [id],
      )
    ).rows[0];
  const claimAll = async () =>
    (
      await db.query<{ id: string; attempt: number }>(
        "select id, attempt from sync_engine.claim_runs('w1', 10, 60) order by triggered_at",
      )
    ).rows;

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    runIds = [];
    for (let i = 0; i < 3; i++) {
      const integration = await addIntegration(db, await createOrg(db), "xledger");
      const { rows } = await db.query<{ run_id: string }>(
        "select run_id from sync_engine.enqueue_run($1, 'scheduled')",
        [integration],
      );
      runIds.push((rows[0] as { run_id: string }).run_id);
    }
  });
  afterEach(async () => {
    await db.exec(
      "drop trigger if exists test_broken_row on public.sync_run_log; drop function if exists public.test_broken_row();",
    );
  });

  it("claim_runs", async () => {
    const broken = runIds[1] as string;
    await breakRow(broken, "new.status = 'running'");
    const claimed = await claimAll();
    expect(claimed.map((c) => c.id).sort()).toEqual([runIds[0], runIds[2]].sort());
    expect(await state(broken)).toEqual({ status: "failed", error_code: "run_unprocessable", alerts: 1 });
  });

  it("heartbeat_runs", async () => {
    await claimAll();
    const broken = runIds[0] as string;
    await breakRow(broken, "new.heartbeat_at is distinct from old.heartbeat_at");
    const { rows } = await db.query<{ run_id: string }>(
      "select run_id from sync_engine.heartbeat_runs('w1', $1::uuid[], 60)",
      [runIds],
    );
    // The parked run is missing from the result: its worker aborts it.
    expect(rows.map((r) => r.run_id).sort()).toEqual([runIds[1], runIds[2]].sort());
    expect(await state(broken)).toEqual({ status: "failed", error_code: "run_unprocessable", alerts: 1 });
  });

  it("complete_runs", async () => {
    const claimed = await claimAll();
    const broken = runIds[2] as string;
    await breakRow(broken, "new.status = 'succeeded'");
    const { rows } = await db.query<{ id: string }>(
      "select sync_engine.complete_runs('w1', $1::uuid[], $2::int[], $3::int[]) as id",
      [claimed.map((c) => c.id), claimed.map((c) => c.attempt), claimed.map(() => 7)],
    );
    expect(rows.map((r) => r.id).sort()).toEqual([runIds[0], runIds[1]].sort());
    expect(await state(runIds[0] as string)).toMatchObject({ status: "succeeded" });
    expect(await state(broken)).toEqual({ status: "failed", error_code: "run_unprocessable", alerts: 1 });
  });

  it("reap_expired_leases", async () => {
    await claimAll();
    await db.query(
      "update public.sync_run_log set lease_expires_at = now() - interval '1 minute' where id = any ($1)",
      [runIds],
    );
    const broken = runIds[1] as string;
    await breakRow(broken, "new.status = 'pending'");
    const { rows } = await db.query<{ run_id: string; status: string }>(
      "select run_id, status from sync_engine.reap_expired_leases(100)",
    );
    expect(Object.fromEntries(rows.map((r) => [r.run_id, r.status]))).toEqual({
      [runIds[0] as string]: "pending",
      [broken]: "failed",
      [runIds[2] as string]: "pending",
    });
    expect(await state(broken)).toEqual({ status: "failed", error_code: "run_unprocessable", alerts: 1 });
  });

  it("re-raises a transient error instead of parking a healthy row", async () => {
    await db.exec(`
      create function public.test_broken_row() returns trigger language plpgsql as $$
      begin raise exception 'deadlock stand-in' using errcode = '40P01'; end $$;
      create trigger test_broken_row before update on public.sync_run_log for each row
        when (new.id = '${runIds[0]}'::uuid and new.status = 'running') execute function public.test_broken_row();`);
    await expect(claimAll()).rejects.toMatchObject({ code: "40P01" });
    expect(await state(runIds[0] as string)).toMatchObject({ status: "pending", alerts: 0 });
    expect(await state(runIds[1] as string)).toMatchObject({ status: "pending" });
  });
});
