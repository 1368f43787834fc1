import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { type Sandbox, sandboxIntegrationSettings } from "../../src/local/sandbox/index.ts";
import { actAs, user } from "../helpers/actAs.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { connect, seedWithSandbox, skipReason } from "./fixture.ts";

const repo = resolve(import.meta.dirname, "..", "..");
const OTHER_ORG = "d0000000-0000-4000-8000-000000000002";
const OTHER_COORDINATOR = "a0000000-0000-4000-8000-000000000004";
const OTHER_XLEDGER = "e0000000-0000-4000-8000-000000000003";
const LOGIN = "sync_worker_login_test";

/**
 * `sync-scheduler worker` under the login docs/serverless.md ("A login for workers") tells teams to
 * create: it holds nothing itself (NOINHERIT) and works only as service_role, which every engine
 * function is granted to — not as the owner, so RLS and the service_role restrictions hold.
 */
describe.skipIf(skipReason() !== "")("sync-scheduler worker under its own login", () => {
  let db: Db;
  let admin: Db;
  let sandbox: Sandbox;
  let worker: ChildProcess | null = null;
  const out: string[] = [];
  const loginUrl = (withRole: boolean) => {
    const url = new URL(inject("supabaseDbUrl"));
    url.username = LOGIN;
    if (withRole) url.searchParams.set("options", "-c role=service_role");
    return url.toString();
  };

  beforeAll(async () => {
    ({ db, admin } = connect());
    sandbox = await seedWithSandbox(db);
    const settings = sandboxIntegrationSettings(sandbox.url);
    await db.query(
      "update public.organization_integrations set config = $2, schedule_cron = null where id = $1",
      [OTHER_XLEDGER, settings.xledger.config],
    );
    await db.query("select sync_engine.set_integration_credentials($1, $2)", [
      OTHER_XLEDGER,
      settings.xledger.credentials,
    ]);
    // Exactly the two statements the docs give, run as the project's `postgres` login.
    await db.query(`drop role if exists ${LOGIN}`);
    await db.query(`create role ${LOGIN} login noinherit`);
    await db.query(`grant service_role to ${LOGIN}`);
  });

  afterAll(async () => {
    if (worker && worker.exitCode === null) worker.kill("SIGKILL");
    await sandbox?.close();
    await db?.query(`drop role if exists ${LOGIN}`).catch(() => {});
    await db?.close();
    await admin?.close();
  });

  it("the login alone can read and run nothing", async () => {
    const bare = new pg.Client({ connectionString: loginUrl(false) });
    await bare.connect();
    try {
      await expect(bare.query("select count(*) from public.sync_run_log")).rejects.toMatchObject({
        code: "42501",
      });
      await expect(bare.query("select * from sync_engine.claim_runs('x', 1, 60)")).rejects.toMatchObject({
        code: "42501",
      });
    } finally {
      await bare.end();
    }
    const asEngine = new pg.Client({ connectionString: loginUrl(true) });
    await asEngine.connect();
    try {
      const { rows } = await asEngine.query<{ who: string; owner: boolean }>(
        "select current_user as who, pg_has_role('postgres', 'member') as owner",
      );
      expect(rows).toEqual([{ who: "service_role", owner: false }]);
    } finally {
      await asEngine.end();
    }
  });

  it("runs a manual sync to succeeded, each approved entry exported once", async () => {
    worker = spawn(
      process.execPath,
      [join(repo, "bin", "sync-scheduler.js"), "worker", "--poll-seconds", "1"],
      {
        cwd: repo,
        env: { ...process.env, DATABASE_URL: loginUrl(true) },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    worker.stdout?.on("data", (d: Buffer) => out.push(d.toString()));
    await waitFor(async () => out.join(""), {
      intervalMs: 100,
      until: (text) => text.includes('"worker_started"'),
      timeoutMs: 30_000,
    });
    const runId = await actAs(db, user(OTHER_COORDINATOR, OTHER_ORG), async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        "select public.trigger_integration_sync($1, 'xledger') as id",
        [OTHER_ORG],
      );
      return rows[0]?.id as string;
    });
    const row = await waitFor(
      async () =>
        (
          await db.query<{ status: string; worker_id: string; records_exported: number }>(
            "select status, worker_id, records_exported from public.sync_run_log where id = $1",
            [runId],
          )
        ).rows[0],
      {
        intervalMs: 100,
        until: (r) => r?.status === "succeeded" || r?.status === "failed",
        timeoutMs: 60_000,
      },
    );
    expect(row?.status).toBe("succeeded");
    expect(row?.worker_id).not.toMatch(/^edge/);
    const { rows: approved } = await db.query<{ id: string }>(
      "select id::text from public.ledger_entries where org_id = $1 and approved_at is not null order by id",
      [OTHER_ORG],
    );
    expect(row?.records_exported).toBe(approved.length);
    const received = sandbox.state().xledger.received;
    expect(Object.keys(received).sort()).toEqual(approved.map((r) => r.id));
    expect(Object.values(received).every((n) => n === 1)).toBe(true);

    const exited = new Promise<number | null>((done) => worker?.once("exit", (code) => done(code)));
    worker.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out.join("")).not.toContain('"level":"error"');
  });
});
