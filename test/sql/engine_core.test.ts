import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { addIntegration, countRows, createOrg } from "../helpers/fixtures.ts";

interface Run {
  id: string;
  status: string;
  attempt: number;
  worker_id: string | null;
  run_after: Date;
  lease_expires_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  error_code: string | null;
  drift_ms: number | null;
  skip_reason: string | null;
  records_exported: number;
}

describe.each(testDbKinds())("engine SQL core on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let integrationId: string;
  let orgId: string;

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    // The claim sees every due run in the database: start each test with none pending.
    await db.query("update public.sync_run_log set status = 'cancelled' where status = 'pending'");
    await db.query("update public.sync_run_log set status = 'cancelled' where status = 'running'");
    orgId = await createOrg(db);
    integrationId = await addIntegration(db, orgId, "xledger", { maxAttempts: 3 });
  });

  const run = async (id: string) =>
    (await db.query<Run>("select * from public.sync_run_log where id = $1", [id])).rows[0] as Run;
  const enqueue = async (key: string | null = null, scheduledFor: Date | null = null) => {
    const { rows } = await db.query<{ run_id: string; outcome: string }>(
      "select * from sync_engine.enqueue_run($1, 'scheduled', p_scheduled_for => $2, p_idempotency_key => $3)",
      [integrationId, scheduledFor, key],
    );
    return rows[0] as { run_id: string; outcome: string };
  };
  // drift_ms is bigint: node-postgres hands it over as a string, PGlite as a number.
  const claim = async (worker: string, limit = 10, leaseSeconds = 60) =>
    (
      await db.query<Run>("select * from sync_engine.claim_runs($1, $2, $3)", [worker, limit, leaseSeconds])
    ).rows.map((r) => ({ ...r, drift_ms: r.drift_ms === null ? null : Number(r.drift_ms) }));
  const fail = async (
    id: string,
    worker: string,
    attempt: number,
    retryable: boolean,
    retryAfter: number | null = null,
  ) =>
    (
      await db.query<{ s: string | null }>(
        "select sync_engine.fail_run($1, $2, $3, 'boom', 'it broke', $4, $5) as s",
        [id, worker, attempt, retryable, retryAfter],
      )
    ).rows[0]?.s;
  const complete = async (
    worker: string,
    ids: string[],
    attempts: number[],
    records: number[] | null = null,
  ) =>
    (
      await db.query<{ id: string }>("select sync_engine.complete_runs($1, $2, $3, $4) as id", [
        worker,
        ids,
        attempts,
        records,
      ])
    ).rows.map((r) => r.id);
  const expireLease = (id: string) =>
    db.query("update public.sync_run_log set lease_expires_at = now() - interval '1 second' where id = $1", [
      id,
    ]);

  describe("enqueue (the one entry point)", () => {
    it("creates a pending scheduled run", async () => {
      const e = await enqueue("k1", new Date());
      expect(e.outcome).toBe("enqueued");
      expect(await run(e.run_id)).toMatchObject({ status: "pending", attempt: 0, skip_reason: null });
    });
    it("is idempotent per key: a repeated tick returns the same run", async () => {
      const key = `${integrationId}:2026-11-29T02:00:00.000Z`;
      const a = await enqueue(key);
      const b = await enqueue(key);
      expect(b).toEqual({ run_id: a.run_id, outcome: "duplicate" });
      expect(await countRows(db, "public.sync_run_log", "integration_id = $1", [integrationId])).toBe(1);
    });
    it("records an overlapping scheduled period as skipped (overlap)", async () => {
      const active = await enqueue("p1");
      const second = await enqueue("p2");
      expect(second.outcome).toBe("skipped");
      expect(await run(second.run_id)).toMatchObject({ status: "skipped", skip_reason: "overlap" });
      expect((await run(second.run_id)).finished_at).not.toBeNull();
      expect((await run(active.run_id)).status).toBe("pending");
      // The skipped period keeps its key: a repeated tick for it is still a duplicate.
      expect((await enqueue("p2")).outcome).toBe("duplicate");
    });
    it("refuses a manual enqueue without a user", async () => {
      await expect(
        db.query("select sync_engine.enqueue_run($1, 'manual')", [integrationId]),
      ).rejects.toMatchObject({
        code: "22023",
      });
    });
  });

  it("dispatches to the worker Edge Function through pg_net when a dispatch URL is configured", async () => {
    // A stand-in with pg_net's exact signature; pg_net itself has no Debian package or PGlite build.
    await db.exec(`
      create schema net;
      create table net.calls (url text, body jsonb, headers jsonb, timeout_ms int);
      create function net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
        headers jsonb default '{}', timeout_milliseconds integer default 5000) returns bigint
      language sql as $$ insert into net.calls values (url, body, headers, timeout_milliseconds) returning 1::bigint $$;`);
    try {
      const e0 = await enqueue();
      expect(await countRows(db, "net.calls")).toBe(0); // no URL configured: notify only
      await db.query("update public.sync_run_log set status = 'cancelled' where id = $1", [e0.run_id]);
      await db.query(`insert into sync_engine.settings (key, value) values
        ('dispatch_url', 'https://project.supabase.co/functions/v1/sync-worker'), ('dispatch_token', 'tkn')`);
      const e = await enqueue();
      const { rows } = await db.query("select url, body, headers, timeout_ms from net.calls");
      expect(rows).toEqual([
        {
          url: "https://project.supabase.co/functions/v1/sync-worker",
          body: { run_id: e.run_id },
          headers: { "Content-Type": "application/json", Authorization: "Bearer tkn" },
          timeout_ms: 5000,
        },
      ]);
    } finally {
      await db.exec("drop schema net cascade; delete from sync_engine.settings;");
    }
  });

  describe("claim", () => {
    it("moves due runs to running with a lease, worker and attempt + 1", async () => {
      const e = await enqueue();
      const [claimed] = await claim("w1", 10, 60);
      expect(claimed?.id).toBe(e.run_id);
      expect(claimed).toMatchObject({ status: "running", attempt: 1, worker_id: "w1" });
      const leaseMs = (claimed?.lease_expires_at?.getTime() ?? 0) - (claimed?.started_at?.getTime() ?? 0);
      expect(leaseMs).toBe(60_000);
      expect(await claim("w2")).toHaveLength(0);
    });
    it("does not claim runs whose run_after is in the future", async () => {
      const e = await enqueue();
      await db.query("update public.sync_run_log set run_after = now() + interval '1 minute' where id = $1", [
        e.run_id,
      ]);
      expect(await claim("w1")).toHaveLength(0);
    });
    it("respects the limit", async () => {
      const other = await addIntegration(db, orgId, "dynamics");
      await enqueue();
      await db.query("select sync_engine.enqueue_run($1, 'scheduled')", [other]);
      expect(await claim("w1", 1)).toHaveLength(1);
      expect(await claim("w1", 1)).toHaveLength(1);
      expect(await claim("w1", 1)).toHaveLength(0);
    });
    it("records drift for scheduled runs on the first start only", async () => {
      const scheduledFor = new Date(Date.now() - 7 * 60_000);
      const e = await enqueue(null, scheduledFor);
      const [c] = await claim("w1");
      expect(c?.drift_ms).toBeGreaterThanOrEqual(7 * 60_000 - 1000);
      expect(c?.drift_ms).toBeLessThan(9 * 60_000);
      await fail(e.run_id, "w1", 1, true, 0);
      const [again] = await claim("w1");
      expect(again?.drift_ms).toBe(c?.drift_ms);
    });
  });

  describe("heartbeat", () => {
    it("extends leases of held runs and reports cancellation requests", async () => {
      const e = await enqueue();
      await claim("w1", 10, 5);
      await db.query("select sync_engine.cancel_run($1)", [e.run_id]);
      const { rows } = await db.query<{ run_id: string; cancel_requested: boolean }>(
        "select * from sync_engine.heartbeat_runs($1, $2, 120)",
        ["w1", [e.run_id]],
      );
      expect(rows).toEqual([{ run_id: e.run_id, cancel_requested: true }]);
      const r = await run(e.run_id);
      expect((r.lease_expires_at?.getTime() ?? 0) - Date.now()).toBeGreaterThan(100_000);
    });
    it("does not extend runs held by another worker", async () => {
      const e = await enqueue();
      await claim("w1");
      const { rows } = await db.query("select * from sync_engine.heartbeat_runs('w2', $1, 60)", [[e.run_id]]);
      expect(rows).toHaveLength(0);
    });
  });

  describe("complete and fail", () => {
    it("completes many runs at once, only for the holder and attempt", async () => {
      const other = await addIntegration(db, orgId, "dynamics");
      const a = await enqueue();
      const { rows } = await db.query<{ run_id: string }>(
        "select run_id from sync_engine.enqueue_run($1, 'scheduled')",
        [other],
      );
      const b = rows[0]?.run_id as string;
      await claim("w1");
      expect(await complete("w2", [a.run_id], [1])).toEqual([]);
      expect(await complete("w1", [a.run_id], [2])).toEqual([]);
      expect((await complete("w1", [a.run_id, b], [1, 1], [7, 3])).sort()).toEqual([a.run_id, b].sort());
      expect(await run(a.run_id)).toMatchObject({
        status: "succeeded",
        records_exported: 7,
        lease_expires_at: null,
      });
      expect((await run(b)).records_exported).toBe(3);
    });
    it("retries a retryable failure with backoff, then fails when attempts are spent", async () => {
      const e = await enqueue();
      for (let attempt = 1; attempt <= 2; attempt++) {
        await claim("w1");
        expect(await fail(e.run_id, "w1", attempt, true)).toBe("pending");
        const r = await run(e.run_id);
        expect(r).toMatchObject({ status: "pending", attempt, worker_id: null, error_code: "boom" });
        // Full jitter: somewhere in [0, 30 s · 2^(attempt-1)].
        const delay = r.run_after.getTime() - Date.now();
        expect(delay).toBeLessThanOrEqual(30_000 * 2 ** (attempt - 1));
        await db.query("update public.sync_run_log set run_after = now() where id = $1", [e.run_id]);
      }
      await claim("w1");
      expect(await fail(e.run_id, "w1", 3, true)).toBe("failed");
      expect(await run(e.run_id)).toMatchObject({ status: "failed", attempt: 3 });
      expect((await run(e.run_id)).finished_at).not.toBeNull();
    });
    it("honours an external Retry-After exactly", async () => {
      const e = await enqueue();
      await claim("w1");
      await fail(e.run_id, "w1", 1, true, 120);
      const delay = (await run(e.run_id)).run_after.getTime() - Date.now();
      expect(delay).toBeGreaterThan(110_000);
      expect(delay).toBeLessThanOrEqual(121_000);
    });
    it("fails at once on a fatal error", async () => {
      const e = await enqueue();
      await claim("w1");
      expect(await fail(e.run_id, "w1", 1, false)).toBe("failed");
    });
    it("snoozes without charging an attempt", async () => {
      const e = await enqueue();
      await claim("w1");
      await db.query(
        "select sync_engine.fail_run($1, 'w1', 1, 'rate_limited', 'slow down', true, 5, false)",
        [e.run_id],
      );
      expect(await run(e.run_id)).toMatchObject({ status: "pending", attempt: 0 });
    });
    it("ignores a stale worker's failure", async () => {
      const e = await enqueue();
      await claim("w1");
      expect(await fail(e.run_id, "w2", 1, false)).toBeNull();
      expect((await run(e.run_id)).status).toBe("running");
    });
  });

  describe("release, reap and cancel", () => {
    it("releases runs on shutdown without charging the attempt", async () => {
      const e = await enqueue();
      await claim("w1");
      const { rows } = await db.query("select sync_engine.release_runs('w1', $1)", [[e.run_id]]);
      expect(rows).toHaveLength(1);
      expect(await run(e.run_id)).toMatchObject({ status: "pending", attempt: 0, worker_id: null });
    });
    it("returns an expired lease to pending, and a late completion by the old holder is refused", async () => {
      const e = await enqueue();
      await claim("w1");
      await expireLease(e.run_id);
      const { rows } = await db.query("select * from sync_engine.reap_expired_leases()");
      expect(rows).toEqual([{ run_id: e.run_id, status: "pending" }]);
      expect(await run(e.run_id)).toMatchObject({
        status: "pending",
        error_code: "lease_expired",
        worker_id: null,
      });
      const [again] = await claim("w2");
      expect(again?.attempt).toBe(2);
      expect(await complete("w1", [e.run_id], [1])).toEqual([]);
      expect(await complete("w2", [e.run_id], [2])).toEqual([e.run_id]);
    });
    it("fails an expired run whose attempts are spent", async () => {
      const e = await enqueue();
      await db.query("update public.sync_run_log set attempt = 2 where id = $1", [e.run_id]);
      await claim("w1");
      await expireLease(e.run_id);
      const { rows } = await db.query("select * from sync_engine.reap_expired_leases()");
      expect(rows).toEqual([{ run_id: e.run_id, status: "failed" }]);
    });
    it("leaves live leases and finished runs alone", async () => {
      const e = await enqueue();
      await claim("w1");
      await complete("w1", [e.run_id], [1]);
      await expireLease(e.run_id);
      const { rows } = await db.query("select * from sync_engine.reap_expired_leases()");
      expect(rows).toEqual([]);
      expect((await run(e.run_id)).status).toBe("succeeded");
    });
    it("cancels a pending run at once and flags a running one for its holder", async () => {
      const a = await enqueue();
      expect((await db.query("select sync_engine.cancel_run($1) as s", [a.run_id])).rows[0]).toEqual({
        s: "cancelled",
      });
      const b = await enqueue();
      await claim("w1");
      expect((await db.query("select sync_engine.cancel_run($1) as s", [b.run_id])).rows[0]).toEqual({
        s: "running",
      });
      expect(
        (await db.query("select sync_engine.finish_cancelled($1, 'w1', 1) as ok", [b.run_id])).rows[0],
      ).toEqual({
        ok: true,
      });
      expect((await run(b.run_id)).status).toBe("cancelled");
      expect((await db.query("select sync_engine.cancel_run($1) as s", [b.run_id])).rows[0]).toEqual({
        s: "cancelled",
      });
    });
    it("reaps a cancel-requested run whose holder died as cancelled", async () => {
      const e = await enqueue();
      await claim("w1");
      await db.query("select sync_engine.cancel_run($1)", [e.run_id]);
      await expireLease(e.run_id);
      const { rows } = await db.query("select * from sync_engine.reap_expired_leases()");
      expect(rows).toEqual([{ run_id: e.run_id, status: "cancelled" }]);
    });
  });

  describe("state machine guard", () => {
    const invalid: Array<[string, string]> = [
      ["succeeded", "running"],
      ["succeeded", "pending"],
      ["failed", "pending"],
      ["cancelled", "running"],
      ["skipped", "pending"],
      ["pending", "succeeded"],
    ];
    it.each(invalid)("refuses %s → %s", async (from, to) => {
      const e = await enqueue();
      // Walk to `from` through valid steps.
      if (from !== "pending") {
        if (from === "skipped") {
          await db.query("update public.sync_run_log set status = 'cancelled' where id = $1", [e.run_id]);
          const s = await enqueue("x");
          await enqueue("y");
          await db.query("update public.sync_run_log set status = 'cancelled' where id = $1", [s.run_id]);
          const { rows } = await db.query<{ id: string }>(
            "select id from public.sync_run_log where idempotency_key = 'y'",
          );
          e.run_id = rows[0]?.id as string;
        } else {
          if (from !== "cancelled")
            await db.query("update public.sync_run_log set status = 'running' where id = $1", [e.run_id]);
          await db.query("update public.sync_run_log set status = $2 where id = $1", [e.run_id, from]);
        }
      }
      expect((await run(e.run_id)).status).toBe(from);
      await expect(
        db.query("update public.sync_run_log set status = $2 where id = $1", [e.run_id, to]),
      ).rejects.toMatchObject({ code: "23514" });
    });
  });

  it("keeps at most one active run per (org, type) even for direct inserts", async () => {
    await enqueue();
    await expect(
      db.query(
        `insert into public.sync_run_log (org_id, integration_id, integration_type, triggered_by)
         values ($1, $2, 'xledger', 'scheduled')`,
        [orgId, integrationId],
      ),
    ).rejects.toMatchObject({ code: "23505" });
  });

  it("full-jitter backoff stays within [0, min(cap, base·2^(n-1))]", async () => {
    const { rows } = await db.query<{ lo: number; hi: number; capped: number }>(
      `select min(sync_engine.backoff_seconds(3, 30, 3600)) as lo, max(sync_engine.backoff_seconds(3, 30, 3600)) as hi,
              max(sync_engine.backoff_seconds(20, 30, 3600)) as capped
       from generate_series(1, 500)`,
    );
    expect(rows[0]?.lo).toBeGreaterThanOrEqual(0);
    expect(rows[0]?.hi).toBeLessThanOrEqual(120);
    expect(rows[0]?.hi).toBeGreaterThan(60);
    expect(rows[0]?.capped).toBeLessThanOrEqual(3600);
  });
});
