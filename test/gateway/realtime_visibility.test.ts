import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.ts";
import { applyLocalSql } from "../../src/local/gateway/localSql.ts";
import { FeedCatalog, type TableInfo } from "../../src/local/gateway/realtime/catalog.ts";
import { visibleKeys } from "../../src/local/gateway/realtime/visibility.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";

const ORG = "d0000000-0000-4000-8000-000000000001";
const OTHER_ORG = "d0000000-0000-4000-8000-000000000002";
const COORDINATOR = "a0000000-0000-4000-8000-000000000002";
const OTHER_COORDINATOR = "a0000000-0000-4000-8000-000000000004";
const member = (sub: string) => ({
  role: "authenticated",
  claims: { sub, role: "authenticated", aud: "authenticated", exp: 4102444800 },
});

describe.each(testDbKinds())("realtime visibility check on %s", (kind) => {
  let t: TestDb;
  let info: TableInfo;
  let ours: string[];
  let theirs: string[];
  const logged: object[] = [];

  beforeAll(async () => {
    t = await openTestDb(kind);
    await migrate(t.db, { seed: true });
    await applyLocalSql(t.db);
    const { rows } = await t.db.query<{ id: string; org_id: string }>(
      `insert into public.sync_run_log (org_id, integration_id, integration_type, status, triggered_by, finished_at)
       select i.org_id, i.id, i.integration_type, 'succeeded', 'scheduled', now()
       from public.organization_integrations i, generate_series(1, 3) g
       where i.org_id in ($1, $2) and i.integration_type = 'xledger'
       returning id, org_id`,
      [ORG, OTHER_ORG],
    );
    ours = rows.filter((r) => r.org_id === ORG).map((r) => r.id);
    theirs = rows.filter((r) => r.org_id === OTHER_ORG).map((r) => r.id);
    info = (await new FeedCatalog(t.db, () => {}).tableInfo("public", "sync_run_log")) as TableInfo;
  });
  afterAll(() => t.close());

  it("answers several identities over mixed orgs in one call, each under its own RLS", async () => {
    const mixed = [ours[0], theirs[0], ours[1], theirs[1]].map((id) => ({ id }));
    const verdicts = await visibleKeys(
      t.db,
      info,
      [
        { identity: member(COORDINATOR), keys: mixed },
        { identity: member(OTHER_COORDINATOR), keys: mixed },
        { identity: { role: "anon", claims: { role: "anon", exp: 4102444800 } }, keys: mixed },
        {
          identity: { role: "service_role", claims: { role: "service_role", exp: 4102444800 } },
          keys: mixed,
        },
        { identity: member(COORDINATOR), keys: [{ id: "00000000-0000-4000-8000-000000000000" }] },
      ],
      (e) => logged.push(e),
    );
    expect(verdicts).toEqual([
      [true, false, true, false],
      [false, true, false, true],
      // anon has no SELECT on sync_run_log: its check fails alone and sees nothing.
      [false, false, false, false],
      [true, true, true, true],
      [false],
    ]);
    expect(logged).toEqual([expect.objectContaining({ event: "realtime_rls_check_failed", role: "anon" })]);
  });

  it("refuses a superuser role in SQL too, without hiding the other identities' rows", async () => {
    const { rows } = await t.db.query<{ check_no: number; ords: number[] | null; error: string | null }>(
      "select check_no, ords, error from gateway_local.visible_keys('public.sync_run_log', $1::jsonb, false) order by 1",
      [
        JSON.stringify([
          { role: "postgres", claims: { role: "postgres" }, keys: [{ id: ours[0] }] },
          { ...member(OTHER_COORDINATOR), keys: [{ id: ours[0] }, { id: theirs[2] }] },
        ]),
      ],
    );
    // Asked on the fast path (p_isolate false): a refused role still fails alone.
    expect(rows).toEqual([
      { check_no: 1, ords: null, error: "42501: role postgres may not be used" },
      { check_no: 2, ords: [2], error: null },
    ]);
    // Every setting was local to that statement: the connection is itself again.
    const { rows: after } = await t.db.query<{ role: string; claims: string | null }>(
      "select current_user as role, nullif(current_setting('request.jwt.claims', true), '') as claims",
    );
    expect(after[0]?.role).not.toBe("authenticated");
    expect(after[0]?.claims ?? null).toBeNull();
  });
});
