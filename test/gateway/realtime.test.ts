import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { signJwt } from "../../src/local/gateway/index.ts";
import { DEFAULT_JWT_SECRET } from "../../src/local/gateway/jwt.ts";
import { testDbKinds } from "../helpers/db.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { DEMO, type GatewayHarness, openGatewayHarness } from "./harness.ts";

type Frame = {
  join_ref?: string | null;
  ref: string | null;
  topic: string;
  event: string;
  // biome-ignore lint/suspicious/noExplicitAny: test-side view of wire frames, asserted field by field
  payload: Record<string, any>;
};

/** A bare Phoenix client over `ws`, speaking vsn 1.0.0 (objects) or 2.0.0 (arrays). */
class RawSocket {
  readonly frames: Frame[] = [];
  private ref = 0;
  closeCode: number | undefined;
  private constructor(
    readonly ws: WebSocket,
    readonly vsn: "1.0.0" | "2.0.0",
  ) {
    ws.on("message", (data) => {
      const v = JSON.parse(data.toString());
      this.frames.push(
        vsn === "2.0.0"
          ? { join_ref: v[0], ref: v[1], topic: v[2], event: v[3], payload: v[4] }
          : (v as Frame),
      );
    });
    ws.on("close", (code) => {
      this.closeCode = code;
    });
  }

  static open(url: string, apikey: string, vsn: "1.0.0" | "2.0.0"): Promise<RawSocket> {
    const ws = new WebSocket(
      `${url.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${apikey}&vsn=${vsn}`,
    );
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new RawSocket(ws, vsn)));
      ws.once("error", reject);
    });
  }

  push(topic: string, event: string, payload: object, joinRef: string | null = null): string {
    const ref = String(++this.ref);
    const jr = event === "phx_join" ? ref : joinRef;
    this.ws.send(
      JSON.stringify(
        this.vsn === "2.0.0"
          ? [jr, ref, topic, event, payload]
          : { topic, event, payload, ref, join_ref: jr },
      ),
    );
    return ref;
  }

  next(pred: (f: Frame) => boolean, what: string): Promise<Frame> {
    return waitFor(() => this.frames.find(pred), { what });
  }

  reply(ref: string): Promise<Frame> {
    return this.next((f) => f.event === "phx_reply" && f.ref === ref, `reply to ${ref}`);
  }

  close(): void {
    this.ws.close();
  }
}

