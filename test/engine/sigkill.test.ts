import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "../../src/engine/run/worker.ts";
import { triggerSync, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { createScenario } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { recordingExecutor } from "./testExecutors.ts";

const child = fileURLToPath(new URL("./fixtures/hangingWorker.ts", import.meta.url));

describe.runIf(testDbKinds().includes("postgres"))(
  "a worker SIGKILLed mid-run (real PostgreSQL, child process)",
  () => {
    let t: TestDb;
    beforeAll(async () => {
      t = await openTestDb("postgres");
    });
    afterAll(() => t.close());

    it("leaves its run to be reaped after the lease and retried by another worker", async () => {
      const s = await createScenario(t.db);
      const proc = spawn(process.execPath, ["--import", "tsx", child, t.url as string], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      proc.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      const exited = new Promise((resolve) => proc.on("exit", resolve));
      try {
        await waitFor(() => out, { until: (o) => o.includes("ready"), timeoutMs: 30_000 });
        const { data: runId } = await triggerSync(
          t.db,
          user(s.users.coordinator, s.orgId),
          s.orgId,
          "xledger",
        );
        await waitFor(() => out, { until: (o) => o.includes(`started ${runId}`) });
        proc.kill("SIGKILL");
        await exited;
        const killedAt = Date.now();

        const rec = recordingExecutor();
        const reaper = new Worker({
          db: t.db,
          executor: rec.executor,
          scheduler: false,
          workerId: "reaper",
          config: { leaseSeconds: 5, heartbeatSeconds: 1, pollSeconds: 0.2 },
        });
        await reaper.start();
        try {
          const row = await waitFor(
            async () =>
              (
                await t.db.query<{ status: string; attempt: number; worker_id: string }>(
                  "select status, attempt, worker_id from public.sync_run_log where id = $1",
                  [runId],
                )
              ).rows[0],
            { until: (r) => r?.status === "succeeded", timeoutMs: 30_000 },
          );
          const recoveredMs = Date.now() - killedAt;
          console.log(
            `SIGKILLed run retried and succeeded ${recoveredMs} ms after the kill (lease 5 s, sweep 0.2 s)`,
          );
          expect(row).toMatchObject({ status: "succeeded", attempt: 2, worker_id: "reaper" });
          expect(rec.started).toEqual([runId]);
        } finally {
          await reaper.stop(0);
        }
      } finally {
        if (proc.exitCode === null) proc.kill("SIGKILL");
      }
    });
  },
);
