/**
 * Issue 18's first "Done when", end to end for BOTH adapters against the sandbox over HTTP, through the
 * stack's own doors (the RPCs as a coordinator, a Worker with the shared executor):
 *
 *   export 1,000 entries → delete one line and change another's amount through the system's verbs
 *   (Business Central: DELETE / PATCH with If-Match on journalLines; Xledger: the sandbox's stand-in for
 *   the UI edit, test/helpers/xledgerUi.ts) → a reconciliation finds exactly `missing` + `amount_mismatch`
 *   → re-queuing the missing one exports it once → after the amount difference is acknowledged, the next
 *   reconciliation has no open finding.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { Worker } from "../../src/engine/run/worker.ts";
import type { IntegrationType } from "../../src/integrations/types.ts";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { rpc, user } from "../helpers/actAs.ts";
import { editJournalLine } from "../helpers/bcJournal.ts";
import { openTestDb, type TestDb } from "../helpers/db.ts";
import { seedEntries } from "../helpers/exports.ts";
import { createScenario } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { editXledgerItem } from "../helpers/xledgerUi.ts";

describe.each<IntegrationType>(["dynamics", "xledger"])(
  "reconciliation end to end against the %s sandbox",
  (type) => {
    let t: TestDb;
    let db: Db;
    let sandbox: Sandbox;
    let worker: Worker;

    beforeAll(async () => {
      t = await openTestDb("pglite");
      db = t.db;
      sandbox = await startSandbox({ port: 0 });
      worker = new Worker({
        db,
        scheduler: false,
        config: { pollSeconds: 0.1, backoffBaseSeconds: 0, backoffCapSeconds: 1 },
      });
      await worker.start();
    });
    afterAll(async () => {
      await worker.stop(0);
      await sandbox.close();
      await t.close();
    });

    /** Waits for a run to end and returns its row. */
    const settled = (runId: string) =>
      waitFor(
        async () =>
          (
            await db.query<{
              status: string;
              records_exported: number;
              progress: Record<string, unknown>;
              error_code: string | null;
            }>(
              "select status, records_exported, progress, error_code from public.sync_run_log where id = $1",
              [runId],
            )
          ).rows[0],
        {
          until: (r) => r !== undefined && ["succeeded", "failed", "cancelled"].includes(r.status),
          timeoutMs: 120_000,
          what: `run ${runId}`,
        },
      );
    const findings = async (runId: string) =>
      (
        await db.query<{ id: string; kind: string; ledger_entry_id: string; status: string }>(
          "select id, kind, ledger_entry_id, status from public.reconciliation_findings where run_id = $1 order by kind",
          [runId],
        )
      ).rows;

    it("finds exactly the deleted and the edited line; the re-queued one is exported once; then nothing is open", {
      timeout: 300_000,
    }, async () => {
      const s = await createScenario(db);
      const integrationId = type === "xledger" ? s.xledgerId : s.dynamicsId;
      const settings = sandboxIntegrationSettings(sandbox.url)[type];
      await db.query("update public.organization_integrations set config = $2 where id = $1", [
        integrationId,
        JSON.stringify(settings.config),
      ]);
      await db.query("select sync_engine.set_integration_credentials($1, $2)", [
        integrationId,
        JSON.stringify(settings.credentials),
      ]);
      const coordinator = user(s.users.coordinator, s.orgId);

      // 1. Export 1,000 entries (500 balanced vouchers dated in November 2026).
      const ids = await seedEntries(db, s.orgId, { approved: 1000 });
      const sync = await rpc<string>(
        db,
        coordinator,
        "select public.trigger_integration_sync($1, $2) as result",
        [s.orgId, type],
      );
      expect(sync.error).toBeNull();
      expect(await settled(sync.data as string)).toMatchObject({
        status: "succeeded",
        records_exported: 1000,
      });
      const received = () =>
        type === "xledger" ? sandbox.state().xledger.received : sandbox.state().dynamics.received;
      expect(Object.keys(received())).toHaveLength(1000);

      // 2. A person deletes one line and changes another's amount, in the accounting system.
      const deleted = ids[10] as string;
      const edited = ids[501] as string;
      if (type === "dynamics") {
        expect(await editJournalLine(sandbox.url, deleted, "delete")).toBe(204);
        expect(await editJournalLine(sandbox.url, edited, { amount: 12345.67 })).toBe(200);
      } else {
        expect(await editXledgerItem(sandbox.url, deleted, "delete")).toBe(200);
        expect(await editXledgerItem(sandbox.url, edited, { amount: "12345.67" })).toBe(200);
      }

      // 3. Reconcile November through the RPC: exactly those two.
      const first = await rpc<string>(
        db,
        coordinator,
        "select public.reconcile_integration($1, $2, $3, $4) as result",
        [s.orgId, type, "2026-11-01", "2026-11-30"],
      );
      expect(first.error).toBeNull();
      const firstRun = await settled(first.data as string);
      expect(firstRun).toMatchObject({ status: "succeeded", progress: { checked: 1000, findings: 2 } });
      const found = await findings(first.data as string);
      expect(found.map((f) => [f.kind, f.ledger_entry_id, f.status])).toEqual([
        ["amount_mismatch", edited, "open"],
        ["missing", deleted, "open"],
      ]);
      expect(Number(firstRun?.progress.requests)).toBeGreaterThan(0);
      const alerts = await db.query("select kind from public.sync_alerts where run_id = $1", [first.data]);
      expect(alerts.rows).toEqual([{ kind: "reconciliation" }]);

      // 4. Re-queue the missing one: the next export sends exactly that entry, once.
      const missing = found.find((f) => f.kind === "missing");
      const requeued = await rpc(
        db,
        coordinator,
        "select public.requeue_reconciliation_finding($1, $2) as result",
        [s.orgId, missing?.id],
      );
      expect(requeued.error).toBeNull();
      const before = { ...received() };
      const again = await rpc<string>(
        db,
        coordinator,
        "select public.trigger_integration_sync($1, $2) as result",
        [s.orgId, type],
      );
      // The manual trigger's 5-minute rate rule: enqueue the follow-up export as the scheduler would.
      const exportRunId =
        again.data ??
        (
          await db.query<{ run_id: string }>("select run_id from sync_engine.enqueue_run($1, 'scheduled')", [
            integrationId,
          ])
        ).rows[0]?.run_id;
      expect(await settled(exportRunId as string)).toMatchObject({
        status: "succeeded",
        records_exported: 1,
      });
      const after = received();
      expect(after[deleted]).toBe((before[deleted] ?? 0) + 1);
      expect(Object.entries(after).filter(([id, n]) => n !== before[id])).toEqual([
        [deleted, (before[deleted] ?? 0) + 1],
      ]);

      // 5. The amount difference was deliberate: acknowledged with a note.
      const mismatch = found.find((f) => f.kind === "amount_mismatch");
      const ack = await rpc(
        db,
        coordinator,
        "select public.acknowledge_reconciliation_finding($1, $2, $3) as result",
        [s.orgId, mismatch?.id, "Corrected by the accountant; the ledger entry will be amended."],
      );
      expect(ack.error).toBeNull();

      // 6. The next reconciliation: nothing missing, nothing open, no alert.
      const next = await db.query<{ run_id: string }>(
        `select sync_engine.insert_reconcile_run(i, 'scheduled', null, '2026-11-01', '2026-11-30') as run_id
       from public.organization_integrations i where i.id = $1`,
        [integrationId],
      );
      const nextId = next.rows[0]?.run_id as string;
      expect(await settled(nextId)).toMatchObject({ status: "succeeded", progress: { checked: 1000 } });
      expect((await findings(nextId)).map((f) => [f.kind, f.status])).toEqual([
        ["amount_mismatch", "acknowledged"],
      ]);
      expect((await db.query("select 1 from public.sync_alerts where run_id = $1", [nextId])).rows).toEqual(
        [],
      );
    });
  },
);