describe.each(testDbKinds())("gateway realtime on %s", (kind) => {
  let h: GatewayHarness;
  let runId: string;
  let otherRunId: string;
  const sockets: RawSocket[] = [];
  const open = async (apikey: string, vsn: "1.0.0" | "2.0.0") => {
    const s = await RawSocket.open(h.gw.url, apikey, vsn);
    sockets.push(s);
    return s;
  };
  const touch = (id: string, value: number) =>
    h.t.db.query("update public.sync_run_log set records_exported = $2 where id = $1", [id, value]);

  beforeAll(async () => {
    h = await openGatewayHarness(kind);
    const coordinator = (await h.signedIn(DEMO.coordinator)).client;
    runId = (
      await coordinator.rpc("trigger_integration_sync", { org_id: DEMO.orgId, integration_type: "xledger" })
    ).data as string;
    const other = (await h.signedIn(DEMO.otherCoordinator)).client;
    otherRunId = (
      await other.rpc("trigger_integration_sync", { org_id: DEMO.otherOrgId, integration_type: "xledger" })
    ).data as string;
    expect(runId).toBeTruthy();
    expect(otherRunId).toBeTruthy();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await h.close();
  });

  /** Subscribes like docs/architecture.md §7 `watchRun` and waits until the server confirmed "Subscribed to PostgreSQL". */
  async function watch(client: SupabaseClient, token: string, id: string) {
    await client.realtime.setAuth(token);
    const events: Array<{ eventType: string; new: Record<string, unknown>; old: Record<string, unknown> }> =
      [];
    const system: Array<{ message: string; status: string }> = [];
    const statuses: string[] = [];
    const channel: RealtimeChannel = client
      .channel(`sync-run-${id}`)
      .on(
        "postgres_changes",
        { event: "UPDATE", schema: "public", table: "sync_run_log", filter: `id=eq.${id}` },
        (p) => events.push(p as never),
      )
      .on("system", {}, (p) => system.push(p as never))
      .subscribe((status) => statuses.push(status));
    await waitFor(() => statuses.includes("SUBSCRIBED"), { what: `SUBSCRIBED (got ${statuses.join(",")})` });
    await waitFor(() => system.some((m) => m.message === "Subscribed to PostgreSQL" && m.status === "ok"), {
      what: "Subscribed to PostgreSQL",
    });
    return { events, channel, statuses };
  }

  it("delivers a run's change to its org and not to another org (supabase-js, vsn 2.0.0)", async () => {
    const coordinator = await h.signedIn(DEMO.coordinator);
    const viewer = await h.signedIn(DEMO.viewer);
    const outsider = await h.signedIn(DEMO.otherCoordinator);
    const mine = await watch(coordinator.client, coordinator.accessToken, runId);
    const viewers = await watch(viewer.client, viewer.accessToken, runId);
    const spying = await watch(outsider.client, outsider.accessToken, runId);
    const barrier = await watch(outsider.client, outsider.accessToken, otherRunId);

    await touch(runId, 7);
    await touch(otherRunId, 8);

    const event = await waitFor(() => mine.events[0], { what: "coordinator's change" });
    expect(event.eventType).toBe("UPDATE");
    expect(event.new).toMatchObject({
      id: runId,
      org_id: DEMO.orgId,
      records_exported: 7,
      status: "pending",
    });
    expect(event.old).toEqual({ id: runId });
    await waitFor(() => viewers.events[0], { what: "viewer's change" });
    // Changes are delivered in commit order: once the outsider saw its own org's later change,
    // it would already have seen ours if it were going to.
    const own = await waitFor(() => barrier.events[0], { what: "outsider's own change" });
    expect(own.new.records_exported).toBe(8);
    expect(spying.events).toEqual([]);
    expect(mine.events).toHaveLength(1);
  });

  it("speaks vsn 1.0.0 objects: heartbeat, join reply with ids, change, leave", async () => {
    const { accessToken } = await h.signedIn(DEMO.coordinator);
    const s = await open(h.gw.anonKey, "1.0.0");
    const hb = s.push("phoenix", "heartbeat", {});
    expect(await s.reply(hb)).toEqual({
      topic: "phoenix",
      event: "phx_reply",
      payload: { status: "ok", response: {} },
      ref: hb,
    });

    const topic = "realtime:v1-watch";
    const binding = { event: "*", schema: "public", table: "sync_run_log", filter: `id=eq.${runId}` };
    const join = s.push(topic, "phx_join", {
      config: {
        broadcast: { ack: false, self: false },
        presence: { key: "", enabled: false },
        postgres_changes: [binding],
        private: false,
      },
      access_token: accessToken,
    });
    const reply = await s.reply(join);
    expect(Object.keys(reply).sort()).toEqual(["event", "payload", "ref", "topic"]);
    expect(reply.payload.status).toBe("ok");
    const [echoed] = reply.payload.response.postgres_changes;
    expect(echoed).toMatchObject(binding);
    expect(Number.isInteger(echoed.id)).toBe(true);
    const system = await s.next((f) => f.event === "system", "system message");
    expect(system.payload).toEqual({
      message: "Subscribed to PostgreSQL",
      status: "ok",
      extension: "postgres_changes",
      channel: "v1-watch",
    });

    await touch(runId, 11);
    const change = await s.next((f) => f.event === "postgres_changes", "change");
    expect(change.ref).toBeNull();
    expect(change.payload.ids).toEqual([echoed.id]);
    const data = change.payload.data;
    expect(data).toMatchObject({
      schema: "public",
      table: "sync_run_log",
      type: "UPDATE",
      errors: null,
      old_record: { id: runId },
    });
    expect(data.record).toMatchObject({ id: runId, records_exported: 11 });
    expect(data.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(data.columns.slice(0, 2)).toEqual([
      { name: "id", type: "uuid" },
      { name: "org_id", type: "uuid" },
    ]);

    const leave = s.push(topic, "phx_leave", {}, join);
    expect((await s.reply(leave)).payload).toEqual({ status: "ok", response: {} });
    await s.next((f) => f.event === "phx_close" && f.topic === topic, "phx_close");
  });

  it("re-evaluates RLS after an access_token update", async () => {
    const { accessToken } = await h.signedIn(DEMO.coordinator);
    const s = await open(h.gw.anonKey, "2.0.0");
    const topic = "realtime:token-swap";
    const join = s.push(topic, "phx_join", {
      config: { postgres_changes: [{ event: "UPDATE", schema: "public", table: "sync_run_log" }] },
    });
    expect((await s.reply(join)).payload.status).toBe("ok");
    await s.next((f) => f.event === "system", "first subscribe");
    // A coordinator's socket on the same table shows when the feed has dealt with the first change
    // (each change is checked for every subscriber before the next): swapping the token earlier
    // would have the first change judged with the new token.
    const witness = await open(h.gw.anonKey, "2.0.0");
    const witnessJoin = witness.push("realtime:witness", "phx_join", {
      config: { postgres_changes: [{ event: "UPDATE", schema: "public", table: "sync_run_log" }] },
      access_token: accessToken,
    });
    expect((await witness.reply(witnessJoin)).payload.status).toBe("ok");
    await witness.next((f) => f.event === "system", "witness subscribed");
    await touch(runId, 100); // anon cannot SELECT sync_run_log: not delivered
    await witness.next((f) => f.event === "postgres_changes", "first change processed");

    s.push(topic, "access_token", { access_token: accessToken }, join);
    await waitFor(() => s.frames.filter((f) => f.event === "system").length === 2, { what: "re-subscribe" });
    await touch(runId, 200);
    const change = await s.next((f) => f.event === "postgres_changes", "change after token update");
    expect(change.join_ref).toBeNull();
    expect(change.payload.data.record.records_exported).toBe(200);
    expect(s.frames.filter((f) => f.event === "postgres_changes")).toHaveLength(1);
  });

  it("re-reads a row too large for NOTIFY and still delivers it whole", async () => {
    const { accessToken } = await h.signedIn(DEMO.coordinator);
    const s = await open(h.gw.anonKey, "2.0.0");
    const topic = "realtime:big";
    const join = s.push(topic, "phx_join", {
      config: {
        postgres_changes: [
          { event: "UPDATE", schema: "public", table: "sync_run_log", filter: `id=in.(${runId})` },
        ],
      },
      access_token: accessToken,
    });
    expect((await s.reply(join)).payload.status).toBe("ok");
    await s.next((f) => f.event === "system", "subscribed");
    const note = "n".repeat(9000);
    await h.t.db.query(
      "update public.sync_run_log set progress = jsonb_build_object('note', $2::text) where id = $1",
      [runId, note],
    );
    const change = await s.next((f) => f.event === "postgres_changes", "large change");
    expect(change.payload.data.record.progress).toEqual({ note });
  });

  it("refuses bad tokens in Realtime's words", async () => {
    const s = await open(h.gw.anonKey, "2.0.0");
    const expired = await signJwt(
      { role: "authenticated", exp: Math.floor(Date.now() / 1000) - 60 },
      DEFAULT_JWT_SECRET,
    );
    const forged = await signJwt(
      { role: "authenticated", exp: 4102444800 },
      "not-the-secret-not-the-secret-123",
    );
    const noExp = await signJwt({ role: "authenticated" }, DEFAULT_JWT_SECRET);
    const r1 = await s.reply(s.push("realtime:a", "phx_join", { config: {}, access_token: expired }));
    expect(r1.payload).toMatchObject({ status: "error" });
    expect(r1.payload.response.reason).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
    const r2 = await s.reply(s.push("realtime:b", "phx_join", { config: {}, access_token: forged }));
    expect(r2.payload.response.reason).toBe("JwtSignatureError: Failed to validate JWT signature");
    const r3 = await s.reply(s.push("realtime:c", "phx_join", { config: {}, access_token: noExp }));
    expect(r3.payload.response.reason).toBe("InvalidJWTToken: Fields `role` and `exp` are required in JWT");
    const r4 = await s.reply(s.push("realtime:", "phx_join", { config: {} }));
    expect(r4.payload.response.reason).toBe("TopicNameRequired: You must provide a topic name");

    const refused = new WebSocket(
      `${h.gw.url.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${forged}&vsn=2.0.0`,
    );
    refused.on("error", () => {});
    const status = await new Promise<number>((resolve) => {
      refused.once("unexpected-response", (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      refused.once("open", () => {
        resolve(101);
        refused.close();
      });
    });
    expect(status).toBe(403);
  });

  it("reports a table outside the publication with a system error", async () => {
    const s = await open(h.gw.anonKey, "2.0.0");
    const join = s.push("realtime:nope", "phx_join", {
      config: { postgres_changes: [{ event: "*", schema: "public", table: "ledger_entries" }] },
    });
    expect((await s.reply(join)).payload.status).toBe("ok");
    const system = await s.next((f) => f.event === "system", "system error");
    expect(system.payload.status).toBe("error");
    expect(system.payload.message).toMatch(/^Unable to subscribe to changes with given parameters/);
  });

  it("keeps serving after garbage, and closes only an oversized socket", async () => {
    const s = await open(h.gw.anonKey, "2.0.0");
    s.ws.send("not json");
    s.ws.send("{}");
    s.ws.send("[1,2,3]");
    s.ws.send(JSON.stringify([null, "x", 42, "phx_join", {}]));
    s.ws.send(Buffer.from([3, 0, 1, 2, 255]));
    const unjoined = s.push("realtime:never-joined", "broadcast", {});
    expect((await s.reply(unjoined)).payload).toEqual({
      status: "error",
      response: { reason: "unmatched topic" },
    });
    const hb = s.push("phoenix", "heartbeat", {});
    expect((await s.reply(hb)).payload.status).toBe("ok");

    const big = await open(h.gw.anonKey, "2.0.0");
    big.ws.send("x".repeat(2 * 1024 * 1024));
    await waitFor(() => big.closeCode !== undefined, { what: "oversized frame closes the socket" });
    expect(big.closeCode).toBe(1009);
    const again = s.push("phoenix", "heartbeat", {});
    expect((await s.reply(again)).payload.status).toBe("ok");
  });
});
