/**
 * Exactly once against the fake Xledger when it has no `extIdentifier_in` filter: real worker processes
 * with the real export executor, one SIGKILLed while its send is held up in the sandbox (the send lands
 * after the sender died), another SIGKILLed the same way later, and a lost response on top. Every look-up
 * after a crash is refused on the fast path and must fall back to `modifiedAt_gte`; every approved entry
 * must reach Xledger exactly once and the run must end `succeeded`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { enqueue, seedEntries } from "../helpers/exports.ts";
import { addIntegration, countRows, createOrg } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/waitFor.ts";

const child = fileURLToPath(new URL("./fixtures/loggingExportWorker.ts", import.meta.url));

interface Proc {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<unknown>;
}

describe.runIf(testDbKinds().includes("postgres"))(
  "exactly once to Xledger without extIdentifier_in, across SIGKILLed workers and a lost response",
  () => {
    let t: TestDb;
    let sandbox: Sandbox;
    const procs: Proc[] = [];

    beforeAll(async () => {
      t = await openTestDb("postgres");
      sandbox = await startSandbox({ port: 0 });
    });
    afterAll(async () => {
      for (const p of procs) p.proc.kill("SIGKILL");
      await Promise.all(procs.map((p) => p.exited));
      await sandbox.close();
      await t.close();
    });

    async function startWorker(id: string): Promise<Proc> {
      const proc = spawn(process.execPath, ["--import", "tsx", child, t.url as string, id], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      proc.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      const p = { proc, out: () => out, exited: new Promise((resolve) => proc.on("exit", resolve)) };
      procs.push(p);
      await waitFor(p.out, { until: (o) => o.includes("ready"), timeoutMs: 30_000 });
      return p;
    }

    const received = () => sandbox.state().xledger.received;
    const receivedCount = () => Object.keys(received()).length;

    /**
     * Makes the `n`-th next Xledger request meet `fault` (n − 1 no-op faults hold the FIFO's place), so the
     * fault lands on a known request whatever the timing; returns the request count it waits for.
     */
    function onNthRequest(n: number, fault: Record<string, unknown>): number {
      for (let i = 1; i < n; i++) sandbox.fault({ target: "xledger", kind: "latency", ms: 0 });
      sandbox.fault({ target: "xledger", ...fault });
      return sandbox.counters().requests.xledger + n;
    }

    /** SIGKILLs `p` once request number `nth` is being held in the sandbox (it takes effect afterwards). */
    async function killWhileHeld(p: Proc, nth: number): Promise<void> {
      await waitFor(() => sandbox.counters().requests.xledger, { until: (n) => n >= nth, timeoutMs: 90_000 });
      p.proc.kill("SIGKILL");
      await p.exited;
    }
    const refusals = 10_000;

    it("every approved entry reaches Xledger once, none twice, and the run ends succeeded", async () => {
      const orgId = await createOrg(t.db);
      const integrationId = await addIntegration(t.db, orgId, "xledger", { maxAttempts: 10 });
      const settings = sandboxIntegrationSettings(sandbox.url).xledger;
      await t.db.query("update public.organization_integrations set config = $2 where id = $1", [
        integrationId,
        JSON.stringify(settings.config),
      ]);
      await t.db.query("select sync_engine.set_integration_credentials($1, $2)", [
        integrationId,
        JSON.stringify(settings.credentials),
      ]);
      // 700 entries = 7 batches of 100.
      const approved = await seedEntries(t.db, orgId, { approved: 700 });
      // This Xledger has no extIdentifier_in: every look-up's fast path is refused.
      sandbox.fault({
        target: "xledger",
        kind: "unsupported_filter",
        field: "extIdentifier_in",
        count: refusals,
      });

      // A: sends batches 1 and 2; its 3rd request, batch 3's send, is held 1.5 s and A is killed meanwhile —
      // the batch lands after its sender died.
      const a = await startWorker("worker-a");
      const holdA = onNthRequest(3, { kind: "latency", ms: 1_500 });
      const runId = await enqueue(t.db, integrationId);
      await killWhileHeld(a, holdA);
      // B (after the in-flight lease): the refused fast path, one modifiedAt_gte page (batch 3 found), the
      // send of batch 4, then batch 5's send — held, and B killed the same way.
      const holdB = onNthRequest(4, { kind: "latency", ms: 1_500 });
      const b = await startWorker("worker-b");
      await killWhileHeld(b, holdB);
      await waitFor(receivedCount, { until: (n) => n >= 500, timeoutMs: 30_000 });
      // C: refused fast path, one page (batch 5 found), batch 6's send, then batch 7's send — whose answer
      // is lost (it takes effect), so the next attempt must find it too.
      onNthRequest(4, { kind: "lost_response" });
      const c = await startWorker("worker-c");
      const run = await waitFor(
        async () =>
          (
            await t.db.query<{ status: string; attempt: number; records_exported: number }>(
              "select status, attempt, records_exported from public.sync_run_log where id = $1",
              [runId],
            )
          ).rows[0],
        { until: (r) => r?.status === "succeeded" || r?.status === "failed", timeoutMs: 120_000 },
      );
      expect(run).toMatchObject({ status: "succeeded", records_exported: 700 });
      expect(run?.attempt).toBeGreaterThanOrEqual(4);
      expect(received()).toEqual(Object.fromEntries(approved.map((id) => [id, 1])));
      expect(
        await countRows(t.db, "public.ledger_entry_exports", "integration_id = $1", [integrationId]),
      ).toBe(700);

      // The look-ups really went the modifiedAt_gte way: fast paths were refused, batches found remotely.
      const events = [a, b, c]
        .flatMap((p) => p.out().split("\n"))
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { event: string; found_remotely?: number; sent?: number });
      const found = events.filter((e) => e.event === "export_batch_recorded" && (e.found_remotely ?? 0) > 0);
      // Batch 3 (A killed), batch 5 (B killed), batch 7 (response lost): each found, none re-sent.
      expect(found.map((e) => [e.found_remotely, e.sent])).toEqual([
        [100, 0],
        [100, 0],
        [100, 0],
      ]);
      expect(sandbox.counters().pendingFaults.xledger).toBeLessThan(refusals);
      const { rows } = await t.db.query<{ purpose: string; requests: number }>(
        "select purpose, requests::int from public.api_request_tally where integration_id = $1 order by purpose",
        [integrationId],
      );
      console.log(
        `exactly-once (Xledger, extIdentifier_in refused): run ${run?.attempt} attempts, ${found.length} batches found remotely, refusals used ${refusals - sandbox.counters().pendingFaults.xledger}; tally ${JSON.stringify(rows)}`,
      );
      expect(rows.find((r) => r.purpose === "lookup")?.requests ?? 0).toBeGreaterThanOrEqual(6);
    }, 300_000);
  },
);
