import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.ts";
import { applyLocalSql } from "../../src/local/gateway/localSql.ts";
import { ChangeFeed } from "../../src/local/gateway/realtime/changeFeed.ts";
import type { ChangeData, Identity } from "../../src/local/gateway/realtime/changes.ts";
import { encode, encodeChange } from "../../src/local/gateway/realtime/serializer.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { waitFor } from "../helpers/waitFor.ts";

const ORG = "d0000000-0000-4000-8000-000000000001";
const OTHER_ORG = "d0000000-0000-4000-8000-000000000002";
const COORDINATOR = "a0000000-0000-4000-8000-000000000002";
const VIEWER = "a0000000-0000-4000-8000-000000000003";
const OTHER_COORDINATOR = "a0000000-0000-4000-8000-000000000004";
const EXP = 4102444800;
const member = (sub: string): Identity => ({
  role: "authenticated",
  claims: { sub, role: "authenticated", aud: "authenticated", exp: EXP },
});

describe.each(testDbKinds())("realtime change feed, a burst in chunks, on %s", (kind) => {
  let t: TestDb;
  let feed: ChangeFeed;
  let ours: string[];
  let theirs: string[];
  const logged: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    t = await openTestDb(kind);
    await migrate(t.db, { seed: true });
    await applyLocalSql(t.db);
    const { rows } = await t.db.query<{ id: string; org_id: string }>(
      `insert into public.sync_run_log (org_id, integration_id, integration_type, status, triggered_by, finished_at)
       select i.org_id, i.id, i.integration_type, 'succeeded', 'scheduled', now()
       from public.organization_integrations i, generate_series(1, 6) g
       where i.org_id in ($1, $2) and i.integration_type = 'xledger'
       returning id, org_id`,
      [ORG, OTHER_ORG],
    );
    ours = rows.filter((r) => r.org_id === ORG).map((r) => r.id);
    theirs = rows.filter((r) => r.org_id === OTHER_ORG).map((r) => r.id);
    // Two identities per visibility call, two calls at once where the database allows it (PostgreSQL).
    feed = new ChangeFeed(t.db, (e) => logged.push(e as Record<string, unknown>), {
      audiencesPerCheck: 2,
      parallelChecks: 2,
    });
    await feed.start();
  });
  afterAll(async () => {
    await feed.stop();
    await t.close();
  });

  it("gives every identity exactly its org's rows in commit order, a raising check hiding only its own", async () => {
    const got = new Map<string, string[]>();
    const watch = (name: string, identity: Identity) => {
      got.set(name, []);
      return feed.subscribe({
        identity: () => identity,
        bindings: [{ id: 1, event: "UPDATE", schema: "public", table: "sync_run_log" }],
        deliver: (_ids: number[], data: ChangeData) => got.get(name)?.push(String(data.record?.id)),
      });
    };
    // Subscription order is audience order: chunks [coordinator, broken], [other, service], [viewer].
    const stops = [
      watch("coordinator", member(COORDINATOR)),
      // auth.uid() casts sub to uuid: this identity's check raises inside visible_keys.
      watch("broken", member("not-a-uuid")),
      watch("other", member(OTHER_COORDINATOR)),
      watch("service", { role: "service_role", claims: { role: "service_role", exp: EXP } }),
      watch("viewer", member(VIEWER)),
    ];
    try {
      // Interleaved orgs, one statement: one batch for the feed.
      const order = ours.flatMap((id, k) => [id, theirs[k] as string]);
      await t.db.query(
        "update public.sync_run_log set records_exported = records_exported + 1 where id = any($1::uuid[])",
        [order],
      );
      await waitFor(() => (got.get("service")?.length ?? 0) >= 12 && (got.get("viewer")?.length ?? 0) >= 6, {
        what: "the burst delivered",
      });
      // The service role bypasses RLS: its order is the commit order every other list must follow.
      const service = got.get("service") ?? [];
      expect([...service].sort()).toEqual([...ours, ...theirs].sort());
      const inOrder = (ids: string[]) => service.filter((id) => ids.includes(id));
      expect(got.get("coordinator")).toEqual(inOrder(ours));
      expect(got.get("viewer")).toEqual(inOrder(ours));
      expect(got.get("other")).toEqual(inOrder(theirs));
      expect(got.get("broken")).toEqual([]);
      expect(logged).toContainEqual(
        expect.objectContaining({ event: "realtime_rls_check_failed", role: "authenticated" }),
      );
    } finally {
      for (const stop of stops) stop();
    }
  });
});

describe("change frames", () => {
  const columns = [
    { name: "id", type: "uuid" },
    { name: "progress", type: "jsonb" },
  ];
  const update: ChangeData = {
    schema: "public",
    table: "sync_run_log",
    commit_timestamp: "2026-11-30T06:00:00.000Z",
    type: "UPDATE",
    columns,
    record: { id: "r1", progress: { note: 'quote " and \u2028' } },
    old_record: { id: "r1" },
    errors: null,
  };
  const deleted: ChangeData = { ...update, type: "DELETE", record: undefined };
  delete deleted.record;

  it("are the bytes the generic encoder writes, for both serializers, however often reused", () => {
    for (const vsn of ["1.0.0", "2.0.0"] as const)
      for (const data of [update, deleted, update])
        expect(encodeChange('realtime:run-"1"', [7, 12], data, vsn)).toBe(
          encode(
            {
              join_ref: null,
              ref: null,
              topic: 'realtime:run-"1"',
              event: "postgres_changes",
              payload: { ids: [7, 12], data },
            },
            vsn,
          ),
        );
  });
});
