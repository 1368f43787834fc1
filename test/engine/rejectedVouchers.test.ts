/**
 * A voucher Business Central refuses does not block the rest: 1,000 vouchers with one unknown account
 * in the middle → 999 exported, 1 listed with BC's error, the run `succeeded`; re-queued after the fix,
 * it is exported exactly once. Real database (PGlite, and PostgreSQL with DATABASE_URL), real sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { createExportRun, MAX_REJECTIONS_IN_A_ROW } from "../../src/engine/export/exportRun.ts";
import type { ClaimedRun, RunOutcome } from "../../src/engine/types.ts";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { rpc, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { claim, enqueue, finish, runRow, seedEntries } from "../helpers/exports.ts";
import { addIntegration, addMember, createOrg, createUser } from "../helpers/fixtures.ts";

describe.each(testDbKinds())("rejected vouchers on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let sandbox: Sandbox;
  let orgId: string;
  let integrationId: string;
  let coordinator: string;
  const exporter = createExportRun();

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    sandbox = await startSandbox({ port: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
    await t.close();
  });

  async function setUp(vouchers: number) {
    sandbox.reset();
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    orgId = await createOrg(db);
    coordinator = await createUser(db);
    await addMember(db, orgId, coordinator, "coordinator");
    integrationId = await addIntegration(db, orgId, "dynamics");
    const settings = sandboxIntegrationSettings(sandbox.url).dynamics;
    await db.query("update public.organization_integrations set config = $2 where id = $1", [
      integrationId,
      JSON.stringify(settings.config),
    ]);
    await db.query("select sync_engine.set_integration_credentials($1, $2)", [
      integrationId,
      JSON.stringify(settings.credentials),
    ]);
    return seedEntries(db, orgId, { approved: 2 * vouchers });
  }

  async function runOnce(): Promise<{ run: ClaimedRun; outcome: RunOutcome; status: string | null }> {
    const run = await claim(db, "w", await enqueue(db, integrationId));
    const outcome = await exporter({ run, db, signal: new AbortController().signal, log: () => {} });
    return { run, outcome, status: await finish(db, run, outcome) };
  }

  const vouchersOf = async (ids: string[]) =>
    (
      await db.query<{ voucher_number: string }>(
        "select distinct voucher_number from public.ledger_entries where id = any ($1::uuid[]) order by 1",
        [ids],
      )
    ).rows.map((r) => r.voucher_number);

  it("exports 999 of 1,000 vouchers, lists the refused one with BC's error, then exports it once after a fix", {
    timeout: 300_000,
  }, async () => {
    const ids = await setUp(1000);
    // Voucher 500 of 1,000 books to an account BC does not know.
    const bad = ids.slice(1000, 1002);
    await db.query("update public.ledger_entries set account = '99999' where id = $1", [bad[0]]);

    const first = await runOnce();
    expect([first.outcome.kind, first.status]).toEqual(["succeeded", "succeeded"]);
    expect((await runRow(db, first.run.id)).progress.rejected_vouchers).toBe(1);
    const received = sandbox.state().dynamics.received;
    expect(Object.keys(received)).toHaveLength(1998);
    expect(Object.values(received).every((n) => n === 1)).toBe(true);
    expect(bad.every((id) => received[id as string] === undefined)).toBe(true);

    const listed = await db.query<{
      id: string;
      voucher_number: string;
      status: string;
      error_code: string;
      remote_code: string;
      remote_status: number;
      error_message: string;
      entry_ids: string[];
    }>("select * from public.export_rejections where integration_id = $1", [integrationId]);
    expect(listed.rows).toHaveLength(1);
    const rejection = listed.rows[0];
    expect(rejection?.voucher_number).toBe((await vouchersOf(bad))[0]);
    expect([
      rejection?.status,
      rejection?.error_code,
      rejection?.remote_code,
      rejection?.remote_status,
    ]).toEqual(["rejected", "bad_request", "Application_DialogException", 400]);
    expect(rejection?.error_message).toContain('The "accountNumber" does not match to an Account.');
    expect([...(rejection?.entry_ids ?? [])].sort()).toEqual([...bad].sort());

    // A second run leaves the refused voucher alone: nothing sent, nothing listed twice.
    const idle = await runOnce();
    expect([idle.status, idle.outcome.kind === "succeeded" && idle.outcome.recordsExported]).toEqual([
      "succeeded",
      0,
    ]);

    // Fixed and re-queued by a coordinator: exported once, through the same exactly-once path.
    await db.query("update public.ledger_entries set account = '5000' where id = $1", [bad[0]]);
    const requeued = await rpc(
      db,
      user(coordinator, orgId),
      "select public.requeue_rejected_voucher($1, $2) as result",
      [orgId, rejection?.id],
    );
    expect(requeued.error).toBeNull();
    const again = await runOnce();
    expect([again.status, again.outcome.kind === "succeeded" && again.outcome.recordsExported]).toEqual([
      "succeeded",
      2,
    ]);
    const after = sandbox.state().dynamics.received;
    expect(Object.keys(after)).toHaveLength(2000);
    expect(Object.values(after).every((n) => n === 1)).toBe(true);
    expect(
      (
        await db.query<{ n: number }>(
          "select count(*)::int as n from public.ledger_entry_exports where integration_id = $1",
          [integrationId],
        )
      ).rows[0]?.n,
    ).toBe(2000);
  });

  it(`fails the run after ${MAX_REJECTIONS_IN_A_ROW} refusals in a row instead of dead-lettering everything`, {
    timeout: 120_000,
  }, async () => {
    const ids = await setUp(30);
    await db.query("update public.ledger_entries set account = '99999' where id = any ($1::uuid[])", [ids]);
    const { outcome, status } = await runOnce();
    expect([outcome.kind, outcome.kind === "failed" && outcome.code, status]).toEqual([
      "failed",
      "rejections_in_a_row",
      "failed",
    ]);
    const listed = await db.query<{ n: number }>(
      "select count(*)::int as n from public.export_rejections where integration_id = $1",
      [integrationId],
    );
    expect(listed.rows[0]?.n).toBe(MAX_REJECTIONS_IN_A_ROW);
    expect(sandbox.state().dynamics.received).toEqual({});
  });

  it("isolates a refusal that names no voucher: the batch goes out voucher by voucher", {
    timeout: 120_000,
  }, async () => {
    const ids = await setUp(10);
    // The whole $batch is refused (HTTP 400 on the request itself, no operation to blame). Then the
    // first voucher alone: its look-up (journalLines, then generalLedgerEntries) passes, its send is
    // refused again; the other nine go through one request each.
    sandbox.fault({ target: "dynamics", kind: "status", status: 400, count: 1 });
    sandbox.fault({ target: "dynamics", kind: "latency", ms: 1, count: 2 });
    sandbox.fault({ target: "dynamics", kind: "status", status: 400, count: 1 });
    const { outcome, status } = await runOnce();
    expect([outcome, status]).toEqual([{ kind: "succeeded", recordsExported: 18 }, "succeeded"]);
    const received = sandbox.state().dynamics.received;
    expect(Object.keys(received).sort()).toEqual(ids.slice(2).sort());
    const listed = await db.query<{ voucher_number: string; remote_status: number }>(
      "select voucher_number, remote_status from public.export_rejections where integration_id = $1",
      [integrationId],
    );
    expect(listed.rows).toEqual([
      { voucher_number: (await vouchersOf(ids.slice(0, 2)))[0], remote_status: 400 },
    ]);
  });
});
