// Over 300 lines: one list of hostile requests against one gateway.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_JWT_SECRET, signJwt } from "../../src/local/gateway/index.ts";
import { DEMO, type GatewayHarness, openGatewayHarness } from "../gateway/harness.ts";
import { testDbKinds } from "../helpers/db.ts";

/**
 * Hostile HTTP against the gateway: each request is answered with PostgREST's (or GoTrue's)
 * error shape and status, and a normal request succeeds right after. test/gateway/rpc_auth.test.ts
 * covers the single well-formed cases (one bad signature, one expired token, one oversized
 * declared body); these are the variants around them. Loopback only, every loop bounded.
 */

type ErrorBody = { code: string; message: string; details: string | null; hint: string | null };

/** Writes raw bytes to the gateway and returns whatever comes back before close (bounded by `ms`). */
function raw(port: number, bytes: string | Buffer, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.write(bytes));
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString("latin1"));
    };
    const timer = setTimeout(done, ms);
    socket.on("data", (d) => {
      chunks.push(d);
      // One complete response is enough: headers plus the declared body.
      const text = Buffer.concat(chunks).toString("latin1");
      const m = /content-length: (\d+)/i.exec(text);
      const head = text.indexOf("\r\n\r\n");
      if (head >= 0 && (!m || Buffer.byteLength(text) >= head + 4 + Number(m[1]))) done();
    });
    socket.on("error", done);
    socket.on("close", done);
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

