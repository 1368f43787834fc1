import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHANGE_CHANNEL } from "../../src/local/gateway/localSql.ts";
import { ChangeFeed } from "../../src/local/gateway/realtime/changeFeed.ts";
import type { ChangeData, Identity } from "../../src/local/gateway/realtime/changes.ts";
import { parseNotification } from "../../src/local/gateway/realtime/notification.ts";
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
      // Every audience's share (the chunk with the raising check is judged twice, so it may land
      // last); "broken" shares the coordinator's chunk, so its verdict is in once the coordinator's is.
      const has = (name: string, n: number) => (got.get(name)?.length ?? 0) >= n;
      await waitFor(
        () => has("service", 12) && has("viewer", 6) && has("coordinator", 6) && has("other", 6),
        {
          what: "the burst delivered",
        },
      );
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

  it("keeps commit order across batches judged two at a time", async () => {
    // Batches of 3 changes, one identity per call: the burst below is 4 batches, each judged
    // while the one before it may still be in flight.
    const small = new ChangeFeed(t.db, (e) => logged.push(e as Record<string, unknown>), {
      batchSize: 3,
      audiencesPerCheck: 1,
      parallelChecks: 2,
    });
    await small.start();
    // The order PostgreSQL notified in (one listener of the capture channel): the commit order.
    const committed: string[] = [];
    const unlisten = await t.db.listen(CHANGE_CHANNEL, (p) => {
      // The PostgreSQL listener also wakes once with no payload when it connects.
      const n = parseNotification(p);
      if (n) committed.push(String(n.pk.id));
    });
    const got = new Map<string, string[]>();
    const stops = (
      [
        ["coordinator", member(SEED.coordinator)],
        ["other", member(SEED.otherCoordinator)],
        ["service", { role: "service_role", claims: { role: "service_role", exp: EXP } }],
      ] as const
    ).map(([name, identity]) => {
      got.set(name, []);
      return small.subscribe({
        identity: () => identity,
        bindings: [{ id: 1, event: "UPDATE", schema: "public", table: "sync_run_log" }],
        deliver: (_ids: number[], data: ChangeData) => got.get(name)?.push(String(data.record?.id)),
      });
    });
    try {
      await t.db.query(
        "update public.sync_run_log set records_exported = records_exported + 1 where id = any($1::uuid[])",
        [ours.concat(theirs)],
      );
      await waitFor(() => (got.get("service")?.length ?? 0) >= 12, { what: "the batches delivered" });
      await waitFor(() => committed.length >= 12, { what: "the notifications heard" });
      const inOrder = (ids: string[]) => committed.filter((id) => ids.includes(id));
      expect(got.get("service")).toEqual(committed);
      expect(got.get("coordinator")).toEqual(inOrder(ours));
      expect(got.get("other")).toEqual(inOrder(theirs));
    } finally {
      for (const stop of stops) stop();
      await unlisten();
      await small.stop();
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
