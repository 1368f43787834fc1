import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres } from "../../src/db/postgres.ts";
import type { Db } from "../../src/db/types.ts";
import { triggerSync, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { countRows, createScenario } from "../helpers/fixtures.ts";

// PGlite has a single connection, so real races need PostgreSQL: without DATABASE_URL this suite
// reports as skipped; CI always sets it.
const kinds = testDbKinds().filter((k) => k === "postgres");

describe.runIf(kinds.length > 0)("races on PostgreSQL", () => {
  let t: TestDb;
  let db: Db;

  beforeAll(async () => {
    // 40 connections so that all 40 calls really are in flight at once.
    t = await openTestDb("postgres", 40);
    db = t.db;
  });
  afterAll(() => t.close());

  it("40 simultaneous triggers for one pair create exactly one run and one audit row", async () => {
    const s = await createScenario(db);
    const callers = [s.users.admin, s.users.coordinator];
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        triggerSync(db, user(callers[i % 2] as string, s.orgId), s.orgId, "xledger"),
      ),
    );
    const ok = results.filter((r) => r.error === null);
    const refused = results.filter((r) => r.error !== null);
    expect(ok).toHaveLength(1);
    const runId = ok[0]?.data;
    // Every loser is told which run is active (or, if it came after, that it is rate limited).
    for (const r of refused) {
      expect(["sync_already_in_progress"]).toContain(r.error?.body.code);
      expect(JSON.parse(r.error?.body.details ?? "{}")).toEqual({ run_id: runId });
    }
    expect(await countRows(db, "public.sync_run_log", "org_id = $1", [s.orgId])).toBe(1);
    expect(await countRows(db, "public.sync_trigger_audit", "org_id = $1", [s.orgId])).toBe(1);
  });

  it("concurrent scheduled enqueues of one period through separate sessions yield one run", async () => {
    const s = await createScenario(db);
    const key = `${s.dynamicsId}:2026-11-29T02:00:00.000Z`;
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        db.query<{ outcome: string; run_id: string }>(
          "select * from sync_engine.enqueue_run($1, 'scheduled', p_scheduled_for => now(), p_idempotency_key => $2)",
          [s.dynamicsId, key],
        ),
      ),
    );
    const byOutcome = outcomes.map((o) => o.rows[0]?.outcome);
    expect(byOutcome.filter((o) => o === "enqueued")).toHaveLength(1);
    expect(byOutcome.filter((o) => o === "duplicate")).toHaveLength(19);
    expect(new Set(outcomes.map((o) => o.rows[0]?.run_id)).size).toBe(1);
  });

  it("four workers claiming at once never claim the same run twice", async () => {
    // 60 integrations, one pending run each.
    await db.query(
      `with orgs as (
         insert into public.organizations (name) select 'Claim Org ' || g from generate_series(1, 60) g returning id
       ), integ as (
         insert into public.organization_integrations (org_id, integration_type) select id, 'xledger' from orgs returning id
       )
       select sync_engine.enqueue_run(id, 'scheduled') from integ`,
    );
    const workers = Array.from({ length: 4 }, () =>
      openPostgres({ connectionString: t.url as string, max: 1 }),
    );
    try {
      const claimed: string[][] = await Promise.all(
        workers.map(async (w, i) => {
          const mine: string[] = [];
          for (;;) {
            const { rows } = await w.query<{ id: string }>(
              "select id from sync_engine.claim_runs($1, 5, 60)",
              [`w${i}`],
            );
            if (rows.length === 0) return mine;
            mine.push(...rows.map((r) => r.id));
          }
        }),
      );
      const all = claimed.flat();
      expect(all.length).toBeGreaterThanOrEqual(60);
      expect(new Set(all).size).toBe(all.length);
      expect(await countRows(db, "public.sync_run_log", "status = 'pending'")).toBe(0);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  });
});