describe.each(testDbKinds())("gateway HTTP abuse on %s", (kind) => {
  let h: GatewayHarness;
  let coordinator: string;
  let viewer: string;
  const rpcUrl = () => `${h.gw.url}/rest/v1/rpc/trigger_integration_sync`;
  const args = JSON.stringify({ org_id: DEMO.orgId, integration_type: "xledger" });

  beforeAll(async () => {
    h = await openGatewayHarness(kind);
    coordinator = (await h.signedIn(DEMO.coordinator)).accessToken;
    viewer = (await h.signedIn(DEMO.viewer)).accessToken;
  });
  afterAll(() => h.close());

  /** The health check after each abuse: a viewer's trigger is refused with the contract's code. */
  async function stillServing() {
    const res = await fetch(rpcUrl(), {
      method: "POST",
      headers: {
        apikey: h.gw.anonKey,
        Authorization: `Bearer ${viewer}`,
        "Content-Type": "application/json",
      },
      body: args,
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorBody).code).toBe("permission_denied");
    const read = await fetch(`${h.gw.url}/rest/v1/organizations?select=name`, {
      headers: { apikey: h.gw.anonKey, Authorization: `Bearer ${viewer}` },
    });
    expect(await read.json()).toEqual([{ name: "Demo Org" }]);
  }

  async function post(body: string | Buffer, headers: Record<string, string>, token = viewer) {
    const res = await fetch(rpcUrl(), {
      method: "POST",
      headers: { apikey: h.gw.anonKey, Authorization: `Bearer ${token}`, ...headers },
      body: typeof body === "string" ? body : new Uint8Array(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: JSON.parse(text) as ErrorBody };
  }

  /** Every PostgREST error body has exactly these four keys and a Proxy-Status naming the code. */
  function isPostgrestError(r: { status: number; headers: Headers; body: ErrorBody }) {
    expect(Object.keys(r.body).sort()).toEqual(["code", "details", "hint", "message"]);
    expect(r.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(r.headers.get("proxy-status")).toBe(`PostgREST; error=${r.body.code}`);
  }

  describe("bodies", () => {
    const malformed: Array<[string, string | Buffer]> = [
      ["truncated object", '{"org_id":'],
      ["bare word", "nul"],
      ["trailing comma", '{"org_id":"x",}'],
      ["single quotes", "{'org_id':'x'}"],
      ["lone surrogate escape then garbage", '{"a":"\\ud800"'],
      ["invalid UTF-8", Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31])],
      ["NUL byte", Buffer.from('{"org_id":\u0000}')],
      ["100k nested arrays", "[".repeat(100_000)],
    ];
    it.each(malformed)("answers %s with PGRST102", async (_label, body) => {
      const r = await post(body, { "Content-Type": "application/json" });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("PGRST102");
      isPostgrestError(r);
      await stillServing();
    });

    it("answers a JSON array body (bulk call) with PGRST127, deep but valid JSON too", async () => {
      for (const body of ["[]", `[${args}]`, `${"[".repeat(5000)}${"]".repeat(5000)}`]) {
        const r = await post(body, { "Content-Type": "application/json" });
        expect(r.status).toBe(400);
        expect(r.body.code).toBe("PGRST127");
      }
      await stillServing();
    });

    it("answers a NUL inside a JSON string with PostgreSQL's 22P05, not a crash", async () => {
      const r = await post(JSON.stringify({ org_id: DEMO.orgId, integration_type: "xled\u0000ger" }), {
        "Content-Type": "application/json",
      });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("22P05");
      isPostgrestError(r);
      await stillServing();
    });

    it("answers wrongly typed arguments with PostgreSQL's cast errors (400)", async () => {
      for (const body of [
        { org_id: "not-a-uuid", integration_type: "xledger" },
        { org_id: { $ne: null }, integration_type: "xledger" },
        { org_id: [DEMO.orgId], integration_type: "xledger" },
      ]) {
        const r = await post(JSON.stringify(body), { "Content-Type": "application/json" });
        expect(r.status).toBe(400);
        expect(r.body.code).toBe("22P02");
      }
      // Prototype keys are just unknown argument names.
      const proto = await post('{"__proto__":{"admin":true},"org_id":"x","integration_type":"y"}', {
        "Content-Type": "application/json",
      });
      expect(proto.status).toBe(404);
      expect(proto.body.code).toBe("PGRST202");
      await stillServing();
    });

    it("refuses an oversized chunked body (no Content-Length) with 413 while streaming", async () => {
      const limit = 1024 * 1024;
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          // Bounded: at most 4 MiB, whatever the server does.
          if (sent >= 4 * limit) return controller.close();
          sent += 64 * 1024;
          controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
        },
      });
      const res = await fetch(rpcUrl(), {
        method: "POST",
        headers: {
          apikey: h.gw.anonKey,
          Authorization: `Bearer ${viewer}`,
          "Content-Type": "application/json",
        },
        body: stream,
        duplex: "half",
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(((await res.json()) as ErrorBody).code).toBe("PGRST413");
      await stillServing();
    });

    it("refuses oversized bodies on Auth and Functions too", async () => {
      const big = JSON.stringify({ email: "x".repeat(2 * 1024 * 1024) });
      const auth = await fetch(`${h.gw.url}/auth/v1/token?grant_type=password`, {
        method: "POST",
        headers: { apikey: h.gw.anonKey, "Content-Type": "application/json" },
        body: big,
      });
      expect(auth.status).toBe(413);
      const bad = await fetch(`${h.gw.url}/auth/v1/token?grant_type=password`, {
        method: "POST",
        headers: { apikey: h.gw.anonKey, "Content-Type": "application/json" },
        body: "{nope",
      });
      expect(bad.status).toBe(400);
      await stillServing();
    });
  });

  describe("content types", () => {
    const cases: Array<[string, number, string]> = [
      ["application/xml", 400, "PGRST102"],
      ["multipart/form-data; boundary=x", 400, "PGRST102"],
      ["image/png", 400, "PGRST102"],
      ["application/jsonx", 400, "PGRST102"],
      // Raw bodies need a function with one unnamed parameter of that type; ours has none.
      ["text/plain", 404, "PGRST202"],
      ["application/octet-stream", 404, "PGRST202"],
    ];
    it.each(cases)("%s → %d %s", async (type, status, code) => {
      const r = await post(args, { "Content-Type": type });
      expect(r.status).toBe(status);
      expect(r.body.code).toBe(code);
      isPostgrestError(r);
    });

    it("treats form-encoded and charset-qualified JSON as arguments, through the same checks", async () => {
      const form = await post(
        new URLSearchParams({ org_id: DEMO.orgId, integration_type: "xledger" }).toString(),
        {
          "Content-Type": "application/x-www-form-urlencoded",
        },
      );
      expect([form.status, form.body.code]).toEqual([403, "permission_denied"]);
      const json = await post(args, { "Content-Type": "Application/JSON; charset=utf-8" });
      expect([json.status, json.body.code]).toEqual([403, "permission_denied"]);
      await stillServing();
    });
  });

  describe("tokens", () => {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const future = 4102444800;

    it("refuses malformed and unverifiable tokens with PGRST301 (401)", async () => {
      const hs512 = `${enc({ alg: "HS512", typ: "JWT" })}.${enc({ role: "service_role", exp: future })}.c2ln`;
      const cases = [
        "garbage",
        "a.b",
        "a.b.c.d",
        "...",
        `${enc("not an object")}.${enc({ role: "anon" })}.x`,
        `${enc({ alg: "none" })}.${enc({ role: "service_role", exp: future })}.`,
        `${enc({ alg: "none" })}.${enc({ role: "service_role", exp: future })}`,
        `${enc({ alg: "RS256", typ: "JWT" })}.${enc({ role: "service_role", exp: future })}.c2ln`,
        hs512,
        // A valid token with its payload swapped for a service_role one.
        (() => {
          const [head, , sig] = coordinator.split(".");
          return `${head}.${enc({ role: "service_role", exp: future })}.${sig}`;
        })(),
        `${"A".repeat(12_000)}.${"B".repeat(1000)}.C`,
      ];
      for (const token of cases) {
        const r = await post(args, { "Content-Type": "application/json" }, token);
        expect(r.status, token.slice(0, 60)).toBe(401);
        expect(r.body.code).toBe("PGRST301");
        expect(r.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
        isPostgrestError(r);
      }
      await stillServing();
    });

    it("refuses bad time claims with PGRST303 (401)", async () => {
      for (const claims of [
        { role: "authenticated", exp: Math.floor(Date.now() / 1000) - 31 },
        { role: "authenticated", exp: "tomorrow" },
        { role: "authenticated", exp: future, nbf: future },
        { role: "authenticated", exp: future, iat: future },
        { role: "authenticated", exp: future, aud: 42 },
      ]) {
        const r = await post(
          args,
          { "Content-Type": "application/json" },
          await signJwt(claims, DEFAULT_JWT_SECRET),
        );
        expect(r.status, JSON.stringify(claims)).toBe(401);
        expect(r.body.code).toBe("PGRST303");
      }
      await stillServing();
    });

    it("maps role claims: missing → anon, foreign → 42501, unknown → 22023, never the gateway's own role", async () => {
      const sign = (claims: Record<string, unknown>) =>
        signJwt({ exp: future, ...claims }, DEFAULT_JWT_SECRET);
      const expectations: Array<[Record<string, unknown>, number, string]> = [
        // No role claim: PostgREST's anon role, which may not execute the RPC.
        [{ sub: DEMO.coordinatorId, org_id: DEMO.orgId }, 401, "42501"],
        [{ role: "postgres" }, 403, "42501"],
        [{ role: "supabase_auth_admin" }, 403, "42501"],
        [{ role: "pg_read_all_data" }, 403, "42501"],
        [{ role: "authenticator" }, 401, "22023"],
        [{ role: "no_such_role" }, 401, "22023"],
        [{ role: "authenticated'; drop table public.sync_run_log; --" }, 401, "22023"],
        [{ role: "" }, 401, "22023"],
        [{ role: { nested: "authenticated" } }, 401, "22023"],
        // PostgreSQL reads the role name "none" as RESET ROLE: the gateway's superuser connection.
        [{ role: "none" }, 401, "22023"],
      ];
      for (const [claims, status, code] of expectations) {
        const r = await post(args, { "Content-Type": "application/json" }, await sign(claims));
        expect([r.status, r.body.code], JSON.stringify(claims)).toEqual([status, code]);
        // And the same token reads nothing.
        const read = await fetch(`${h.gw.url}/rest/v1/organization_members?select=*`, {
          headers: { apikey: h.gw.anonKey, Authorization: `Bearer ${await sign(claims)}` },
        });
        expect(read.status, `read with ${JSON.stringify(claims)}`).toBeGreaterThanOrEqual(401);
      }
      expect(await h.t.db.query("select 1 from public.sync_run_log")).toMatchObject({ rowCount: 0 });
      await stillServing();
    });

    it("takes the Authorization header over the apikey, and an empty bearer is an error", async () => {
      const empty = await fetch(rpcUrl(), {
        method: "POST",
        headers: { apikey: coordinator, Authorization: "Bearer ", "Content-Type": "application/json" },
        body: args,
      });
      expect(empty.status).toBe(401);
      expect(((await empty.json()) as ErrorBody).code).toBe("PGRST301");
    });
  });

  describe("headers and the wire", () => {
    it("does not let a CRLF in a header value inject a response header", async () => {
      const response = await raw(
        h.gw.port,
        `OPTIONS /rest/v1/rpc/trigger_integration_sync HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://x\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: apikey\r\nSet-Cookie: injected=1\r\nConnection: close\r\n\r\n`,
      );
      expect(statusOf(response)).toBe(200);
      expect(response).toMatch(/Access-Control-Allow-Headers: apikey\r\n/i);
      expect(response.toLowerCase()).not.toContain("set-cookie");
      // A bare CR or LF inside a value is a malformed request: refused by the HTTP parser.
      for (const value of ["a\rSet-Cookie: injected=1", "apikey\nX-Injected: 1"]) {
        const r = await raw(
          h.gw.port,
          `OPTIONS /rest/v1/rpc/x HTTP/1.1\r\nHost: 127.0.0.1\r\nAccess-Control-Request-Headers: ${value}\r\nConnection: close\r\n\r\n`,
        );
        expect(r.toLowerCase()).not.toContain("set-cookie: injected");
        expect(r.toLowerCase()).not.toContain("x-injected");
      }
      await stillServing();
    });

    it("answers oversized headers with 431 and control characters with 400", async () => {
      const huge = await raw(
        h.gw.port,
        `GET /rest/v1/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`,
      );
      expect(statusOf(huge)).toBe(431);
      const many = await raw(
        h.gw.port,
        `GET /rest/v1/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: y`).join("\r\n")}\r\nConnection: close\r\n\r\n`,
      );
      expect(statusOf(many)).toBe(431);
      const control = await raw(
        h.gw.port,
        `GET /rest/v1/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\nApikey: a\u0001b\r\nConnection: close\r\n\r\n`,
      );
      expect(statusOf(control)).toBe(400);
      const garbage = await raw(
        h.gw.port,
        Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01, 0x00, 0x00, 0x0d, 0x0a]),
      );
      expect([0, 400]).toContain(statusOf(garbage));
      await stillServing();
    });

    it("answers odd methods, paths and profiles in PostgREST's words", async () => {
      const req = (path: string, init: RequestInit = {}) =>
        fetch(`${h.gw.url}${path}`, { ...init, headers: { apikey: h.gw.anonKey, ...init.headers } });
      const cases: Array<[Promise<Response>, number, string]> = [
        [req("/rest/v1/%E0%A4%A"), 404, "PGRST125"],
        [req("/rest/v1/a/b/c"), 404, "PGRST125"],
        [req("/rest/v1/"), 404, "PGRST126"],
        [req("/rest/v1/rpc/..%2F..%2Fetc%2Fpasswd", { method: "POST" }), 404, "PGRST202"],
        [req("/rest/v1/organizations", { headers: { "Accept-Profile": "sync_engine" } }), 406, "PGRST106"],
        [
          req("/rest/v1/organizations", { method: "PATCH", headers: { "Content-Profile": "pg_catalog" } }),
          406,
          "PGRST106",
        ],
        [req("/rest/v1/rpc/trigger_integration_sync", { method: "DELETE" }), 405, "PGRST101"],
      ];
      for (const [pending, status, code] of cases) {
        const res = await pending;
        expect([res.status, ((await res.json()) as ErrorBody).code]).toEqual([status, code]);
      }
      const unknownMethod = await raw(
        h.gw.port,
        "FROB /rest/v1/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
      );
      expect(statusOf(unknownMethod)).toBe(400);
      await stillServing();
    });

    it("keeps serving through a bounded burst of concurrent hostile requests", async () => {
      const hostile = Array.from({ length: 60 }, (_, i) =>
        fetch(rpcUrl(), {
          method: "POST",
          headers: {
            apikey: h.gw.anonKey,
            Authorization: i % 3 === 0 ? "Bearer garbage" : `Bearer ${viewer}`,
            "Content-Type": i % 3 === 1 ? "application/xml" : "application/json",
          },
          body: i % 3 === 2 ? "{" : args,
        }).then((r) => r.status),
      );
      const statuses = await Promise.all(hostile);
      expect(new Set(statuses)).toEqual(new Set([400, 401]));
      await stillServing();
    });
  });
});
