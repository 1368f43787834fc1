/**
 * The export executor against the real sandbox over HTTP and a real database, acting as the worker:
 * claim with sync_engine.claim_runs, run the executor, then complete/fail with the SQL functions.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db, Queryable } from "../../src/db/types.ts";
import { createExportRun, type ExportRunOptions, exportRun } from "../../src/engine/export/exportRun.ts";
import type { ClaimedRun, RunContext, RunOutcome } from "../../src/engine/types.ts";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { claim, enqueue, finish, makeDue, runRow, seedEntries, voucherOf } from "../helpers/exports.ts";
import { addIntegration, countRows, createOrg } from "../helpers/fixtures.ts";

const kinds = testDbKinds().flatMap((kind) =>
  (["xledger", "dynamics"] as const).map((type) => [kind, type] as const),
);

describe.each(kinds)("export executor on %s → %s", (kind, type) => {
  let t: TestDb;
  let db: Db;
  let sandbox: Sandbox;
  let orgId: string;
  let integrationId: string;
  let approved: string[];
  let events: { event: string; [key: string]: unknown }[];

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    sandbox = await startSandbox({ port: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
    await t.close();
  });
  beforeEach(async () => {
    sandbox.reset();
    events = [];
    // claim_runs sees every due run in the database: start each test with none active.
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    orgId = await createOrg(db);
    integrationId = await addIntegration(db, orgId, type, { maxAttempts: 3 });
    await configure(integrationId);
    // 250 approved entries = batches of 100 + 100 + 50; unapproved ones and another org's must never leave.
    approved = await seedEntries(db, orgId, { approved: 250, unapproved: 20 });
    const otherOrg = await createOrg(db);
    await seedEntries(db, otherOrg, { approved: 5 });
  });

  async function configure(id: string, credentials?: Record<string, unknown>) {
    const settings = sandboxIntegrationSettings(sandbox.url)[type];
    await db.query("update public.organization_integrations set config = $2 where id = $1", [
      id,
      JSON.stringify(settings.config),
    ]);
    await db.query("select sync_engine.set_integration_credentials($1, $2)", [
      id,
      JSON.stringify(credentials ?? settings.credentials),
    ]);
  }

  /** Runs one attempt like a worker would, with our own signal and a log that tests can hook. */
  async function execute(
    run: ClaimedRun,
    opts: {
      controller?: AbortController;
      onLog?: (e: { event: string }) => void;
      db?: Queryable & Pick<Db, "transaction">;
      executor?: ExportRunOptions;
    } = {},
  ): Promise<RunOutcome> {
    const ctx: RunContext = {
      run,
      db: opts.db ?? db,
      signal: (opts.controller ?? new AbortController()).signal,
      log: (e) => {
        events.push(e);
        opts.onLog?.(e);
      },
    };
    return opts.executor ? createExportRun(opts.executor)(ctx) : exportRun(ctx);
  }

  const received = () => sandbox.state()[type].received;
  const exactlyOnce = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, 1]));
  const exportRows = () =>
    countRows(db, "public.ledger_entry_exports", "integration_id = $1", [integrationId]);

  /** Fault that makes the target answer HTTP 429 with Retry-After (Xledger's own limit is the burst error). */
  const http429 = (retryAfter: number) =>
    type === "dynamics"
      ? { target: type, kind: "rate_limit", retry_after: retryAfter }
      : { target: type, kind: "status", status: 429, retry_after: retryAfter };

  it("exports every approved entry exactly once in batches of 100, and nothing else", async () => {
    const runId = await enqueue(db, integrationId);
    const run = await claim(db, "w1", runId);
    const outcome = await execute(run);
    expect(outcome).toEqual({ kind: "succeeded", recordsExported: 250 });
    expect(await finish(db, run, outcome)).toBe("succeeded");

    expect(received()).toEqual(exactlyOnce(approved));
    expect(await exportRows()).toBe(250);
    const row = await runRow(db, runId);
    expect([row.status, row.records_exported]).toEqual(["succeeded", 250]);
    expect(row.progress).toMatchObject({
      batches: 3,
      cursor: { after_voucher: await voucherOf(db, approved[249]) },
    });
    expect(events.filter((e) => e.event === "export_batch_recorded").map((e) => e.entries)).toEqual([
      100, 100, 50,
    ]);
    // Every export row carries an external id the sandbox handed out, and names this run.
    const bad = await countRows(
      db,
      "public.ledger_entry_exports",
      "integration_id = $1 and (external_id = '' or run_id <> $2)",
      [integrationId, runId],
    );
    expect(bad).toBe(0);
  });

  it("a second run after success exports nothing and sends nothing", async () => {
    const first = await claim(db, "w1", await enqueue(db, integrationId));
    await finish(db, first, await execute(first));
    const requestsBefore = sandbox.counters().requests[type];

    const secondId = await enqueue(db, integrationId);
    const second = await claim(db, "w1", secondId);
    const outcome = await execute(second);
    expect(outcome).toEqual({ kind: "succeeded", recordsExported: 0 });
    await finish(db, second, outcome);
    expect(sandbox.counters().requests[type]).toBe(requestsBefore);
    expect(received()).toEqual(exactlyOnce(approved));
  });

  it("a lost response is settled by looking the batch up on the next attempt: exactly once", async () => {
    const runId = await enqueue(db, integrationId);
    const first = await claim(db, "w1", runId);
    // The second batch's send takes effect, but its answer never arrives.
    let batches = 0;
    const outcome = await execute(first, {
      onLog: (e) => {
        if (e.event === "export_batch_recorded" && ++batches === 1)
          sandbox.fault({ target: type, kind: "lost_response" });
      },
    });
    expect(outcome).toMatchObject({ kind: "retry", code: "network" });
    expect(await finish(db, first, outcome)).toBe("pending");
    expect(Object.keys(received())).toHaveLength(200); // 100 recorded + 100 sent but unrecorded
    expect((await runRow(db, runId)).records_exported).toBe(100);

    await makeDue(db, runId);
    const second = await claim(db, "w2", runId);
    expect(second.attempt).toBe(2);
    const resumed = await execute(second);
    expect(resumed).toEqual({ kind: "succeeded", recordsExported: 250 });
    await finish(db, second, resumed);
    expect(received()).toEqual(exactlyOnce(approved));
    expect(await exportRows()).toBe(250);
    expect(events.find((e) => e.event === "export_batch_recorded" && e.attempt === 2)).toMatchObject({
      found_remotely: 100,
      sent: 0,
    });
  });

  it("a run that ends with a batch in flight makes the NEXT run look it up: exactly once", async () => {
    const runId = await enqueue(db, integrationId);
    const run = await claim(db, "w1", runId);
    sandbox.fault({ target: type, kind: "lost_response" });
    const outcome = await execute(run);
    expect(outcome).toMatchObject({ kind: "retry", code: "network" });
    // Cancelled instead of retried: the doubt must outlive the run.
    await db.query("select sync_engine.cancel_run($1)", [runId]);
    expect(
      (await db.query("select sync_engine.finish_cancelled($1, $2, $3) as ok", [runId, "w1", run.attempt]))
        .rows,
    ).toEqual([{ ok: true }]);

    const next = await claim(db, "w1", await enqueue(db, integrationId));
    expect(next.attempt).toBe(1);
    const done = await execute(next);
    expect(done).toEqual({ kind: "succeeded", recordsExported: 250 });
    expect(received()).toEqual(exactlyOnce(approved));
  });

  it("stops at a safe point when aborted after the first batch, and attempt 2 resumes: exactly once", async () => {
    const runId = await enqueue(db, integrationId);
    const first = await claim(db, "w1", runId);
    const controller = new AbortController();
    const outcome = await execute(first, {
      controller,
      onLog: (e) => {
        if (e.event === "export_batch_recorded") controller.abort();
      },
    });
    expect(outcome).toMatchObject({ kind: "retry", code: "aborted", chargeAttempt: false });
    const row = await runRow(db, runId);
    expect([row.records_exported, row.progress.cursor]).toEqual([
      100,
      { after_voucher: await voucherOf(db, approved[99]) },
    ]);
    expect(Object.keys(received())).toHaveLength(100);

    // The worker died instead of handing the run back: its lease expires and the reaper returns it.
    await db.query(
      "update public.sync_run_log set lease_expires_at = now() - interval '1 second' where id = $1",
      [runId],
    );
    await db.query("select * from sync_engine.reap_expired_leases()");
    const second = await claim(db, "w2", runId);
    expect(second.attempt).toBe(2);
    const resumed = await execute(second);
    expect(resumed).toEqual({ kind: "succeeded", recordsExported: 250 });
    expect(await finish(db, second, resumed)).toBe("succeeded");
    expect(received()).toEqual(exactlyOnce(approved));
    // Resumed from the cursor: the batches of attempt 2 start after the first 100.
    expect(
      events.filter((e) => e.event === "export_batch_recorded" && e.attempt === 2).map((e) => e.entries),
    ).toEqual([100, 50]);
  });

  it("an abort during a send lets the send finish and be recorded before stopping", async () => {
    const runId = await enqueue(db, integrationId);
    const run = await claim(db, "w1", runId);
    const controller = new AbortController();
    // Abort the moment the first batch is marked in flight, i.e. just before it is sent.
    const aborting: Queryable & Pick<Db, "transaction"> = {
      async query<T>(sql: string, params?: readonly unknown[]) {
        const result = await db.query<T>(sql, params);
        if (sql.includes("mark_batch_in_flight")) controller.abort();
        return result;
      },
      exec: (sql) => db.exec(sql),
      transaction: (fn) => db.transaction(fn),
    };
    const outcome = await execute(run, { controller, db: aborting });
    expect(outcome).toMatchObject({ kind: "retry", code: "aborted" });
    expect((await runRow(db, runId)).records_exported).toBe(100);
    expect(Object.keys(received())).toHaveLength(100);
    expect(await countRows(db, "sync_engine.export_in_flight", "integration_id = $1", [integrationId])).toBe(
      0,
    );
  });

  it("stretches the lease to the send deadline + 15 s while a batch is in flight (the crash-recovery bound)", async () => {
    const runId = await enqueue(db, integrationId);
    const run = await claim(db, "w1", runId);
    const leaseLeft: number[] = [];
    const observing: Queryable & Pick<Db, "transaction"> = {
      async query<T>(sql: string, params?: readonly unknown[]) {
        const result = await db.query<T>(sql, params);
        if (sql.includes("mark_batch_in_flight")) {
          const { rows } = await db.query<{ s: number }>(
            "select extract(epoch from lease_expires_at - now())::float8 as s from public.sync_run_log where id = $1",
            [runId],
          );
          leaseLeft.push(Number(rows[0]?.s));
        }
        return result;
      },
      exec: (sql) => db.exec(sql),
      transaction: (fn) => db.transaction(fn),
    };
    const outcome = await execute(run, { db: observing, executor: { sendDeadlineMs: 90_000 } });
    expect(outcome).toEqual({ kind: "succeeded", recordsExported: 250 });
    expect(leaseLeft).toHaveLength(3);
    // 90 s deadline + 15 s margin = 105 s (beyond the 60 s claim lease), less the ms between statements.
    for (const s of leaseLeft) {
      expect(s).toBeGreaterThan(100);
      expect(s).toBeLessThanOrEqual(105);
    }
  });

  it("HTTP 429 with Retry-After → a snooze carrying the server's delay", async () => {
    const runId = await enqueue(db, integrationId);
    const run = await claim(db, "w1", runId);
    sandbox.fault(http429(42));
    const outcome = await execute(run);
    expect(outcome).toMatchObject({
      kind: "retry",
      code: "rate_limited",
      retryAfterSeconds: 42,
      chargeAttempt: false,
    });
    await finish(db, run, outcome);
    const row = await db.query<{ status: string; attempt: number; wait: number }>(
      "select status, attempt, extract(epoch from run_after - now())::int as wait from public.sync_run_log where id = $1",
      [runId],
    );
    expect(row.rows[0]).toMatchObject({ status: "pending", attempt: 0 });
    expect(row.rows[0]?.wait).toBeGreaterThan(30);

    // Retrying later finishes the export exactly once (the rate-limited batch was marked, then looked up).
    await makeDue(db, runId);
    const again = await claim(db, "w1", runId);
    expect(await execute(again)).toEqual({ kind: "succeeded", recordsExported: 250 });
    expect(received()).toEqual(exactlyOnce(approved));
  });

  it("bad credentials fail the run with unauthorized, not retried", async () => {
    await configure(
      integrationId,
      type === "xledger" ? { token: "wrong-token" } : { client_id: "sandbox-client", client_secret: "wrong" },
    );
    const runId = await enqueue(db, integrationId);
    const run = await claim(db, "w1", runId);
    const outcome = await execute(run);
    expect(outcome).toMatchObject({ kind: "failed", code: "unauthorized" });
    expect(await finish(db, run, outcome)).toBe("failed");
    expect((await runRow(db, runId)).error_code).toBe("unauthorized");
    expect(received()).toEqual({});
  });

  it("missing credentials and invalid config fail with clear codes before anything is sent", async () => {
    const bare = await addIntegration(db, await createOrg(db), type);
    const run = await claim(db, "w1", await enqueue(db, bare));
    expect(await execute(run)).toMatchObject({ kind: "failed", code: "credentials_missing" });
    await finish(db, run, { kind: "failed", code: "credentials_missing", message: "" });

    await db.query("select sync_engine.set_integration_credentials($1, $2)", [
      bare,
      JSON.stringify(sandboxIntegrationSettings(sandbox.url)[type].credentials),
    ]);
    const second = await claim(db, "w1", await enqueue(db, bare));
    const outcome = await execute(second);
    expect(outcome).toMatchObject({ kind: "failed", code: "invalid_config" });
    expect(outcome.kind === "failed" && outcome.message).toContain("base_url");
    expect(sandbox.counters().requests[type]).toBe(0);
  });

  it("a stale worker is refused before it sends anything", async () => {
    const runId = await enqueue(db, integrationId);
    const stale = await claim(db, "w1", runId);
    await db.query(
      "update public.sync_run_log set lease_expires_at = now() - interval '1 second' where id = $1",
      [runId],
    );
    await db.query("select * from sync_engine.reap_expired_leases()");
    const current = await claim(db, "w2", runId);
    const outcome = await execute(stale);
    expect(outcome).toMatchObject({ kind: "retry", code: "run_not_held", chargeAttempt: false });
    expect(await finish(db, stale, outcome)).toBeNull();
    expect(sandbox.counters().requests[type]).toBe(0);
    expect(await exportRows()).toBe(0);
    expect(await execute(current)).toEqual({ kind: "succeeded", recordsExported: 250 });
  });
});

