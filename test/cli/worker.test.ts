import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.ts";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { triggerSync, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { waitFor } from "../helpers/waitFor.ts";

const bin = fileURLToPath(new URL("../../bin/sync-scheduler.js", import.meta.url));
const DEMO_ORG = "d0000000-0000-4000-8000-000000000001";
const COORDINATOR = "a0000000-0000-4000-8000-000000000002";

describe.runIf(testDbKinds().includes("postgres"))(
  "sync-scheduler worker (child process, PostgreSQL)",
  () => {
    let t: TestDb;
    let sandbox: Sandbox;
    let proc: ChildProcess;
    let out = "";
    const lines = () =>
      out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>);

    beforeAll(async () => {
      t = await openTestDb("postgres");
      await migrate(t.db, { seed: true });
      sandbox = await startSandbox({ port: 0 });
      const settings = sandboxIntegrationSettings(sandbox.url);
      await t.db.query(
        "update public.organization_integrations set config = $1 where integration_type = 'xledger'",
        [settings.xledger.config],
      );
      proc = spawn(
        process.execPath,
        [
          bin,
          "worker",
          "--db-url",
          t.url as string,
          "--poll-seconds",
          "0.2",
          "--metrics-port",
          "0",
          "--concurrency",
          "2",
          "--send-deadline-seconds",
          "20",
        ],
        { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, SYNC_LEASE_SECONDS: "30" } },
      );
      proc.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
      });
      await waitFor(lines, { until: (l) => l.some((e) => e.event === "worker_started"), timeoutMs: 30_000 });
    });
    afterAll(async () => {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await sandbox.close();
      await t.close();
    });

    it("takes flags and environment variables, validated", () => {
      const started = lines().find((e) => e.event === "worker_started") as {
        config: Record<string, unknown>;
      };
      expect(started.config).toMatchObject({
        concurrency: 2,
        pollSeconds: 0.2,
        leaseSeconds: 30,
        heartbeatSeconds: 15,
        sendDeadlineSeconds: 20,
      });
    });

    it("runs a manual sync to completion and exports to the sandbox exactly once", async () => {
      // A slow send, so the in-flight lease (--send-deadline-seconds 20 + 15 s, above the 30 s
      // lease) can be seen while the batch is out.
      sandbox.fault({ target: "xledger", kind: "latency", ms: 1500, count: 1 });
      const { data: runId } = await triggerSync(t.db, user(COORDINATOR, DEMO_ORG), DEMO_ORG, "xledger");
      let longestLease = 0;
      const row = await waitFor(
        async () => {
          const r = (
            await t.db.query<{ status: string; records_exported: number; lease_left: number | null }>(
              `select status, records_exported,
                      extract(epoch from lease_expires_at - now())::float8 as lease_left
               from public.sync_run_log where id = $1`,
              [runId],
            )
          ).rows[0];
          if (r?.status === "running") longestLease = Math.max(longestLease, Number(r.lease_left));
          return r && { status: r.status, records_exported: r.records_exported };
        },
        { until: (r) => r?.status === "succeeded" || r?.status === "failed" },
      );
      expect(row).toEqual({ status: "succeeded", records_exported: 12 });
      expect(longestLease).toBeGreaterThan(31);
      expect(longestLease).toBeLessThanOrEqual(35);
      const received = Object.values(sandbox.state().xledger.received);
      expect(received).toHaveLength(12);
      expect(received.every((n) => n === 1)).toBe(true);
      expect(
        lines().some((e) => e.event === "run_started" && e.run_id === runId && e.org_id === DEMO_ORG),
      ).toBe(true);
    });

    it("serves /metrics and /healthz", async () => {
      const port = (lines().find((e) => e.event === "metrics_listening") as { port: number }).port;
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain(
        'sync_runs_total{integration="xledger",triggered_by="manual",result="succeeded"} 1',
      );
    });

    it("exits 0 on SIGTERM after draining", async () => {
      const exit = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
      proc.kill("SIGTERM");
      expect(await exit).toBe(0);
      expect(lines().map((e) => e.event)).toContain("worker_stopped");
    });
  },
);

describe("sync-scheduler worker options", () => {
  it("refuses invalid options with a clear message and exit code 2", async () => {
    const proc = spawn(
      process.execPath,
      [
        bin,
        "worker",
        "--db-url",
        "postgres://x@127.0.0.1/none",
        "--lease-seconds",
        "10",
        "--heartbeat-seconds",
        "9",
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, DATABASE_URL: "" },
      },
    );
    let err = "";
    proc.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => proc.on("exit", resolve));
    expect(code).toBe(2);
    expect(err).toContain("--heartbeat-seconds: heartbeat must be at most half the lease");
  });
});
