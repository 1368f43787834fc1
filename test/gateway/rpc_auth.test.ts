// Over 300 lines: the RPC identity matrix (token × role × claims) in one place.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signJwt } from "../../src/local/gateway/index.ts";
import { DEFAULT_JWT_SECRET } from "../../src/local/gateway/jwt.ts";
import { testDbKinds } from "../helpers/db.ts";
import { DEMO, decodeClaims, type GatewayHarness, openGatewayHarness } from "./harness.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(testDbKinds())("gateway RPC and auth on %s", (kind) => {
  let h: GatewayHarness;
  let coordinatorToken: string;

  beforeAll(async () => {
    h = await openGatewayHarness(kind);
  });
  afterAll(() => h.close());

  /** POST /rest/v1/rpc/<fn> with raw headers and body (for what supabase-js cannot send). */
  const post = (fn: string, body: string, headers: Record<string, string>) =>
    fetch(`${h.gw.url}/rest/v1/rpc/${fn}`, {
      method: "POST",
      headers: { apikey: h.gw.anonKey, "Content-Type": "application/json", ...headers },
      body,
    });

  describe("auth", () => {
    it("signs in with a password and issues a JWT carrying org_id from the hook", async () => {
      const { client, accessToken, refreshToken } = await h.signedIn(DEMO.coordinator);
      coordinatorToken = accessToken;
      const claims = decodeClaims(accessToken);
      expect(claims.org_id).toBe(DEMO.orgId);
      expect(claims).toMatchObject({
        sub: DEMO.coordinatorId,
        role: "authenticated",
        aud: "authenticated",
        email: DEMO.coordinator,
        aal: "aal1",
        is_anonymous: false,
        iss: `${h.gw.url}/auth/v1`,
      });
      expect(claims.session_id).toMatch(UUID);
      expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
      expect(refreshToken.length).toBeGreaterThan(20);
      const { data, error } = await client.auth.getUser();
      expect(error).toBeNull();
      expect(data.user?.email).toBe(DEMO.coordinator);
      expect(data.user?.user_metadata.full_name).toBe("Cora Coordinator");
    });

    it("refuses a wrong password with GoTrue's code", async () => {
      const { data, error } = await h
        .client()
        .auth.signInWithPassword({ email: DEMO.coordinator, password: "nope" });
      expect(data.session).toBeNull();
      expect(error?.code).toBe("invalid_credentials");
      expect(error?.status).toBe(400);
      expect(error?.message).toBe("Invalid login credentials");
    });

    it("answers the legacy error shape to clients without an API version header", async () => {
      const res = await fetch(`${h.gw.url}/auth/v1/token?grant_type=password`, {
        method: "POST",
        headers: { apikey: h.gw.anonKey, "Content-Type": "application/json" },
        body: JSON.stringify({ email: "nobody@demo.test", password: "x" }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        code: 400,
        error_code: "invalid_credentials",
        msg: "Invalid login credentials",
      });
    });

    it("rotates refresh tokens and refuses unknown ones", async () => {
      const { client, refreshToken } = await h.signedIn(DEMO.viewer);
      const { data, error } = await client.auth.refreshSession({ refresh_token: refreshToken });
      expect(error).toBeNull();
      expect(data.session?.refresh_token).toBeDefined();
      expect(data.session?.refresh_token).not.toBe(refreshToken);
      expect(decodeClaims(data.session?.access_token ?? "").org_id).toBe(DEMO.orgId);
      const bad = await h.client().auth.refreshSession({ refresh_token: "not-a-token" });
      expect(bad.error?.code).toBe("refresh_token_not_found");
    });

    it("ends the session on sign-out so its tokens stop working at /user", async () => {
      const { client, accessToken } = await h.signedIn(DEMO.admin);
      expect((await client.auth.getUser(accessToken)).error).toBeNull();
      const { error } = await client.auth.signOut();
      expect(error).toBeNull();
      const res = await fetch(`${h.gw.url}/auth/v1/user`, {
        headers: { apikey: h.gw.anonKey, Authorization: `Bearer ${accessToken}` },
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error_code: string }).error_code).toBe("session_not_found");
    });
  });

  describe("trigger_integration_sync through supabase-js", () => {
    let runId: string;

    it("returns the new run id to a coordinator", async () => {
      const { client } = await h.signedIn(DEMO.coordinator);
      const { data, error, status } = await client.rpc("trigger_integration_sync", {
        org_id: DEMO.orgId,
        integration_type: "xledger",
      });
      expect(error).toBeNull();
      expect(status).toBe(200);
      expect(data).toMatch(UUID);
      runId = data as string;
      const { rows } = await h.t.db.query<{ status: string; triggered_by_user_id: string }>(
        "select status, triggered_by_user_id from public.sync_run_log where id = $1",
        [runId],
      );
      expect(rows[0]).toEqual({ status: "pending", triggered_by_user_id: DEMO.coordinatorId });
    });

    it("refuses a second trigger while the run is active (409, run id in details)", async () => {
      const { client } = await h.signedIn(DEMO.coordinator);
      const { data, error, status } = await client.rpc("trigger_integration_sync", {
        org_id: DEMO.orgId,
        integration_type: "xledger",
      });
      expect(data).toBeNull();
      expect(status).toBe(409);
      expect(error?.code).toBe("sync_already_in_progress");
      expect(JSON.parse(error?.details ?? "{}").run_id).toBe(runId);
    });

    it("rate-limits a new trigger within 5 minutes with 429 and Retry-After", async () => {
      await h.t.db.query("update public.sync_run_log set status = 'running' where id = $1", [runId]);
      await h.t.db.query(
        "update public.sync_run_log set status = 'succeeded', finished_at = now() where id = $1",
        [runId],
      );
      const { client } = await h.signedIn(DEMO.coordinator);
      const { error, status } = await client.rpc("trigger_integration_sync", {
        org_id: DEMO.orgId,
        integration_type: "xledger",
      });
      expect(status).toBe(429);
      expect(error?.code).toBe("rate_limited");
      const res = await post(
        "trigger_integration_sync",
        JSON.stringify({ org_id: DEMO.orgId, integration_type: "xledger" }),
        {
          Authorization: `Bearer ${coordinatorToken}`,
        },
      );
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(300);
      expect(res.headers.get("proxy-status")).toBe("PostgREST; error=rate_limited");
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(["code", "details", "hint", "message"]);
    });

    it("maps each other refusal to its code and status", async () => {
      const coordinator = (await h.signedIn(DEMO.coordinator)).client;
      const viewer = (await h.signedIn(DEMO.viewer)).client;
      const other = (await h.signedIn(DEMO.otherCoordinator)).client;
      const cases = [
        {
          client: coordinator,
          args: { org_id: DEMO.otherOrgId, integration_type: "xledger" },
          code: "org_scope_violation",
          status: 403,
        },
        {
          client: viewer,
          args: { org_id: DEMO.orgId, integration_type: "xledger" },
          code: "permission_denied",
          status: 403,
        },
        {
          client: coordinator,
          args: { org_id: DEMO.orgId, integration_type: "sap" },
          code: "unknown_integration_type",
          status: 400,
        },
        {
          client: other,
          args: { org_id: DEMO.otherOrgId, integration_type: "dynamics" },
          code: "integration_not_configured",
          status: 404,
        },
      ];
      for (const c of cases) {
        const { data, error, status } = await c.client.rpc("trigger_integration_sync", c.args);
        expect({ code: error?.code, status, data }).toEqual({ code: c.code, status: c.status, data: null });
        expect(error?.message.length).toBeGreaterThan(10);
      }
      await h.t.db.query(
        "update public.organization_integrations set enabled = false where org_id = $1 and integration_type = 'dynamics'",
        [DEMO.orgId],
      );
      const disabled = await coordinator.rpc("trigger_integration_sync", {
        org_id: DEMO.orgId,
        integration_type: "dynamics",
      });
      expect({ code: disabled.error?.code, status: disabled.status }).toEqual({
        code: "integration_disabled",
        status: 409,
      });
    });

    it("answers anon with 401 (no EXECUTE for anon)", async () => {
      const { data, error, status } = await h.client().rpc("trigger_integration_sync", {
        org_id: DEMO.orgId,
        integration_type: "xledger",
      });
      expect(data).toBeNull();
      expect(status).toBe(401);
      expect(error?.code).toBe("42501");
    });
  });

  describe("PostgREST request errors", () => {
    const args = JSON.stringify({ org_id: DEMO.orgId, integration_type: "xledger" });

    it("refuses a token with a bad signature (PGRST301)", async () => {
      const forged = await signJwt(
        { role: "authenticated", sub: DEMO.coordinatorId, exp: 4102444800 },
        "another-secret-another-secret-123",
      );
      const res = await post("trigger_integration_sync", args, { Authorization: `Bearer ${forged}` });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe("PGRST301");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    });

    it("refuses an expired token (PGRST303)", async () => {
      const expired = await signJwt(
        {
          role: "authenticated",
          sub: DEMO.coordinatorId,
          org_id: DEMO.orgId,
          exp: Math.floor(Date.now() / 1000) - 3600,
        },
        DEFAULT_JWT_SECRET,
      );
      const res = await post("trigger_integration_sync", args, { Authorization: `Bearer ${expired}` });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: "PGRST303", message: "JWT expired" });
    });

    it("refuses alg none (PGRST301)", async () => {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const unsigned = `${enc({ alg: "none", typ: "JWT" })}.${enc({ role: "service_role", exp: 4102444800 })}.`;
      const res = await post("trigger_integration_sync", args, { Authorization: `Bearer ${unsigned}` });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe("PGRST301");
    });

    it("refuses a token whose role does not exist (401)", async () => {
      const token = await signJwt({ role: "no_such_role", exp: 4102444800 }, DEFAULT_JWT_SECRET);
      const res = await post("trigger_integration_sync", args, { Authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe("22023");
    });

    it("refuses a token asking for a role outside anon/authenticated/service_role (42501)", async () => {
      const token = await signJwt({ role: "postgres", exp: 4102444800 }, DEFAULT_JWT_SECRET);
      const res = await post("trigger_integration_sync", args, { Authorization: `Bearer ${token}` });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({
        code: "42501",
        message: 'permission denied to set role "postgres"',
      });
    });

    it("answers malformed JSON with PGRST102 and a wrong content type with PostgREST's message", async () => {
      const bad = await post("trigger_integration_sync", "{not json", {
        Authorization: `Bearer ${coordinatorToken}`,
      });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ code: "PGRST102", message: "Empty or invalid json" });
      const xml = await post("trigger_integration_sync", "<a/>", { "Content-Type": "application/xml" });
      expect(xml.status).toBe(400);
      expect(await xml.json()).toMatchObject({
        code: "PGRST102",
        message: "Content-Type not acceptable: application/xml",
      });
    });

    it("answers a body over the limit with 413", async () => {
      const res = await post(
        "trigger_integration_sync",
        JSON.stringify({ org_id: "x".repeat(2 * 1024 * 1024) }),
        {},
      );
      expect(res.status).toBe(413);
    });

    it("answers unknown functions and wrong argument names with PGRST202", async () => {
      const { client } = await h.signedIn(DEMO.coordinator);
      const unknown = await client.rpc("trigger_integration_synk", {
        org_id: DEMO.orgId,
        integration_type: "xledger",
      });
      expect(unknown.status).toBe(404);
      expect(unknown.error).toMatchObject({
        code: "PGRST202",
        message:
          "Could not find the function public.trigger_integration_synk(integration_type, org_id) in the schema cache",
        hint: "Perhaps you meant to call the function public.trigger_integration_sync",
      });
      const wrongArgs = await client.rpc("trigger_integration_sync", {
        org: DEMO.orgId,
        integration_type: "xledger",
      });
      expect(wrongArgs.status).toBe(404);
      expect(wrongArgs.error).toMatchObject({
        code: "PGRST202",
        details:
          "Searched for the function public.trigger_integration_sync with parameters integration_type, org or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
        hint: "Perhaps you meant to call the function public.trigger_integration_sync(integration_type, org_id)",
      });
    });

    it("answers 405 to a method RPC does not take", async () => {
      const res = await fetch(`${h.gw.url}/rest/v1/rpc/trigger_integration_sync`, {
        method: "PUT",
        headers: { apikey: h.gw.anonKey },
      });
      expect(res.status).toBe(405);
      expect(((await res.json()) as { code: string }).code).toBe("PGRST101");
    });
  });
});
