import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { DEFAULT_JWT_SECRET, signJwt } from "../../src/local/gateway/index.ts";
import { LIMITS } from "../../src/local/gateway/realtime/connection.ts";
import { DEMO, type GatewayHarness, openGatewayHarness } from "../gateway/harness.ts";
import { testDbKinds } from "../helpers/db.ts";
import { waitFor } from "../helpers/waitFor.ts";

/**
 * Hostile WebSocket traffic against the Realtime endpoint: every refusal is in Realtime's words
 * (join reply `{status:"error",response:{reason}}`, a `system` error, or a close code), the
 * offending socket alone is affected, and a fresh socket is served afterwards.
 * test/gateway/realtime.test.ts covers one garbage burst and one oversized frame; these are the
 * rest. Every flood is bounded by the gateway's own limits (LIMITS), never open-ended.
 */

// biome-ignore lint/suspicious/noExplicitAny: wire frames, asserted field by field
type Frame = [string | null, string | null, string, string, Record<string, any>];

class Sock {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  private ref = 0;
  constructor(readonly ws: WebSocket) {
    ws.on("message", (d) => {
      try {
        this.frames.push(JSON.parse(d.toString()) as Frame);
      } catch {
        // not ours to parse
      }
    });
    ws.on("close", (code) => {
      this.closeCode = code;
    });
    ws.on("error", () => {});
  }
  push(topic: string, event: string, payload: object): string {
    const ref = String(++this.ref);
    this.ws.send(JSON.stringify([event === "phx_join" ? ref : null, ref, topic, event, payload]));
    return ref;
  }
  reply(ref: string) {
    return waitFor(() => this.frames.find((f) => f[3] === "phx_reply" && f[1] === ref), {
      what: `reply ${ref}`,
    });
  }
  async heartbeat(): Promise<void> {
    expect((await this.reply(this.push("phoenix", "heartbeat", {})))[4].status).toBe("ok");
  }
  closed(): Promise<number> {
    return waitFor(() => this.closeCode, { what: "socket closed" });
  }
}

