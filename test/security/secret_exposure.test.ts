import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { DEMO, type GatewayHarness, openGatewayHarness } from "../gateway/harness.ts";
import { testDbKinds } from "../helpers/db.ts";
import { waitFor } from "../helpers/waitFor.ts";

/**
 * No credential or secret reaches a client through the API: every table the REST API exposes is
 * read by every kind of caller and searched for the stored secrets, the schemas that hold them
 * are asked for directly, and a Realtime subscriber to every change sees a credential rotation,
 * a config update and a run go by without any secret in a frame.
 */

const XLEDGER_SECRET = "sentinel-xledger-token-7f3a";
const BC_SECRET = "sentinel-bc-client-secret-9c1e";
const DISPATCH_SECRET = "sentinel-dispatch-token-41d2";
const SECRETS = [XLEDGER_SECRET, BC_SECRET, DISPATCH_SECRET, "demo-password", "$2a$", "$2b$"];
const XLEDGER_ID = "e0000000-0000-4000-8000-000000000001";
const DYNAMICS_ID = "e0000000-0000-4000-8000-000000000002";

const leaks = (text: string) => SECRETS.filter((s) => text.includes(s));

describe.each(testDbKinds())("secrets stay out of REST and Realtime on %s", (kind) => {
  let h: GatewayHarness;
  let tokens: Record<string, string>;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    h = await openGatewayHarness(kind);
    const db = h.t.db;
    await db.query("select sync_engine.set_integration_credentials($1, $2)", [
      XLEDGER_ID,
      { token: XLEDGER_SECRET },
    ]);
    await db.query("select sync_engine.set_integration_credentials($1, $2)", [
      DYNAMICS_ID,
      { client_id: "sandbox-client", client_secret: BC_SECRET },
    ]);
    await db.query(
      "insert into sync_engine.settings (key, value) values ('dispatch_token', $1) on conflict (key) do update set value = excluded.value",
      [DISPATCH_SECRET],
    );
    tokens = {
      anon: h.gw.anonKey,
      service_role: h.gw.serviceRoleKey,
      admin: (await h.signedIn(DEMO.admin)).accessToken,
      coordinator: (await h.signedIn(DEMO.coordinator)).accessToken,
      viewer: (await h.signedIn(DEMO.viewer)).accessToken,
      other_org: (await h.signedIn(DEMO.otherCoordinator)).accessToken,
    };
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await h.close();
  });

  const get = (path: string, token: string, headers: Record<string, string> = {}) =>
    fetch(`${h.gw.url}/rest/v1${path}`, {
      headers: { apikey: h.gw.anonKey, Authorization: `Bearer ${token}`, ...headers },
    });

  it("no exposed table returns a secret to any caller, the service role included", async () => {
    const { rows } = await h.t.db.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'p') order by 1`,
    );
    expect(rows.length).toBeGreaterThan(5);
    let readable = 0;
    for (const { name } of rows) {
      for (const [who, token] of Object.entries(tokens)) {
        const res = await get(`/${name}?select=*`, token);
        const body = await res.text();
        expect(leaks(body), `${who} GET ${name}`).toEqual([]);
        if (res.status === 200 && body !== "[]") readable++;
      }
    }
    // A positive control: the reads did return data (members and service_role see rows).
    expect(readable).toBeGreaterThan(10);
  });

  it("the schemas that hold secrets are not reachable by path, profile or RPC", async () => {
    for (const token of [tokens.anon, tokens.coordinator, tokens.service_role] as string[]) {
      for (const path of ["/integration_credentials", "/settings", "/users", "/auth_refresh_tokens"]) {
        const res = await get(`${path}?select=*`, token);
        expect(res.status, path).toBe(404);
        expect(leaks(await res.text())).toEqual([]);
      }
      for (const schema of ["sync_engine", "auth", "gateway_local", "vault"]) {
        const res = await get("/integration_credentials?select=*", token, { "Accept-Profile": schema });
        expect(res.status).toBe(406);
        expect(((await res.json()) as { code: string }).code).toBe("PGRST106");
        const rpc = await fetch(`${h.gw.url}/rest/v1/rpc/integration_runtime`, {
          method: "POST",
          headers: {
            apikey: h.gw.anonKey,
            Authorization: `Bearer ${token}`,
            "Content-Type": "application/json",
            "Content-Profile": schema,
          },
          body: JSON.stringify({ integration_id: XLEDGER_ID }),
        });
        expect(rpc.status).toBe(406);
      }
      const rpc = await fetch(`${h.gw.url}/rest/v1/rpc/integration_runtime`, {
        method: "POST",
        headers: {
          apikey: h.gw.anonKey,
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({ integration_id: XLEDGER_ID }),
      });
      expect(rpc.status).toBe(404);
      expect(leaks(await rpc.text())).toEqual([]);
    }
  });

  it("a subscriber to every change never receives a secret", async () => {
    const frames: string[] = [];
    const open = (token: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(
          `${h.gw.url.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${token}&vsn=2.0.0`,
        );
        sockets.push(ws);
        ws.on("message", (d) => frames.push(d.toString()));
        ws.once("open", () => resolve(ws));
        ws.once("error", reject);
      });
    const everything = { config: { postgres_changes: [{ event: "*", schema: "*" }] } };
    const secretTables = {
      config: {
        postgres_changes: [
          { event: "*", schema: "sync_engine", table: "integration_credentials" },
          { event: "*", schema: "sync_engine", table: "settings" },
        ],
      },
    };
    const subscribers = [tokens.coordinator, tokens.anon, tokens.service_role, tokens.other_org] as string[];
    for (const [i, token] of subscribers.entries()) {
      const ws = await open(token);
      ws.send(JSON.stringify([`${i}a`, `${i}a`, "realtime:all", "phx_join", everything]));
      ws.send(JSON.stringify([`${i}b`, `${i}b`, "realtime:secrets", "phx_join", secretTables]));
    }
    await waitFor(
      () => frames.filter((f) => f.includes("Subscribed to PostgreSQL")).length === subscribers.length,
      {
        what: "every socket subscribed to all changes",
      },
    );
    await waitFor(
      () =>
        frames.filter((f) => f.includes('"realtime:secrets","system"') && f.includes("Unable to subscribe"))
          .length === subscribers.length,
      { what: "secret tables refused to every socket" },
    );

    const db = h.t.db;
    await db.query("select sync_engine.set_integration_credentials($1, $2)", [
      XLEDGER_ID,
      { token: `${XLEDGER_SECRET}-rotated` },
    ]);
    await db.query("update sync_engine.settings set value = $1 where key = 'dispatch_token'", [
      `${DISPATCH_SECRET}-rotated`,
    ]);
    await db.query(
      'update public.organization_integrations set config = config || \'{"note":"changed"}\' where id = $1',
      [XLEDGER_ID],
    );
    const { data: runId } = await (await h.signedIn(DEMO.coordinator)).client.rpc(
      "trigger_integration_sync",
      {
        org_id: DEMO.orgId,
        integration_type: "xledger",
      },
    );
    expect(runId).toBeTruthy();
    await db.query('update public.sync_run_log set progress = \'{"cursor":"x"}\' where id = $1', [runId]);
    // The run's changes reach the coordinator and the service role: the sockets work.
    await waitFor(
      () => frames.filter((f) => f.includes('"postgres_changes"') && f.includes(String(runId))).length >= 4,
      { what: "run changes delivered" },
    );
    expect(
      frames.filter((f) => f.includes(String(runId)) && f.includes('"postgres_changes"')).length,
    ).toBeGreaterThan(0);
    expect(leaks(frames.join("\n"))).toEqual([]);
  });
});
