/**
 * Exactly once into Business Central across a SIGKILLed worker, a lost response and a journal POSTED
 * between the send and the retry (real PostgreSQL, a child worker process, the sandbox over HTTP).
 *
 * 1. A worker process exports 700 entries (350 balanced vouchers, 7 batches); the 4th `$batch` is held
 *    by the sandbox for 6 s and the worker is SIGKILLed while it waits: the batch lands after its sender
 *    died — a lost response.
 * 2. The accountant posts the journal: every line so far, the orphaned batch included, becomes a G/L
 *    entry and leaves the journal, where the old look-up (journalLines only) would miss it.
 * 3. Another worker takes the run over after the in-flight lease; its look-up finds the batch among the
 *    posted `generalLedgerEntries` by document number and sends nothing twice.
 * 4. One more response is lost (`lost_response` fault) on a later batch; the retry finds it in the journal.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineLogger } from "../../src/engine/observe/logger.ts";
import { Worker } from "../../src/engine/run/worker.ts";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { triggerSync, user } from "../helpers/actAs.ts";
import { postJournal, readCollection } from "../helpers/bcJournal.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { seedEntries } from "../helpers/exports.ts";
import { createScenario } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/waitFor.ts";

/** A logger that keeps every event object (child loggers share the list). */
function capture(into: { event: string; [k: string]: unknown }[]): EngineLogger {
  const keep = (obj: object) => {
    into.push(obj as { event: string });
  };
  const logger: EngineLogger = { debug: keep, info: keep, warn: keep, error: keep, child: () => logger };
  return logger;
}

const child = fileURLToPath(new URL("./fixtures/exportWorker.ts", import.meta.url));

describe.runIf(testDbKinds().includes("postgres"))(
  "Business Central exactly once with a SIGKILLed worker, a lost response and the journal posted mid-run",
  () => {
    let t: TestDb;
    let sandbox: Sandbox;
    beforeAll(async () => {
      t = await openTestDb("postgres");
      sandbox = await startSandbox({ port: 0 });
    });
    afterAll(async () => {
      await sandbox.close();
      await t.close();
    });

    it("sends every voucher once, none twice, and the run ends succeeded", { timeout: 180_000 }, async () => {
      const s = await createScenario(t.db);
      const settings = sandboxIntegrationSettings(sandbox.url).dynamics;
      await t.db.query("update public.organization_integrations set config = $2 where id = $1", [
        s.dynamicsId,
        JSON.stringify(settings.config),
      ]);
      await t.db.query("select sync_engine.set_integration_credentials($1, $2)", [
        s.dynamicsId,
        JSON.stringify(settings.credentials),
      ]);
      const approved = await seedEntries(t.db, s.orgId, { approved: 700 });

      // Batches 1–3 take 300 ms each; batch 4 is held 6 s (its sender is killed meanwhile).
      sandbox.fault({ target: "dynamics", kind: "latency", ms: 300, count: 3 });
      sandbox.fault({ target: "dynamics", kind: "latency", ms: 6000, count: 1 });

      const proc = spawn(process.execPath, ["--import", "tsx", child, t.url as string], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      proc.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      const exited = new Promise((resolve) => proc.on("exit", resolve));
      const reaperLog: { event: string; [k: string]: unknown }[] = [];
      let reaper: Worker | undefined;
      try {
        await waitFor(() => out, { until: (o) => o.includes("ready"), timeoutMs: 30_000 });
        const { data: runId, error } = await triggerSync(
          t.db,
          user(s.users.coordinator, s.orgId),
          s.orgId,
          "dynamics",
        );
        expect(error).toBeNull();

        // The 4th $batch has reached the sandbox: kill its sender while the answer is pending.
        await waitFor(() => sandbox.counters().requests.dynamics, {
          until: (n) => n >= 4,
          timeoutMs: 30_000,
        });
        proc.kill("SIGKILL");
        await exited;
        // The held batch lands after its sender died.
        const received = () => Object.keys(sandbox.state().dynamics.received).length;
        await waitFor(received, { until: (n) => n >= 400, timeoutMs: 30_000 });

        // The accountant posts the journal: all 400 lines become G/L entries.
        expect((await postJournal(sandbox.url)).status).toBe(204);
        expect(
          await readCollection(sandbox.url, `journals(${settings.config.journal_id})/journalLines`),
        ).toEqual([]);

        // The reaper's attempt starts with the look-up of the orphaned batch: 100 references in 4
        // journalLines requests (25 per $filter), then 50 document numbers in 2 generalLedgerEntries
        // requests; then batch 5. The answer to batch 6 is lost (the batch is applied all the same).
        sandbox.fault({ target: "dynamics", kind: "latency", ms: 50, count: 7 });
        sandbox.fault({ target: "dynamics", kind: "lost_response", count: 1 });
        reaper = new Worker({
          db: t.db,
          scheduler: false,
          workerId: "reaper",
          config: {
            leaseSeconds: 5,
            heartbeatSeconds: 1,
            pollSeconds: 0.2,
            sendDeadlineSeconds: 2,
            backoffBaseSeconds: 0,
          },
          log: capture(reaperLog),
        });
        await reaper.start();
        const exportsOf = async () =>
          (
            await t.db.query<{ n: number }>(
              "select count(*)::int as n from public.ledger_entry_exports where integration_id = $1",
              [s.dynamicsId],
            )
          ).rows[0]?.n ?? 0;

        const row = await waitFor(
          async () =>
            (
              await t.db.query<{ status: string; attempt: number; records_exported: number }>(
                "select status, attempt, records_exported from public.sync_run_log where id = $1",
                [runId],
              )
            ).rows[0],
          { until: (r) => r?.status === "succeeded", timeoutMs: 60_000 },
        );
        expect(row?.status).toBe("succeeded");
        expect(row?.attempt).toBeGreaterThanOrEqual(3);

        // Every approved entry reached Business Central exactly once.
        const state = sandbox.state().dynamics.received;
        expect(Object.keys(state).sort()).toEqual([...approved].sort());
        expect(Object.values(state).every((n) => n === 1)).toBe(true);
        expect(await exportsOf()).toBe(700);

        // The orphaned batch was found among the POSTED entries (its external ids are G/L entry ids),
        // and the lost one among the journal lines.
        const glIds = new Set((await readCollection(sandbox.url, "generalLedgerEntries")).map((g) => g.id));
        const { rows } = await t.db.query<{ external_id: string }>(
          "select external_id from public.ledger_entry_exports where integration_id = $1",
          [s.dynamicsId],
        );
        expect(rows.filter((r) => glIds.has(r.external_id))).toHaveLength(100);
        const foundRemotely = reaperLog
          .filter((e) => e.event === "export_batch_recorded")
          .map((e) => e.found_remotely as number)
          .filter((n) => n > 0);
        expect(foundRemotely).toEqual([100, 100]);

        // The journal posts: one documentNumber per balanced voucher.
        expect((await postJournal(sandbox.url)).status).toBe(204);
      } finally {
        await reaper?.stop(0);
        if (proc.exitCode === null) proc.kill("SIGKILL");
      }
    });
  },
);
