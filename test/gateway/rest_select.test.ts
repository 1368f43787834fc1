import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway } from "../../src/local/gateway/index.ts";
import { testDbKinds } from "../helpers/db.ts";
import { DEMO, type GatewayHarness, openGatewayHarness } from "./harness.ts";

describe.each(testDbKinds())("gateway table reads, functions, static files on %s", (kind) => {
  let h: GatewayHarness;
  let staticDir: string;
  let runId: string;
  let otherRunId: string;

  beforeAll(async () => {
    staticDir = await mkdtemp(join(tmpdir(), "gateway-static-"));
    await writeFile(join(staticDir, "index.html"), "<!doctype html><title>Sync Scheduler</title>");
    await writeFile(join(staticDir, "app.js"), "console.log('dashboard');");
    h = await openGatewayHarness(kind, {
      staticDir,
      functions: {
        echo: async (req) =>
          Response.json({
            method: req.method,
            body: await req.json(),
            auth: req.headers.has("authorization"),
          }),
      },
      extraHandler: (req, res) => {
        if (req.url !== "/__extra") return false;
        res.writeHead(200, { "Content-Type": "text/plain" }).end("extra");
        return true;
      },
    });
    const coordinator = (await h.signedIn(DEMO.coordinator)).client;
    runId = (
      await coordinator.rpc("trigger_integration_sync", { org_id: DEMO.orgId, integration_type: "xledger" })
    ).data as string;
    const other = (await h.signedIn(DEMO.otherCoordinator)).client;
    otherRunId = (
      await other.rpc("trigger_integration_sync", { org_id: DEMO.otherOrgId, integration_type: "xledger" })
    ).data as string;
  });
  afterAll(async () => {
    await h.close();
    await rm(staticDir, { recursive: true, force: true });
  });

  describe("GET /rest/v1/<table> under RLS", () => {
    it("reads a member's run with .single()", async () => {
      const { client } = await h.signedIn(DEMO.coordinator);
      const { data, error, status } = await client.from("sync_run_log").select().eq("id", runId).single();
      expect(error).toBeNull();
      expect(status).toBe(200);
      expect(data).toMatchObject({
        id: runId,
        org_id: DEMO.orgId,
        status: "pending",
        triggered_by: "manual",
        attempt: 0,
      });
    });

    it("shows another org's coordinator nothing", async () => {
      const { client } = await h.signedIn(DEMO.otherCoordinator);
      const list = await client.from("sync_run_log").select("id, org_id");
      expect(list.error).toBeNull();
      expect(list.data?.map((r) => r.id)).toContain(otherRunId);
      expect(list.data?.every((r) => r.org_id === DEMO.otherOrgId)).toBe(true);
      const single = await client.from("sync_run_log").select().eq("id", runId).single();
      expect(single.status).toBe(406);
      expect(single.error).toMatchObject({ code: "PGRST116", details: "The result contains 0 rows" });
      const maybe = await client.from("sync_run_log").select().eq("id", runId).maybeSingle();
      expect(maybe).toMatchObject({ data: null, error: null });
    });

    it("answers anon without a grant with 401", async () => {
      const { error, status } = await h.client().from("sync_run_log").select();
      expect(status).toBe(401);
      expect(error?.code).toBe("42501");
    });

    it("applies select lists, filters, order, limit, offset and exact counts", async () => {
      const { client } = await h.signedIn(DEMO.coordinator);
      // Expectations come from the owner's view of the seed, so seed changes do not break this test.
      const { rows } = await h.t.db.query<{ total: number; pending: number }>(
        `select count(*)::int as total, count(*) filter (where approved_at is null)::int as pending
         from public.ledger_entries where org_id = $1`,
        [DEMO.orgId],
      );
      const { total, pending } = rows[0] as { total: number; pending: number };
      expect(total).toBeGreaterThan(6);
      const all = await client
        .from("ledger_entries")
        .select("id, amount, approved_at")
        .order("amount", { ascending: false });
      expect(all.error).toBeNull();
      expect(all.data).toHaveLength(total);
      const amounts = (all.data ?? []).map((r) => Number(r.amount));
      expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
      expect(Object.keys(all.data?.[0] ?? {}).sort()).toEqual(["amount", "approved_at", "id"]);

      const unapproved = await client.from("ledger_entries").select("id").is("approved_at", null);
      expect(unapproved.data).toHaveLength(pending);
      const approved = await client.from("ledger_entries").select("id").not("approved_at", "is", null);
      expect(approved.data).toHaveLength(total - pending);

      const between = await client
        .from("ledger_entries")
        .select("amount")
        .gt("amount", 200)
        .lte("amount", 400);
      expect((between.data ?? []).every((r) => Number(r.amount) > 200 && Number(r.amount) <= 400)).toBe(true);
      expect(between.data?.length).toBeGreaterThan(0);

      const ids = [
        "f0000000-0000-4000-8000-000000000001",
        "f0000000-0000-4000-8000-000000000002",
        "f0000000-0000-4000-8000-000000000015",
      ];
      const some = await client.from("ledger_entries").select("id").in("id", ids).order("id");
      // The third id belongs to Other Org: RLS hides it.
      expect(some.data).toEqual([{ id: ids[0] }, { id: ids[1] }]);

      const page = await client
        .from("ledger_entries")
        .select("id", { count: "exact" })
        .order("id")
        .range(2, 5);
      expect(page.error).toBeNull();
      expect(page.count).toBe(total);
      expect(page.status).toBe(206);
      expect(page.data?.map((r) => r.id)).toEqual(
        (all.data ?? [])
          .map((r) => r.id)
          .sort()
          .slice(2, 6),
      );

      const head = await client.from("ledger_entries").select("*", { count: "exact", head: true });
      expect(head.count).toBe(total);
      expect(head.data).toBeNull();
    });

    it("reports unknown tables and columns as PostgREST does", async () => {
      const { client } = await h.signedIn(DEMO.coordinator);
      const table = await client.from("no_such_table").select();
      expect(table.status).toBe(404);
      expect(table.error).toMatchObject({
        code: "PGRST205",
        message: "Could not find the table 'public.no_such_table' in the schema cache",
      });
      const column = await client.from("sync_run_log").select("id, nope");
      expect(column.status).toBe(400);
      expect(column.error).toMatchObject({
        code: "42703",
        message: "column sync_run_log.nope does not exist",
      });
      const filter = await client.from("sync_run_log").select().eq("nope", 1);
      expect(filter.error?.code).toBe("42703");
      const schema = await client.schema("sync_engine").from("settings").select();
      expect(schema.status).toBe(406);
      expect(schema.error?.code).toBe("PGRST106");
    });

    it("never lets a quoted identifier or value escape into SQL", async () => {
      const { client } = await h.signedIn(DEMO.coordinator);
      const before = await h.t.db.query("select count(*)::int as n from public.sync_run_log");
      const evil = await client.from('sync_run_log"; drop table public.sync_run_log; --').select();
      expect(evil.error?.code).toBe("PGRST205");
      const value = await client
        .from("sync_run_log")
        .select("id")
        .eq("integration_type", "x'; drop table public.sync_run_log; --");
      expect(value).toMatchObject({ data: [], error: null });
      const after = await h.t.db.query("select count(*)::int as n from public.sync_run_log");
      expect(after.rows[0]).toEqual(before.rows[0]);
    });

    it("refuses writes with PostgreSQL's privilege error", async () => {
      const { client } = await h.signedIn(DEMO.coordinator);
      const { error, status } = await client
        .from("sync_run_log")
        .update({ status: "cancelled" })
        .eq("id", runId);
      expect(status).toBe(403);
      expect(error).toMatchObject({ code: "42501", message: "permission denied for table sync_run_log" });
      const anon = await h.client().from("sync_run_log").delete().eq("id", runId);
      expect(anon.status).toBe(401);
    });
  });

  describe("functions, static files, CORS", () => {
    it("refuses a non-loopback bind with the default secret", async () => {
      await expect(startGateway({ db: h.t.db, host: "0.0.0.0", port: 0 })).rejects.toThrow(
        /default JWT secret/,
      );
    });

    it("invokes a registered function with supabase-js and 404s unknown ones", async () => {
      const { client } = await h.signedIn(DEMO.coordinator);
      const { data, error } = await client.functions.invoke("echo", { body: { hello: "world" } });
      expect(error).toBeNull();
      expect(data).toEqual({ method: "POST", body: { hello: "world" }, auth: true });
      const missing = await fetch(`${h.gw.url}/functions/v1/missing`, {
        method: "POST",
        headers: { Authorization: `Bearer ${h.gw.anonKey}` },
      });
      expect(missing.status).toBe(404);
      const unauthenticated = await fetch(`${h.gw.url}/functions/v1/echo`, { method: "POST", body: "{}" });
      expect(unauthenticated.status).toBe(401);
    });

    it("serves the dashboard with SPA fallback and refuses path traversal", async () => {
      const root = await fetch(`${h.gw.url}/`);
      expect(root.headers.get("content-type")).toContain("text/html");
      expect(await root.text()).toContain("Sync Scheduler");
      expect(await (await fetch(`${h.gw.url}/app.js`)).text()).toContain("dashboard");
      expect(await (await fetch(`${h.gw.url}/runs/123`)).text()).toContain("Sync Scheduler");
      const traversal = await fetch(`${h.gw.url}/..%2f..%2fpackage.json`);
      expect(await traversal.text()).not.toContain("sync-scheduler");
    });

    it("lets an extra handler answer first", async () => {
      expect(await (await fetch(`${h.gw.url}/__extra`)).text()).toBe("extra");
    });

    it("answers CORS preflights like Kong", async () => {
      const res = await fetch(`${h.gw.url}/rest/v1/rpc/trigger_integration_sync`, {
        method: "OPTIONS",
        headers: {
          Origin: "http://localhost:5173",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization, apikey, content-type, x-client-info",
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("access-control-allow-headers")).toBe(
        "authorization, apikey, content-type, x-client-info",
      );
      expect(res.headers.get("access-control-allow-methods")).toContain("POST");
      const get = await fetch(`${h.gw.url}/rest/v1/sync_run_log`, {
        headers: { Origin: "http://localhost:5173" },
      });
      expect(get.headers.get("access-control-allow-origin")).toBe("*");
      expect(get.headers.get("access-control-expose-headers")).toContain("Content-Range");
    });
  });
});
