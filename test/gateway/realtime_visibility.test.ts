import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeedCatalog, type TableInfo } from "../../src/local/gateway/realtime/catalog.ts";
import { visibleKeys } from "../../src/local/gateway/realtime/visibility.ts";
import { type TestDb, testDbKinds } from "../helpers/db.ts";
import { member, openRealtimeDb, SEED } from "./realtimeFixture.ts";

const COORDINATOR = SEED.coordinator;
const OTHER_COORDINATOR = SEED.otherCoordinator;

describe.each(testDbKinds())("realtime visibility check on %s", (kind) => {
  let t: TestDb;
  let info: TableInfo;
  let ours: string[];
  let theirs: string[];
  const logged: object[] = [];

  beforeAll(async () => {
    ({ t, ours, theirs } = await openRealtimeDb(kind, 3));
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
