import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import type { Sandbox } from "../../src/local/sandbox/index.ts";
import { actAs, user } from "../helpers/actAs.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { DeployedFunction, freePort } from "./deployedFunction.ts";
import { COORDINATOR, connect, DEMO_ORG, seedWithSandbox, skipReason, XLEDGER } from "./fixture.ts";

const SECRET = "e2e-dispatch-secret-0123456789abcdef";

interface RunRow {
  status: string;
  worker_id: string | null;
  records_exported: number;
}

/**
 * The serverless path as a Supabase team runs it, with no Node worker anywhere: the RPC's enqueue
 * reaches the function through real pg_net, pg_cron's sweep through real pg_cron, and the function is
 * served by real Deno from a copy of supabase/ alone (what `supabase functions deploy` uploads).
 */
describe.skipIf(skipReason() !== "")("serverless on a Supabase-laid-out database", () => {
  let db: Db;
  let admin: Db;
  let sandbox: Sandbox;
  let fn: DeployedFunction;
  const figures: Record<string, number> = {};

  const runRow = async (id: string) =>
    (
      await db.query<RunRow>(
        "select status, worker_id, records_exported from public.sync_run_log where id = $1",
        [id],
      )
    ).rows[0] as RunRow;
  const approvedIds = async (orgId: string) =>
    (
      await db.query<{ id: string }>(
        "select id::text from public.ledger_entries where org_id = $1 and approved_at is not null order by id",
        [orgId],
      )
    ).rows.map((r) => r.id);
  const trigger = (integrationType: string) =>
    actAs(db, user(COORDINATOR, DEMO_ORG), async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        "select public.trigger_integration_sync($1, $2) as id",
        [DEMO_ORG, integrationType],
      );
      return rows[0]?.id as string;
    });

  beforeAll(async () => {
    ({ db, admin } = connect());
    sandbox = await seedWithSandbox(db);
    // SUPABASE_DB_URL is what the platform gives a function: the project's `postgres` login.
    fn = await DeployedFunction.deploy(await freePort(), {
      SUPABASE_DB_URL: inject("supabaseDbUrl"),
      SYNC_WORKER_SECRET: SECRET,
    });
    await fn.start();
    // As the project's owner, the way docs/serverless.md tells a team to install it.
    const { rows } = await db.query<{ installed: Record<string, unknown> }>(
      "select sync_engine.install_serverless($1, p_token => $2) as installed",
      [fn.url, SECRET],
    );
    expect(rows[0]?.installed).toMatchObject({ job_name: "sync-scheduler-sweep", token_source: "vault" });
  });

  afterAll(async () => {
    await db?.query("select sync_engine.uninstall_serverless()").catch(() => {});
    await fn?.remove();
    await sandbox?.close();
    await db?.close();
    await admin?.close();
    if (Object.keys(figures).length > 0) console.log(`serverless figures (ms): ${JSON.stringify(figures)}`);
  });

  it("pg_cron holds the sweep job and the dispatch token is in Vault, not in any table", async () => {
    const { rows: jobs } = await admin.query<{ schedule: string; command: string; username: string }>(
      "select schedule, command, username from cron.job where jobname = 'sync-scheduler-sweep'",
    );
    expect(jobs).toEqual([
      { schedule: "* * * * *", command: "select sync_engine.serverless_sweep()", username: "postgres" },
    ]);
    const { rows: prewarm } = await admin.query<{ command: string }>(
      "select command from cron.job where jobname = 'sync-scheduler-prewarm'",
    );
    expect(prewarm).toEqual([{ command: "select sync_engine.serverless_prewarm(30)" }]);
    const { rows: settings } = await admin.query<{ key: string }>(
      "select key from sync_engine.settings order by key",
    );
    expect(settings.map((s) => s.key)).toEqual(["dispatch_token_vault_name", "dispatch_url"]);
  });

  it("trigger_integration_sync → pg_net → the deployed function → sandbox: succeeded, each approved entry exported once", async () => {
    const runId = await trigger("xledger");
    const committedAt = Date.now();
    const done = await waitFor(() => runRow(runId), {
      intervalMs: 100,
      until: (r) => r.status === "succeeded" || r.status === "failed",
      timeoutMs: 60_000,
    });
    expect(done.status).toBe("succeeded");
    // Claimed by the function (its worker ids start with "edge"), not by any Node worker.
    expect(done.worker_id).toMatch(/^edge/);
    const approved = await approvedIds(DEMO_ORG);
    expect(done.records_exported).toBe(approved.length);
    const received = sandbox.state().xledger.received;
    expect(Object.keys(received).sort()).toEqual(approved);
    expect(Object.values(received).every((n) => n === 1)).toBe(true);
    // pg_net really carried the dispatch: its response table holds the function's 202.
    const { rows: responses } = await admin.query<{ status_code: number }>(
      "select status_code from net._http_response where status_code = 202",
    );
    expect(responses.length).toBeGreaterThan(0);
    const request = fn.events("edge_request").find((l) => l.run_id === runId);
    expect(request?.kind).toBe("dispatch");
    figures.dispatch_commit_to_function_ms = Date.parse(request?.time as string) - committedAt;
    // The isolate's first real request was a cold start: one row, one log line.
    const first = fn.events("edge_request")[0];
    expect(fn.events("cold_start_incident")).toHaveLength(1);
    const incidents = await waitFor(
      async () =>
        (
          await db.query<{ kind: string; integration_id: string | null }>(
            "select kind, integration_id from public.function_cold_starts",
          )
        ).rows,
      { intervalMs: 100, until: (rows) => rows.length > 0, timeoutMs: 10_000 },
    );
    expect(incidents).toEqual([
      { kind: first?.kind, integration_id: first?.kind === "dispatch" ? XLEDGER : null },
    ]);
  });

  it("pre-warm: the job's function posts a warm-up through real pg_net, lead seconds before the period", async () => {
    const warmups = fn.events("warmup").length;
    // (A changed schedule clears next_run_at, so the schedule goes first; yearly, so no tick is due.)
    await db.query("update public.organization_integrations set schedule_cron = '0 3 1 1 *' where id = $1", [
      XLEDGER,
    ]);
    await db.query(
      "update public.organization_integrations set next_run_at = date_trunc('second', clock_timestamp()) + interval '4 seconds' where id = $1",
      [XLEDGER],
    );
    const { rows: due } = await db.query<{ at: Date }>(
      "select next_run_at as at from public.organization_integrations where id = $1",
      [XLEDGER],
    );
    // What the pg_cron job sync-scheduler-prewarm runs each minute, with a 2 s lead.
    const { rows } = await db.query<{ id: string | null }>("select sync_engine.serverless_prewarm(2) as id");
    await db.query(
      "update public.organization_integrations set schedule_cron = null, next_run_at = null where id = $1",
      [XLEDGER],
    );
    expect(rows[0]?.id).not.toBeNull();
    await waitFor(async () => fn.events("warmup").length, {
      intervalMs: 100,
      until: (n) => n > warmups,
      timeoutMs: 10_000,
    });
    const warmup = fn.events("warmup").at(-1);
    expect(warmup?.cold).toBe(false);
    figures.prewarm_lead_observed_ms = (due[0]?.at.getTime() ?? 0) - Date.parse(warmup?.time as string);
    const { rows: sent } = await db.query<{ n: number }>(
      "select count(*)::int as n from sync_engine.prewarms where integration_id = $1 and period_at = $2",
      [XLEDGER, due[0]?.at],
    );
    expect(sent).toEqual([{ n: 1 }]);
  });

  it("a cold start is logged once, then warm-ups answer warm", async () => {
    expect(fn.events("cold_start")).toHaveLength(1);
    const t0 = performance.now();
    const res = await fetch(fn.url, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ warmup: true }),
    });
    figures.warm_request_ms = Math.round(performance.now() - t0);
    expect(await res.json()).toEqual({ warm: true, cold_start: false });
  });

  it("a dispatch lost while the function is down is recovered by pg_cron's next sweep", async () => {
    await fn.stop();
    const runId = await trigger("dynamics");
    const enqueuedAt = Date.now();
    // pg_net tried and failed (connection refused): the run stays pending, nothing is lost.
    const failed = await waitFor(
      async () =>
        (
          await admin.query<{ n: number }>(
            "select count(*)::int as n from net._http_response where error_msg is not null",
          )
        ).rows[0]?.n ?? 0,
      { intervalMs: 100, until: (n) => n > 0, timeoutMs: 30_000 },
    );
    expect(failed).toBeGreaterThan(0);
    expect((await runRow(runId)).status).toBe("pending");

    const restartAt = performance.now();
    await fn.start();
    figures.function_boot_ms = Math.round(performance.now() - restartAt);
    const t0 = performance.now();
    const cold = await fetch(fn.url, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ warmup: true }),
    });
    figures.cold_request_ms = Math.round(performance.now() - t0);
    expect(await cold.json()).toEqual({ warm: true, cold_start: true });
    // Debian's pg_cron 1.4 schedules by the minute: the sweep comes at the next minute boundary.
    const done = await waitFor(() => runRow(runId), {
      intervalMs: 100,
      until: (r) => r.status === "succeeded" || r.status === "failed",
      timeoutMs: 150_000,
    });
    expect(done.status).toBe("succeeded");
    figures.lost_dispatch_recovered_ms = Date.now() - enqueuedAt;
    const sweep = fn.events("edge_request").find((l) => l.kind === "sweep");
    expect(sweep).toBeDefined();
    const received = sandbox.state().dynamics.received;
    expect(Object.keys(received).sort()).toEqual(await approvedIds(DEMO_ORG));
    expect(Object.values(received).every((n) => n === 1)).toBe(true);
  });
});
