/** Credentials storage and the export pipeline's SQL (supabase/migrations/20261129000500_export_pipeline.sql). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Db, pgError } from "../../src/db/types.ts";
import { engineSqlError } from "../../src/engine/export/exportSql.ts";
import type { ClaimedRun } from "../../src/engine/types.ts";
import { actAs, anon, type Identity, serviceRole, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { claim, enqueue, finish, makeDue, runRow, seedEntries, sqlErrorCode } from "../helpers/exports.ts";
import { addIntegration, addMember, countRows, createOrg, createUser } from "../helpers/fixtures.ts";

const XLEDGER = { token: "xl-secret-token" };
const DYNAMICS = { client_id: "bc-client", client_secret: "bc-secret-value" };

const setCredentials = (db: Db, integrationId: string, credentials: unknown) =>
  db.query<{ s: string }>("select sync_engine.set_integration_credentials($1, $2) as s", [
    integrationId,
    JSON.stringify(credentials),
  ]);
const runtime = async (db: Db, integrationId: string) =>
  (
    await db.query<{ integration_type: string; credentials: unknown; credentials_source: string | null }>(
      "select * from sync_engine.integration_runtime($1)",
      [integrationId],
    )
  ).rows[0];

describe.each(testDbKinds())("integration credentials on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let orgId: string;
  let xledgerId: string;
  let dynamicsId: string;
  let memberId: string;

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    orgId = await createOrg(db);
    xledgerId = await addIntegration(db, orgId, "xledger");
    dynamicsId = await addIntegration(db, orgId, "dynamics");
    memberId = await createUser(db);
    await addMember(db, orgId, memberId, "admin");
  });
  afterAll(() => t.close());

  it("stores valid credentials in the service-only table (no Vault here) and hands them to the worker", async () => {
    expect((await setCredentials(db, xledgerId, XLEDGER)).rows[0]?.s).toBe("table");
    expect((await setCredentials(db, dynamicsId, DYNAMICS)).rows[0]?.s).toBe("table");
    expect(await runtime(db, xledgerId)).toMatchObject({
      integration_type: "xledger",
      credentials: XLEDGER,
      credentials_source: "table",
    });
    expect(await runtime(db, dynamicsId)).toMatchObject({
      credentials: DYNAMICS,
      credentials_source: "table",
    });
    // Setting again replaces, never duplicates.
    await setCredentials(db, xledgerId, { token: "rotated" });
    expect((await runtime(db, xledgerId))?.credentials).toEqual({ token: "rotated" });
    expect(await countRows(db, "sync_engine.integration_credentials")).toBe(2);
    await setCredentials(db, xledgerId, XLEDGER);
  });

  it.each([
    ["xledger", "an empty object", {}],
    ["xledger", "an empty token", { token: "  " }],
    ["xledger", "a numeric token", { token: 42 }],
    ["xledger", "an extra key", { token: "t", client_secret: "s" }],
    ["xledger", "an array", ["t"]],
    ["xledger", "JSON null", null],
    ["dynamics", "a missing secret", { client_id: "c" }],
    ["dynamics", "an Xledger shape", { token: "t" }],
    ["dynamics", "a too long secret", { client_id: "c", client_secret: "x".repeat(5000) }],
  ])("refuses %s credentials with %s and stores nothing", async (type, _label, credentials) => {
    const id = type === "xledger" ? xledgerId : dynamicsId;
    const before = (await runtime(db, id))?.credentials;
    expect(await sqlErrorCode(setCredentials(db, id, credentials))).toBe("invalid_credentials");
    expect((await runtime(db, id))?.credentials).toEqual(before);
  });

  it("names the problem but never echoes a value", async () => {
    const error = await setCredentials(db, xledgerId, { token: "", sneaky: "do-not-echo-me" }).catch(
      (e: unknown) => e,
    );
    const coded = engineSqlError(error);
    expect(coded?.details).toEqual({
      integration_type: "xledger",
      problems: ["token must be a non-empty string", "unexpected key(s) sneaky"],
    });
    // What reaches a client or a log: message, detail and hint (the driver's copy of the query parameters aside).
    const fields = pgError(error);
    expect(`${fields?.message} ${fields?.detail} ${fields?.hint}`).not.toContain("do-not-echo-me");
  });

  it("refuses an unknown integration", async () => {
    expect(await sqlErrorCode(setCredentials(db, crypto.randomUUID(), XLEDGER))).toBe(
      "integration_not_found",
    );
  });

  it("keeps credentials away from anon and authenticated, and lets only service_role use the two doors", async () => {
    const member = user(memberId, orgId);
    for (const who of [anon, member] as Identity[]) {
      await expect(
        actAs(db, who, (tx) => tx.query("select * from sync_engine.integration_credentials")),
      ).rejects.toMatchObject({ code: "42501" });
      await expect(
        actAs(db, who, (tx) => tx.query("select * from sync_engine.integration_runtime($1)", [xledgerId])),
      ).rejects.toMatchObject({ code: "42501" });
      await expect(
        actAs(db, who, (tx) =>
          tx.query("select sync_engine.set_integration_credentials($1, $2)", [
            xledgerId,
            JSON.stringify(XLEDGER),
          ]),
        ),
      ).rejects.toMatchObject({ code: "42501" });
    }
    // The member sees the integration row itself, and no secret is in it.
    const visible = await actAs(db, member, async (tx) =>
      JSON.stringify((await tx.query("select * from public.organization_integrations")).rows),
    );
    expect(visible).toContain(xledgerId);
    expect(visible).not.toContain(XLEDGER.token);
    expect(visible).not.toContain(DYNAMICS.client_secret);
    // service_role reads through the definer function, not the table.
    await expect(
      actAs(db, serviceRole, (tx) => tx.query("select * from sync_engine.integration_credentials")),
    ).rejects.toMatchObject({ code: "42501" });
    const viaService = await actAs(
      db,
      serviceRole,
      async (tx) =>
        (await tx.query("select credentials from sync_engine.integration_runtime($1)", [xledgerId])).rows[0],
    );
    expect(viaService).toEqual({ credentials: XLEDGER });
  });

  it("grants every new engine function to service_role only", async () => {
    const { rows } = await db.query<{ fn: string; role: string; can: boolean }>(
      `select p.oid::regprocedure::text as fn, r.role, has_function_privilege(r.role, p.oid, 'execute') as can
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       cross join (values ('anon'), ('authenticated'), ('service_role')) as r (role)
       where n.nspname = 'sync_engine' and p.proname in ('set_integration_credentials', 'integration_runtime',
         'next_export_batch', 'mark_batch_in_flight', 'record_exports', 'record_snooze', 'vault_available',
         'raise_run_not_held')`,
    );
    expect(rows.length).toBe(8 * 3);
    for (const r of rows) expect([r.fn, r.role, r.can]).toEqual([r.fn, r.role, r.role === "service_role"]);
    const tables = await db.query<{ t: string; role: string; can: boolean }>(
      `select t, r.role, has_table_privilege(r.role, t, 'select') as can
       from (values ('sync_engine.integration_credentials'), ('sync_engine.export_in_flight')) as x (t)
       cross join (values ('anon'), ('authenticated')) as r (role)`,
    );
    for (const r of tables.rows) expect([r.t, r.role, r.can]).toEqual([r.t, r.role, false]);
  });
});

describe.each(testDbKinds())("integration credentials in Supabase Vault (stand-in) on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let integrationId: string;

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    // The shape of supabase_vault 0.3: vault.secrets, vault.decrypted_secrets, create_secret/update_secret
    // with the same parameter names. "Encryption" here is base64, enough to show the plain text is not
    // what our own table holds.
    await db.exec(`
      create schema vault;
      create table vault.secrets (
        id uuid primary key default gen_random_uuid(), name text unique, description text not null default '',
        secret text not null, updated_at timestamptz not null default now());
      create view vault.decrypted_secrets as
        select s.*, convert_from(decode(s.secret, 'base64'), 'utf8') as decrypted_secret from vault.secrets s;
      create function vault.create_secret(new_secret text, new_name text = null, new_description text = '',
        new_key_id uuid = null) returns uuid language sql as $$
        insert into vault.secrets (secret, name, description)
        values (encode(convert_to(new_secret, 'utf8'), 'base64'), new_name, new_description) returning id $$;
      create function vault.update_secret(secret_id uuid, new_secret text = null, new_name text = null,
        new_description text = null, new_key_id uuid = null) returns void language sql as $$
        update vault.secrets s set secret = coalesce(encode(convert_to(new_secret, 'utf8'), 'base64'), s.secret),
          updated_at = now() where s.id = secret_id $$;
    `);
    integrationId = await addIntegration(db, await createOrg(db), "dynamics");
  });
  afterAll(() => t.close());

  it("stores the secret in Vault, keeps only its id, and decrypts it for the worker", async () => {
    expect((await setCredentials(db, integrationId, DYNAMICS)).rows[0]?.s).toBe("vault");
    const stored = await db.query<{ vault_secret_id: string | null; credentials: unknown }>(
      "select vault_secret_id, credentials from sync_engine.integration_credentials where integration_id = $1",
      [integrationId],
    );
    const secretId = stored.rows[0]?.vault_secret_id;
    expect(secretId).toMatch(/^[0-9a-f-]{36}$/);
    expect(stored.rows[0]?.credentials).toBeNull();
    expect(await runtime(db, integrationId)).toMatchObject({
      credentials: DYNAMICS,
      credentials_source: "vault",
    });

    // Rotation updates the same secret.
    const rotated = { ...DYNAMICS, client_secret: "rotated" };
    await setCredentials(db, integrationId, rotated);
    expect((await runtime(db, integrationId))?.credentials).toEqual(rotated);
    expect(await countRows(db, "vault.secrets")).toBe(1);
    const again = await db.query<{ vault_secret_id: string }>(
      "select vault_secret_id from sync_engine.integration_credentials where integration_id = $1",
      [integrationId],
    );
    expect(again.rows[0]?.vault_secret_id).toBe(secretId);
  });

  it("reports no credentials when the Vault secret was deleted", async () => {
    await db.query("delete from vault.secrets");
    expect(await runtime(db, integrationId)).toMatchObject({ credentials: null, credentials_source: null });
    // Setting them again creates a fresh secret.
    await setCredentials(db, integrationId, DYNAMICS);
    expect((await runtime(db, integrationId))?.credentials).toEqual(DYNAMICS);
  });
});

describe.each(testDbKinds())("export pipeline SQL on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let orgId: string;
  let integrationId: string;
  let otherIntegrationId: string;
  let approved: string[];
  let runId: string;
  let run: ClaimedRun;

  const fence = (r: ClaimedRun = run) => [r.id, r.worker_id, r.attempt] as const;
  // Whole vouchers after the voucher `afterVoucher`, at most `limit` lines (seedEntries: 7 approved =
  // vouchers of 2, 2 and 3 lines in id order).
  const batch = async (afterVoucher: string | null, limit: number, r: ClaimedRun = run) =>
    (
      await db.query<{
        entry_id: string;
        voucher_number: string;
        amount: string;
        entry_date: string;
        in_flight: boolean;
      }>("select * from sync_engine.next_export_batch($1, $2, $3, $4, $5)", [
        ...fence(r),
        afterVoucher,
        limit,
      ])
    ).rows;
  const voucherOf = async (id: string | undefined) =>
    (
      await db.query<{ v: string }>("select voucher_number as v from public.ledger_entries where id = $1", [
        id,
      ])
    ).rows[0]?.v as string;
  const record = (ids: string[], externalIds: string[], cursor: unknown, r: ClaimedRun = run) =>
    db.query<{ recorded: number; records_exported: number }>(
      "select * from sync_engine.record_exports($1, $2, $3, $4, $5, $6)",
      [...fence(r), ids, externalIds, JSON.stringify(cursor)],
    );
  const mark = (ids: string[], leaseSeconds: number | null = null, r: ClaimedRun = run) =>
    db.query<{ lease: Date }>("select sync_engine.mark_batch_in_flight($1, $2, $3, $4, $5) as lease", [
      ...fence(r),
      ids,
      leaseSeconds,
    ]);
  const exportsOf = (integration: string) =>
    countRows(db, "public.ledger_entry_exports", "integration_id = $1", [integration]);

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    orgId = await createOrg(db);
    integrationId = await addIntegration(db, orgId, "xledger");
    otherIntegrationId = await addIntegration(db, orgId, "dynamics");
    approved = await seedEntries(db, orgId, { approved: 7, unapproved: 3 });
    // Another org's approved entries must never show up.
    await seedEntries(db, await createOrg(db), { approved: 4 });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
    await db.query("delete from public.ledger_entry_exports");
    await db.query("delete from sync_engine.export_in_flight");
    // A test that records part of a voucher leaves it "amended"; the next batch call sets it aside.
    await db.query("delete from public.export_rejections");
    runId = await enqueue(db, integrationId);
    run = await claim(db, "worker-a", runId);
  });

  it("hands out the org's approved entries as whole vouchers in order after the cursor, amounts and dates as text", async () => {
    const first = await batch(null, 4);
    expect(first.map((r) => r.entry_id)).toEqual(approved.slice(0, 4));
    expect(first[0]?.amount).toMatch(/^-?\d+\.\d{2}$/);
    expect(first[0]?.entry_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // 3 lines asked, but the second voucher would make 4: a voucher is never split.
    expect((await batch(null, 3)).map((r) => r.entry_id)).toEqual(approved.slice(0, 2));
    expect((await batch(await voucherOf(approved[3]), 100)).map((r) => r.entry_id)).toEqual(
      approved.slice(4),
    );
    expect((await batch(null, 100)).every((r) => !r.in_flight)).toBe(true);
  });

  it("skips entries already exported to this integration, not those exported to another", async () => {
    await record(approved.slice(0, 2), ["x1", "x2"], { after_id: approved[1] });
    expect((await batch(null, 100)).map((r) => r.entry_id)).toEqual(approved.slice(2));
    const otherRun = await claim(db, "worker-b", await enqueue(db, otherIntegrationId));
    expect((await batch(null, 100, otherRun)).map((r) => r.entry_id)).toEqual(approved);
  });

  it("records a batch, its cursor and counters in one call, and clears the in-flight marker", async () => {
    const ids = approved.slice(0, 3);
    await mark(ids);
    expect((await runRow(db, runId)).progress.in_flight).toMatchObject({ entries: 3, attempt: 1 });
    expect((await batch(null, 4)).map((r) => r.in_flight)).toEqual([true, true, true, false]);

    const result = await record(ids, ["x1", "x2", "x3"], { after_id: ids[2] });
    expect(result.rows[0]).toEqual({ recorded: 3, records_exported: 3 });
    const row = await runRow(db, runId);
    expect(row.records_exported).toBe(3);
    expect(row.progress).toMatchObject({ cursor: { after_id: ids[2] }, batches: 1, snoozes: 0 });
    expect(row.progress.in_flight).toBeUndefined();
    expect(await countRows(db, "sync_engine.export_in_flight")).toBe(0);
    const rows = await db.query<{ entry_id: string; external_id: string; run_id: string; org_id: string }>(
      "select entry_id, external_id, run_id, org_id from public.ledger_entry_exports order by entry_id",
    );
    expect(rows.rows).toEqual(
      ids.map((id, i) => ({ entry_id: id, external_id: `x${i + 1}`, run_id: runId, org_id: orgId })),
    );
  });

  it("records an entry at most once: a second record of the same entries adds nothing", async () => {
    await record(approved.slice(0, 2), ["x1", "x2"], { after_id: approved[1] });
    const again = await record(approved.slice(0, 3), ["y1", "y2", "y3"], { after_id: approved[2] });
    expect(again.rows[0]).toEqual({ recorded: 1, records_exported: 3 });
    const kept = await db.query<{ external_id: string }>(
      "select external_id from public.ledger_entry_exports where entry_id = $1",
      [approved[0]],
    );
    expect(kept.rows).toEqual([{ external_id: "x1" }]);
  });

  it("refuses a stale worker: nothing recorded, progress untouched", async () => {
    const ids = approved.slice(0, 2);
    const stale = { ...run };
    // The lease expires, the reaper hands the run back, another worker claims attempt 2.
    await db.query(
      "update public.sync_run_log set lease_expires_at = now() - interval '1 second' where id = $1",
      [runId],
    );
    await db.query("select * from sync_engine.reap_expired_leases()");
    run = await claim(db, "worker-b", runId);
    expect(run.attempt).toBe(2);
    const before = await runRow(db, runId);

    expect(await sqlErrorCode(record(ids, ["x1", "x2"], { after_id: ids[1] }, stale))).toBe("run_not_held");
    expect(await sqlErrorCode(mark(ids, null, stale))).toBe("run_not_held");
    expect(await sqlErrorCode(batch(null, 10, stale))).toBe("run_not_held");
    expect(
      await sqlErrorCode(db.query("select sync_engine.record_snooze($1, $2, $3, 'x')", [...fence(stale)])),
    ).toBe("run_not_held");
    // Same worker id, wrong attempt, is just as stale.
    expect(await sqlErrorCode(record(ids, ["x1", "x2"], null, { ...run, attempt: 1 }))).toBe("run_not_held");
    expect(await exportsOf(integrationId)).toBe(0);
    expect(await countRows(db, "sync_engine.export_in_flight")).toBe(0);
    expect(await runRow(db, runId)).toEqual(before);

    // And after the run finished, even its last holder is refused.
    await finish(db, run, { kind: "succeeded", recordsExported: 0 });
    expect(await sqlErrorCode(record(ids, ["x1", "x2"], null))).toBe("run_not_held");
  });

  it("refuses malformed batches and entries of another org, recording nothing", async () => {
    const foreign = (await seedEntries(db, await createOrg(db), { approved: 1 }))[0] as string;
    expect(await sqlErrorCode(record(approved.slice(0, 2), ["x1"], null))).toBe("invalid_export_batch");
    expect(await sqlErrorCode(record(approved.slice(0, 1), [""], null))).toBe("invalid_export_batch");
    expect(await sqlErrorCode(record([approved[0] as string, foreign], ["x1", "x2"], null))).toBe(
      "invalid_export_batch",
    );
    expect(await sqlErrorCode(mark([foreign]))).toBe("invalid_export_batch");
    expect(await exportsOf(integrationId)).toBe(0);
    expect((await runRow(db, runId)).records_exported).toBe(0);
  });

  it("keeps in-flight markers across runs until the entries are recorded", async () => {
    const ids = approved.slice(0, 2);
    await mark(ids);
    // The run is cancelled with its batch in flight; the next run still sees the doubt.
    await db.query("select sync_engine.cancel_run($1)", [runId]);
    await db.query("select sync_engine.finish_cancelled($1, $2, $3)", [...fence()]);
    const next = await claim(db, "worker-b", await enqueue(db, integrationId));
    expect((await batch(null, 4, next)).map((r) => r.in_flight)).toEqual([true, true, false, false]);
    await record(ids, ["x1", "x2"], { after_id: ids[1] }, next);
    expect(await countRows(db, "sync_engine.export_in_flight")).toBe(0);
    runId = next.id;
    run = next;
  });

  it("stretches the lease while a batch is in flight, never shortens it", async () => {
    const before = (
      await db.query<{ l: Date }>("select lease_expires_at as l from public.sync_run_log where id = $1", [
        runId,
      ])
    ).rows[0]?.l as Date;
    const longer = (await mark(approved.slice(0, 1), 600)).rows[0]?.lease as Date;
    expect(longer.getTime()).toBeGreaterThan(before.getTime());
    const unchanged = (await mark(approved.slice(0, 1), 1)).rows[0]?.lease as Date;
    expect(unchanged.getTime()).toBe(longer.getTime());
  });

  it("counts consecutive snoozes and starts over when a batch is recorded", async () => {
    const snooze = async () =>
      (
        await db.query<{ n: number }>("select sync_engine.record_snooze($1, $2, $3, 'burst_limit') as n", [
          ...fence(),
        ])
      ).rows[0]?.n;
    expect([await snooze(), await snooze()]).toEqual([1, 2]);
    expect((await runRow(db, runId)).progress.last_snooze).toMatchObject({ code: "burst_limit" });
    await record(approved.slice(0, 1), ["x1"], { after_id: approved[0] });
    expect(await snooze()).toBe(1);
  });

  it("works for service_role, the role workers and Edge Functions use", async () => {
    await actAs(db, serviceRole, async (tx) => {
      const rows = (
        await tx.query<{ entry_id: string }>(
          "select * from sync_engine.next_export_batch($1, $2, $3, null, 2)",
          [...fence()],
        )
      ).rows;
      const ids = rows.map((r) => r.entry_id);
      await tx.query("select sync_engine.mark_batch_in_flight($1, $2, $3, $4)", [...fence(), ids]);
      await tx.query("select * from sync_engine.record_exports($1, $2, $3, $4, $5, $6)", [
        ...fence(),
        ids,
        ["s1", "s2"],
        JSON.stringify({ after_id: ids[1] }),
      ]);
    });
    expect(await exportsOf(integrationId)).toBe(2);
  });

  it("refuses the pipeline to anon and authenticated", async () => {
    const memberId = await createUser(db);
    await addMember(db, orgId, memberId, "admin");
    for (const who of [anon, user(memberId, orgId)] as Identity[]) {
      await expect(
        actAs(db, who, (tx) =>
          tx.query("select * from sync_engine.next_export_batch($1, $2, $3, null, 2)", [...fence()]),
        ),
      ).rejects.toMatchObject({ code: "42501" });
      await expect(
        actAs(db, who, (tx) =>
          tx.query("select * from sync_engine.record_exports($1, $2, $3, $4, $5, null)", [
            ...fence(),
            approved.slice(0, 1),
            ["x"],
          ]),
        ),
      ).rejects.toMatchObject({ code: "42501" });
    }
    expect(await exportsOf(integrationId)).toBe(0);
  });

  it("is reachable only by the run's holder after makeDue/claim cycles (fail → retry → claim)", async () => {
    await finish(db, run, { kind: "retry", code: "network", message: "lost" });
    await makeDue(db, runId);
    const second = await claim(db, "worker-b", runId);
    expect(second.attempt).toBe(2);
    expect(await sqlErrorCode(batch(null, 2))).toBe("run_not_held");
    expect((await batch(null, 2, second)).length).toBe(2);
    run = second;
  });
});
