import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChangeFeed } from "../../src/local/gateway/realtime/changeFeed.ts";
import type { ChangeData } from "../../src/local/gateway/realtime/changes.ts";
import { parseNotification } from "../../src/local/gateway/realtime/notification.ts";
import { encodeChange } from "../../src/local/gateway/realtime/serializer.ts";
import type { TestDb } from "../helpers/db.ts";
import { testDbKinds } from "../helpers/db.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { EXP, openRealtimeDb } from "./realtimeFixture.ts";

const service = { role: "service_role", claims: { role: "service_role", exp: EXP } };

describe.each(testDbKinds())("realtime rows as captured, on %s", (kind) => {
  let t: TestDb;
  let feed: ChangeFeed;
  let ours: string[];

  beforeAll(async () => {
    ({ t, ours } = await openRealtimeDb(kind, 4));
    feed = new ChangeFeed(t.db, () => {});
    await feed.start();
  });
  afterAll(async () => {
    await feed.stop();
    await t.close();
  });

  it("filters on a column outside the key, and delivers each row as the table holds it", async () => {
    const got: ChangeData[] = [];
    const frames: string[] = [];
    const stop = feed.subscribe({
      identity: () => service,
      // Not the key: the feed must read the captured row for this filter.
      bindings: [
        {
          id: 3,
          event: "UPDATE",
          schema: "public",
          table: "sync_run_log",
          filter: { column: "records_exported", op: "gte", values: ["20"] },
        },
      ],
      deliver: (ids, data) => {
        got.push(data);
        frames.push(encodeChange("realtime:rows", ids, data, "2.0.0"));
      },
    });
    try {
      // One statement: 10, 20, 30, 40 — the last three pass the filter.
      await t.db.query(
        `update public.sync_run_log r set records_exported = 10 * k.n, progress = jsonb_build_object('note', 'line
break "quoted" ' || k.n)
         from unnest($1::uuid[]) with ordinality as k (id, n) where r.id = k.id`,
        [ours],
      );
      // A later change that passes the filter: delivered in commit order, it comes after anything
      // the first statement could have delivered, so the one under 20 is known not to come.
      await t.db.query("update public.sync_run_log set records_exported = 50 where id = $1", [ours[0]]);
      await waitFor(() => got.length >= 4, { what: "the three matching changes and the later one" });
      expect(got.slice(3).map((d) => [d.record?.id, d.record?.records_exported])).toEqual([[ours[0], 50]]);
      got.length = 3;
      frames.length = 3;
      const byId = (rows: Array<Record<string, unknown> | undefined>) =>
        [...rows].sort((a, b) => String(a?.id).localeCompare(String(b?.id)));
      const { rows } = await t.db.query<{ r: Record<string, unknown> }>(
        "select to_jsonb(s) as r from public.sync_run_log s where s.id = any($1::uuid[])",
        [ours.slice(1)],
      );
      const expected = byId(rows.map((r) => r.r));
      expect(expected).toHaveLength(3);
      expect(byId(got.map((d) => d.record))).toEqual(expected);
      // The frames' JSON carries the same rows, quotes and newline escaped.
      expect(byId(frames.map((f) => JSON.parse(f)[4].data.record))).toEqual(expected);
    } finally {
      stop();
    }
  });
});

describe("capture payloads", () => {
  const head = {
    type: "UPDATE",
    schema: "public",
    table: "sync_run_log",
    commit_timestamp: "2026-11-30T06:00:00.000Z",
    pk: { id: "r1" },
    old_record: { id: "r1" },
  };

  it("are a JSON header, a newline and the row's JSON text, kept as text", () => {
    const row = '{"id":"r1","progress":{"note":"a\\nb"}}';
    const n = parseNotification(`${JSON.stringify(head)}\n${row}`);
    expect(n).toMatchObject({ ...head, recordJson: row });
  });

  it("carry no row for a DELETE, or when the row was too large (re-read by key)", () => {
    expect(parseNotification(`${JSON.stringify({ ...head, type: "DELETE" })}\n`)?.recordJson).toBeNull();
    expect(
      parseNotification(`${JSON.stringify({ ...head, record_omitted: true })}\n`)?.recordJson,
    ).toBeNull();
    // Not an object: read again by key rather than sent as it is.
    expect(parseNotification(`${JSON.stringify(head)}\n[1]`)?.recordJson).toBeNull();
  });

  it("are refused when they are not one (a stray NOTIFY on the channel)", () => {
    expect(parseNotification(JSON.stringify({ ...head, record: {} }))).toBeNull();
    expect(parseNotification("hello\nworld")).toBeNull();
    expect(parseNotification(`${JSON.stringify({ ...head, type: "TRUNCATE" })}\n{}`)).toBeNull();
    expect(parseNotification(`${JSON.stringify({ ...head, pk: ["r1"] })}\n{}`)).toBeNull();
  });
});