describe.each(testDbKinds())("gateway Realtime abuse on %s", (kind) => {
  let h: GatewayHarness;
  const socks: Sock[] = [];
  const wsUrl = (query: string) => `${h.gw.url.replace(/^http/, "ws")}/realtime/v1/websocket?${query}`;

  /** Opens a socket, or reports the handshake's HTTP status when it is refused. */
  function open(query: string): Promise<Sock | number> {
    const ws = new WebSocket(wsUrl(query));
    return new Promise((resolve) => {
      ws.once("unexpected-response", (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      ws.once("open", () => {
        const s = new Sock(ws);
        socks.push(s);
        resolve(s);
      });
      ws.once("error", () => resolve(0));
    });
  }
  const openOk = async (key = h.gw.anonKey) => {
    const s = await open(`apikey=${key}&vsn=2.0.0`);
    if (typeof s === "number") throw new Error(`handshake refused: ${s}`);
    return s;
  };
  /** After each abuse: a fresh socket joins and heartbeats, and REST still answers. */
  async function stillServing() {
    const s = await openOk();
    expect((await s.reply(s.push("realtime:check", "phx_join", { config: {} })))[4].status).toBe("ok");
    await s.heartbeat();
    s.ws.close();
    const res = await fetch(`${h.gw.url}/rest/v1/organizations?select=name`, {
      headers: { apikey: h.gw.anonKey },
    });
    expect(res.status).toBe(401);
  }

  beforeAll(async () => {
    h = await openGatewayHarness(kind);
  });
  afterAll(async () => {
    for (const s of socks) s.ws.terminate();
    await h.close();
  });

  it("refuses bad handshakes with an HTTP status, never an open socket", async () => {
    const expired = await signJwt({ role: "anon", exp: 1 }, DEFAULT_JWT_SECRET);
    const noRole = await signJwt({ exp: 4102444800 }, DEFAULT_JWT_SECRET);
    expect(await open(`apikey=${h.gw.anonKey}&vsn=3.0.0`)).toBe(400);
    expect(await open("vsn=2.0.0")).toBe(403);
    expect(await open("apikey=garbage&vsn=2.0.0")).toBe(403);
    expect(await open(`apikey=${expired}&vsn=2.0.0`)).toBe(403);
    expect(await open(`apikey=${noRole}&vsn=2.0.0`)).toBe(403);
    expect(await open(`apikey=${"x".repeat(8000)}&vsn=2.0.0`)).toBe(403);
    const wrongPath = new WebSocket(`${h.gw.url.replace(/^http/, "ws")}/realtime/v1/other`);
    const status = await new Promise<number>((resolve) => {
      wrongPath.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      wrongPath.once("error", () => resolve(0));
    });
    expect([0, 404]).toContain(status);
    await stillServing();
  });

  it("drops garbage frames, answers unknown topics, and ignores unknown events", async () => {
    const s = await openOk();
    for (const junk of [
      "",
      "null",
      "[]",
      "[null,null,null,null,null]",
      JSON.stringify([null, "1", "t".repeat(300), "phx_join", {}]),
      JSON.stringify([null, "1", "realtime:x", 42, {}]),
      JSON.stringify({ topic: "realtime:x", event: "phx_join", payload: {}, ref: "1" }),
      "\u0000\u0001\u0002",
    ])
      s.ws.send(junk);
    s.ws.send(Buffer.from([4, 1, 2, 3, 255, 0]), { binary: true });
    expect(
      (await s.reply(s.push("realtime:never-joined", "access_token", { access_token: "x" })))[4],
    ).toEqual({
      status: "error",
      response: { reason: "unmatched topic" },
    });
    expect((await s.reply(s.push("not-realtime", "phx_join", {})))[4].response.reason).toBe(
      "unmatched topic",
    );
    expect((await s.reply(s.push("realtime:joined", "phx_join", { config: {} })))[4].status).toBe("ok");
    const before = s.frames.length;
    s.push("realtime:joined", "no_such_event", { anything: true });
    s.push("realtime:joined", "broadcast", { type: "broadcast", event: "x", payload: {} });
    await s.heartbeat();
    // Nothing but the heartbeat reply came back for the two unknown events.
    expect(s.frames.slice(before).map((f) => f[3])).toEqual(["phx_reply"]);
    await stillServing();
  });

  it("closes a socket that sends invalid UTF-8 (1007) or an oversized fragmented message (1009), alone", async () => {
    const bystander = await openOk();
    const utf8 = await openOk();
    utf8.ws.send(Buffer.from([0x5b, 0xc3, 0x28, 0x5d]), { binary: false });
    expect(await utf8.closed()).toBe(1007);
    const big = await openOk();
    // 3 × 512 KiB fragments of one text message: over the 1 MiB frame limit only together.
    const part = Buffer.alloc(512 * 1024, 0x20);
    big.ws.send(part, { binary: false, fin: false });
    big.ws.send(part, { binary: false, fin: false });
    big.ws.send(part, { binary: false, fin: true });
    expect(await big.closed()).toBe(1009);
    await bystander.heartbeat();
    await stillServing();
  });

  it("refuses malformed join payloads with InvalidJoinPayload and unservable bindings with a system error", async () => {
    const s = await openOk();
    const bad: Array<[unknown, string]> = [
      [{ postgres_changes: "all" }, "InvalidJoinPayload: postgres_changes must be a list"],
      [{ postgres_changes: [42] }, "InvalidJoinPayload: Each postgres_changes entry must be an object"],
      [
        { postgres_changes: [{ event: "TRUNCATE", schema: "public" }] },
        'InvalidJoinPayload: Invalid event "TRUNCATE"',
      ],
      [{ postgres_changes: [{ event: "*" }] }, "InvalidJoinPayload: postgres_changes entries need a schema"],
      [
        { postgres_changes: [{ event: "*", schema: "public", table: "sync_run_log", filter: "id=like.%" }] },
        'InvalidJoinPayload: Error parsing `filter` params: unsupported operator "like"',
      ],
      [
        {
          postgres_changes: Array.from({ length: LIMITS.bindingsPerChannel + 1 }, () => ({
            event: "*",
            schema: "public",
          })),
        },
        `InvalidJoinPayload: At most ${LIMITS.bindingsPerChannel} postgres_changes bindings per channel`,
      ],
    ];
    for (const [i, [config, reason]] of bad.entries()) {
      const r = await s.reply(s.push(`realtime:bad-${i}`, "phx_join", { config }));
      expect(r[4]).toEqual({ status: "error", response: { reason } });
    }
    for (const binding of [
      { event: "*", schema: "sync_engine", table: "integration_credentials" },
      { event: "*", schema: "auth", table: "users" },
      { event: "*", schema: "public", table: "sync_run_log", filter: "no_such_column=eq.1" },
      { event: "*", schema: "public", table: "sync_run_log'; drop table x; --" },
    ]) {
      const topic = `realtime:unservable-${binding.schema}-${binding.table.length}`;
      expect(
        (await s.reply(s.push(topic, "phx_join", { config: { postgres_changes: [binding] } })))[4].status,
      ).toBe("ok");
      const system = await waitFor(() => s.frames.find((f) => f[2] === topic && f[3] === "system"), {
        what: `system error on ${topic}`,
      });
      expect(system[4].status).toBe("error");
      expect(system[4].message).toMatch(/^Unable to subscribe to changes with given parameters/);
    }
    await stillServing();
  });

  it("bounds channels per socket, joins per second and messages per second", async () => {
    // Channels: the limit fits in one second of joins; one more after the window is refused.
    const many = await openOk();
    const refs = Array.from({ length: LIMITS.channelsPerSocket }, (_, i) =>
      many.push(`realtime:c${i}`, "phx_join", { config: {} }),
    );
    for (const ref of refs) expect((await many.reply(ref))[4].status).toBe("ok");
    await new Promise((r) => setTimeout(r, 1100));
    expect(
      (await many.reply(many.push("realtime:one-too-many", "phx_join", { config: {} })))[4].response.reason,
    ).toBe("ChannelRateLimitReached: Too many channels");

    // Joins: the first join over the per-second budget is refused and the socket closed (1008).
    const flood = await openOk();
    for (let i = 0; i <= LIMITS.joinsPerSecond; i++) flood.push(`realtime:f${i}`, "phx_join", { config: {} });
    const refused = await waitFor(
      () => flood.frames.find((f) => f[3] === "phx_reply" && f[4].status === "error"),
      {
        what: "join flood refused",
      },
    );
    expect(refused[4].response.reason).toBe("ClientJoinRateLimitReached: Too many joins per second");
    expect(await flood.closed()).toBe(1008);

    // Messages: more than the per-second budget of heartbeats closes the socket (1008).
    const chatty = await openOk();
    for (let i = 0; i <= LIMITS.messagesPerSecond + 10; i++) chatty.push("phoenix", "heartbeat", {});
    expect(await chatty.closed()).toBe(1008);
    await many.heartbeat();
    await stillServing();
  });

  it("serves a bounded crowd of sockets at once", async () => {
    const crowd = await Promise.all(Array.from({ length: 40 }, () => openOk()));
    await Promise.all(crowd.map((s) => s.heartbeat()));
    for (const s of crowd) s.ws.close();
    await stillServing();
  });

  it("delivers no change to a token whose role claim is a superuser, not even a DELETE", async () => {
    const postgresKey = await signJwt({ role: "postgres", exp: 4102444800 }, DEFAULT_JWT_SECRET);
    const noneKey = await signJwt({ role: "none", exp: 4102444800 }, DEFAULT_JWT_SECRET);
    const binding = {
      config: { postgres_changes: [{ event: "*", schema: "public", table: "sync_run_log" }] },
    };
    const subscribe = async (key: string) => {
      const s = await openOk(key);
      s.push("realtime:runs", "phx_join", binding);
      await waitFor(
        () => s.frames.find((f) => f[3] === "system" && f[4].message === "Subscribed to PostgreSQL"),
        {
          what: "subscribed",
        },
      );
      return s;
    };
    const service = await subscribe(h.gw.serviceRoleKey);
    const forged = [await subscribe(postgresKey), await subscribe(noneKey)];

    const { data: runId } = await (await h.signedIn(DEMO.otherCoordinator)).client.rpc(
      "trigger_integration_sync",
      {
        org_id: DEMO.otherOrgId,
        integration_type: "xledger",
      },
    );
    expect(runId).toBeTruthy();
    await h.t.db.query("delete from public.sync_run_log where id = $1", [runId]);
    // The service role (bypasses RLS) sees the insert and the delete: the feed is working.
    await waitFor(
      () => service.frames.find((f) => f[3] === "postgres_changes" && f[4].data.type === "DELETE"),
      {
        what: "service role DELETE",
      },
    );
    // A heartbeat round trip after that: anything queued for these sockets has arrived by now.
    for (const s of forged) {
      await s.heartbeat();
      expect(s.frames.filter((f) => f[3] === "postgres_changes")).toEqual([]);
    }
    await stillServing();
  });
});