describe.each(testDbKinds())("export executor, Xledger throttling on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let sandbox: Sandbox;
  let integrationId: string;
  let approved: string[];

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    sandbox = await startSandbox({ port: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
    await t.close();
  });
  beforeEach(async () => {
    sandbox.reset();
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    const orgId = await createOrg(db);
    integrationId = await addIntegration(db, orgId, "xledger");
    const settings = sandboxIntegrationSettings(sandbox.url).xledger;
    await db.query("update public.organization_integrations set config = $2 where id = $1", [
      integrationId,
      JSON.stringify(settings.config),
    ]);
    await db.query("select sync_engine.set_integration_credentials($1, $2)", [
      integrationId,
      JSON.stringify(settings.credentials),
    ]);
    approved = await seedEntries(db, orgId, { approved: 150 });
  });

  const execute = (run: ClaimedRun, executor = exportRun) =>
    executor({ run, db, signal: new AbortController().signal, log: () => {} });

  it("burst and concurrency limits snooze without charging an attempt, then the run completes once", async () => {
    const runId = await enqueue(db, integrationId);
    sandbox.fault({ target: "xledger", kind: "burst_limit" });
    let run = await claim(db, "w1", runId);
    const burst = await execute(run);
    expect(burst).toMatchObject({
      kind: "retry",
      code: "burst_limit",
      retryAfterSeconds: 5,
      chargeAttempt: false,
    });
    expect(await finish(db, run, burst)).toBe("pending");

    await makeDue(db, runId);
    sandbox.fault({ target: "xledger", kind: "concurrency_limit" });
    run = await claim(db, "w1", runId);
    expect(run.attempt).toBe(1); // the snooze did not spend an attempt
    const concurrency = await execute(run);
    // Second snooze in a row: at least 2 s, even though Xledger's sample waits only 1 s.
    expect(concurrency).toMatchObject({
      kind: "retry",
      code: "concurrency_limit",
      retryAfterSeconds: 2,
      chargeAttempt: false,
    });
    await finish(db, run, concurrency);

    await makeDue(db, runId);
    run = await claim(db, "w1", runId);
    expect(await execute(run)).toEqual({ kind: "succeeded", recordsExported: 150 });
    expect(sandbox.state().xledger.received).toEqual(Object.fromEntries(approved.map((id) => [id, 1])));
  });

  it("insufficient credits snooze until resetAt, capped at one hour", async () => {
    const run = await claim(db, "w1", await enqueue(db, integrationId));
    const resetAt = new Date(Date.now() + 10 * 60_000).toISOString();
    sandbox.fault({ target: "xledger", kind: "credits", reset_at: resetAt });
    const soon = await execute(run);
    expect(soon).toMatchObject({ kind: "retry", code: "insufficient_credits", chargeAttempt: false });
    const wait = soon.kind === "retry" ? (soon.retryAfterSeconds ?? 0) : 0;
    expect(wait).toBeGreaterThan(500);
    expect(wait).toBeLessThanOrEqual(600);

    sandbox.fault({
      target: "xledger",
      kind: "credits",
      reset_at: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    });
    const later = await execute(run);
    expect(later).toMatchObject({ kind: "retry", retryAfterSeconds: 3600, chargeAttempt: false });
  });

  it("stops snoozing for free after the cap, so a permanently limited integration ends failed", async () => {
    const runId = await enqueue(db, integrationId);
    const executor = createExportRun({ snooze: { maxFreeSnoozes: 2, maxSnoozeSeconds: 3600 } });
    sandbox.fault({ target: "xledger", kind: "burst_limit", count: 100 });
    const charged: boolean[] = [];
    let status: string | null = "pending";
    // Bounded, so a policy that snoozes forever fails the test instead of hanging it.
    while (status === "pending" && charged.length < 20) {
      await makeDue(db, runId);
      const run = await claim(db, "w1", runId);
      const outcome = await execute(run, executor);
      charged.push(outcome.kind === "retry" && outcome.chargeAttempt === true);
      status = await finish(db, run, outcome);
    }
    // 2 free snoozes, then every answer costs one of the integration's 5 attempts.
    expect(charged).toEqual([false, false, true, true, true, true, true]);
    expect(await runRow(db, runId)).toMatchObject({ status: "failed", error_code: "burst_limit" });
    expect(sandbox.state().xledger.received).toEqual({});
  });
});
