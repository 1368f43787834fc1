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
        // An identity with no keys is not asked: the answers after it stay in place.
        { identity: member(OTHER_COORDINATOR), keys: [] },
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
      [],
      [false],
    ]);
    expect(logged).toEqual([expect.objectContaining({ event: "realtime_rls_check_failed", role: "anon" })]);
  });

  it("judges a table by its current primary key, composite or changed, under the table's policies", async () => {
    // A table of its own: two key columns of different types, and a policy on the caller's sub.
    await t.db.exec(`
      create table public.rt_pair (owner uuid not null, n integer not null, label text not null, primary key (owner, n));
      alter table public.rt_pair enable row level security;
      create policy "own pairs" on public.rt_pair for select to authenticated using (owner = auth.uid());
      grant select on public.rt_pair to authenticated;
      insert into public.rt_pair values ('${COORDINATOR}', 1, 'a'), ('${COORDINATOR}', 2, 'b'), ('${OTHER_COORDINATOR}', 1, 'c');
    `);
    const catalog = new FeedCatalog(t.db, () => {});
    const pair = (await catalog.tableInfo("public", "rt_pair")) as TableInfo;
    const keys = [
      { owner: OTHER_COORDINATOR, n: 1 },
      { owner: COORDINATOR, n: 2 },
      { owner: COORDINATOR, n: 3 },
      { owner: COORDINATOR, n: 1 },
    ];
    expect(
      await visibleKeys(
        t.db,
        pair,
        [
          { identity: member(COORDINATOR), keys },
          { identity: member(OTHER_COORDINATOR), keys },
        ],
        (e) => logged.push(e),
      ),
    ).toEqual([
      [false, true, false, true],
      [true, false, false, false],
    ]);

    // The key changes (one column, another type): the table's check is written again for it.
    await t.db.exec(`
      alter table public.rt_pair drop constraint rt_pair_pkey;
      alter table public.rt_pair add primary key (label);
    `);
    const relabelled = (await new FeedCatalog(t.db, () => {}).tableInfo("public", "rt_pair")) as TableInfo;
    expect(relabelled.primaryKey.map((c) => c.name)).toEqual(["label"]);
    expect(
      await visibleKeys(
        t.db,
        relabelled,
        [{ identity: member(OTHER_COORDINATOR), keys: [{ label: "a" }, { label: "c" }, { label: "z" }] }],
        (e) => logged.push(e),
      ),
    ).toEqual([[false, true, false]]);
    await t.db.exec("drop table public.rt_pair");
  });

  it("refuses a superuser role in SQL too, without hiding the other identities' rows", async () => {
    const {
      rows: [fn],
    } = await t.db.query<{ name: string }>(
      "select gateway_local.visible_keys_function('public.sync_run_log') as name",
    );
    const { rows } = await t.db.query<{ check_no: number; ords: number[] | null; error: string | null }>(
      `select check_no, ords, error from gateway_local.${fn?.name}($1, $2, $3, $4, false) order by 1`,
      [
        ["postgres", "authenticated"],
        [JSON.stringify({ role: "postgres" }), JSON.stringify(member(OTHER_COORDINATOR).claims)],
        [1, 3],
        [ours[0], ours[0], theirs[2]],
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
