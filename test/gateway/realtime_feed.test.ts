import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChangeFeed } from "../../src/local/gateway/realtime/changeFeed.ts";
import type { ChangeData, Identity } from "../../src/local/gateway/realtime/changes.ts";
import { encode, encodeChange } from "../../src/local/gateway/realtime/serializer.ts";
import { type TestDb, testDbKinds } from "../helpers/db.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { EXP, member, openRealtimeDb, SEED } from "./realtimeFixture.ts";

describe.each(testDbKinds())("realtime change feed, a burst in chunks, on %s", (kind) => {
  let t: TestDb;
  let feed: ChangeFeed;
  let ours: string[];
  let theirs: string[];
  const logged: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    ({ t, ours, theirs } = await openRealtimeDb(kind, 6));
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
      watch("coordinator", member(SEED.coordinator)),
      // auth.uid() casts sub to uuid: this identity's check raises inside visible_keys.
      watch("broken", member("not-a-uuid")),
      watch("other", member(SEED.otherCoordinator)),
      watch("service", { role: "service_role", claims: { role: "service_role", exp: EXP } }),
      watch("viewer", member(SEED.viewer)),
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
