import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { Cron } from "croner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { type Stack, startStack } from "../../src/local/stack/startStack.ts";
import { waitFor } from "../helpers/waitFor.ts";

// Day-2 operations through supabase-js against the embedded stack, as the seeded demo users.
const DEMO_ORG = "d0000000-0000-4000-8000-000000000001";
const SECRET = "xl-token-that-must-never-come-back-7f3a";

describe("admin operations with supabase-js against the stack", () => {
  let stack: Stack;
  const clients: SupabaseClient[] = [];
  let admin: SupabaseClient;
  let coordinator: SupabaseClient;
  let viewer: SupabaseClient;
  let other: SupabaseClient;

  async function signIn(email: string): Promise<SupabaseClient> {
    const c = createClient(stack.url, stack.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
    });
    const { error } = await c.auth.signInWithPassword({ email, password: "demo-password" });
    expect(error).toBeNull();
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    stack = await startStack({ port: 0, inMemory: true, log: silentLogger, worker: { pollSeconds: 0.5 } });
    admin = await signIn("admin@demo.test");
    coordinator = await signIn("coordinator@demo.test");
    viewer = await signIn("viewer@demo.test");
    other = await signIn("coordinator@other.test");
    // The worker's health monitor checks the seeded integrations right after start. Let that first
    // check land before any test takes a "changes nothing" snapshot: a result recorded between the
    // snapshot and the comparison is the monitor's, not a refused call's.
    await waitFor(
      async () =>
        (
          await stack.db.query<{ checked: boolean }>(
            `select health_checked_at is not null as checked from public.organization_integrations
             where org_id = $1 and integration_type = 'xledger'`,
            [DEMO_ORG],
          )
        ).rows[0]?.checked,
      { what: "the first health check of the demo org's Xledger integration" },
    );
  });
  afterAll(async () => {
    for (const c of clients) await c.removeAllChannels();
    await stack?.close();
  });

  const xledger = async () =>
    (
      await admin
        .from("organization_integrations")
        .select("*")
        .eq("org_id", DEMO_ORG)
        .eq("integration_type", "xledger")
        .single()
    ).data as Record<string, unknown>;
  const auditCount = async () =>
    (await stack.db.query<{ n: number }>("select count(*)::int as n from public.integration_admin_audit"))
      .rows[0]?.n;

  it("refuses coordinator, viewer and the other org's user with the coded errors, changing nothing", async () => {
    const before = await xledger();
    const calls: Array<[string, Record<string, unknown>]> = [
      [
        "configure_integration",
        { org_id: DEMO_ORG, integration_type: "xledger", settings: { enabled: false } },
      ],
      [
        "set_integration_credentials",
        { org_id: DEMO_ORG, integration_type: "xledger", credentials: { token: "x" } },
      ],
      ["resume_integration_health", { org_id: DEMO_ORG, integration_type: "xledger" }],
    ];
    for (const [fn, args] of calls) {
      for (const [who, code, status] of [
        [coordinator, "permission_denied", 403],
        [viewer, "permission_denied", 403],
        [other, "org_scope_violation", 403],
      ] as const) {
        const { error, status: httpStatus } = await who.rpc(fn, args);
        expect({ fn, code: error?.code, httpStatus }).toEqual({ fn, code, httpStatus: status });
      }
    }
    expect(await xledger()).toEqual(before);
    expect(await auditCount()).toBe(0);
  });

  it("answers every bad input with its code and changes nothing", async () => {
    const before = await xledger();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ integration_type: "sap", settings: {} }, "unknown_integration_type"],
      [{ integration_type: "xledger", settings: { paused: true } }, "invalid_settings"],
      [{ integration_type: "xledger", settings: { enabled: "false" } }, "invalid_settings"],
      [{ integration_type: "xledger", settings: { schedule_cron: "every day" } }, "invalid_schedule"],
      [
        { integration_type: "xledger", settings: { schedule_timezone: "Europe/Atlantis" } },
        "invalid_timezone",
      ],
      [{ integration_type: "xledger", settings: { config: { base_url: "not a url" } } }, "invalid_config"],
    ];
    for (const [args, code] of cases) {
      const { error, status } = await admin.rpc("configure_integration", { org_id: DEMO_ORG, ...args });
      expect({ code: error?.code, status }).toEqual({ code, status: 400 });
    }
    const creds = await admin.rpc("set_integration_credentials", {
      org_id: DEMO_ORG,
      integration_type: "dynamics",
      credentials: { client_id: "only-half" },
    });
    expect({ code: creds.error?.code, status: creds.status }).toEqual({
      code: "invalid_credentials",
      status: 400,
    });
    expect(await xledger()).toEqual(before);
    expect(await auditCount()).toBe(0);
  });

  it("the admin changes schedule and zone, and next_run_at follows within one scheduler tick", async () => {
    const { data, error } = await admin.rpc("configure_integration", {
      org_id: DEMO_ORG,
      integration_type: "xledger",
      settings: { schedule_cron: "45 7 * * 1-5", schedule_timezone: "America/New_York" },
    });
    expect(error).toBeNull();
    expect(data).toMatchObject({ schedule_cron: "45 7 * * 1-5", schedule_timezone: "America/New_York" });
    await stack.worker.tickScheduler();
    const row = await xledger();
    const expected = new Cron("45 7 * * 1-5", { timezone: "America/New_York", paused: true }).nextRun(
      new Date(),
    );
    expect(new Date(String(row.next_run_at)).toISOString()).toBe(expected?.toISOString());
  });

  it("the admin pauses; a manual trigger then gets integration_disabled; resuming lets it through", async () => {
    expect(
      (
        await admin.rpc("configure_integration", {
          org_id: DEMO_ORG,
          integration_type: "dynamics",
          settings: { enabled: false },
        })
      ).error,
    ).toBeNull();
    const refused = await coordinator.rpc("trigger_integration_sync", {
      org_id: DEMO_ORG,
      integration_type: "dynamics",
    });
    expect({ code: refused.error?.code, status: refused.status }).toEqual({
      code: "integration_disabled",
      status: 409,
    });
    expect(
      (
        await admin.rpc("configure_integration", {
          org_id: DEMO_ORG,
          integration_type: "dynamics",
          settings: { enabled: true },
        })
      ).error,
    ).toBeNull();
    const ok = await coordinator.rpc("trigger_integration_sync", {
      org_id: DEMO_ORG,
      integration_type: "dynamics",
    });
    expect(ok.error).toBeNull();
  });

  it("stores credentials that no client can read back over REST or Realtime", async () => {
    const events: unknown[] = [];
    for (const c of [admin, viewer]) {
      const channel = c
        .channel(`all-${events.length}-${Math.random()}`)
        .on("postgres_changes", { event: "*", schema: "*" }, (p) => events.push(p));
      await new Promise<void>((resolve) =>
        channel.subscribe((s) => (s === "SUBSCRIBED" || s === "CHANNEL_ERROR") && resolve()),
      );
    }
    const { error } = await admin.rpc("set_integration_credentials", {
      org_id: DEMO_ORG,
      integration_type: "xledger",
      credentials: { token: SECRET },
    });
    expect(error).toBeNull();
    // Something that IS published changes after the secret was stored, so the channel had its chance.
    await admin.rpc("configure_integration", {
      org_id: DEMO_ORG,
      integration_type: "xledger",
      settings: { enabled: true },
    });
    await waitFor(async () => events.length, { until: (n) => n > 0 });
    for (const c of [admin, viewer]) {
      for (const path of [
        "integration_credentials",
        "organization_integrations",
        "integration_admin_audit",
      ]) {
        const res = await fetch(`${stack.url}/rest/v1/${path}?select=*`, {
          headers: {
            apikey: stack.anonKey,
            Authorization: `Bearer ${(await c.auth.getSession()).data.session?.access_token}`,
          },
        });
        expect(await res.text()).not.toContain(SECRET);
      }
      const direct = await c.schema("sync_engine").from("integration_credentials").select("*");
      expect(direct.data ?? []).toEqual([]);
    }
    expect(JSON.stringify(events)).not.toContain(SECRET);
    const status = await admin.rpc("integration_credentials_status", { org_id: DEMO_ORG });
    expect(status.data).toEqual(
      expect.arrayContaining([expect.objectContaining({ integration_type: "xledger", stored: true })]),
    );
  });

  it("the admin resumes active health monitoring", async () => {
    await stack.db.query(
      "update public.organization_integrations set health_mode = 'passive' where org_id = $1 and integration_type = 'dynamics'",
      [DEMO_ORG],
    );
    expect(
      (await admin.rpc("resume_integration_health", { org_id: DEMO_ORG, integration_type: "dynamics" }))
        .error,
    ).toBeNull();
    const { data } = await admin
      .from("organization_integrations")
      .select("health_mode")
      .eq("org_id", DEMO_ORG)
      .eq("integration_type", "dynamics")
      .single();
    expect(data).toEqual({ health_mode: "active" });
  });

  it("left one audit row per admin action, readable by the admin and by nobody else", async () => {
    const { data } = await admin
      .from("integration_admin_audit")
      .select("action, integration_type")
      .order("id");
    expect(data).toEqual([
      { action: "configure", integration_type: "xledger" },
      { action: "configure", integration_type: "dynamics" },
      { action: "configure", integration_type: "dynamics" },
      { action: "set_credentials", integration_type: "xledger" },
      { action: "configure", integration_type: "xledger" },
      { action: "resume_health", integration_type: "dynamics" },
    ]);
    for (const c of [viewer, coordinator, other]) {
      const seen = await c.from("integration_admin_audit").select("id");
      expect(seen.data).toEqual([]);
    }
  });

  it("names members to their own org only", async () => {
    const mine = await viewer.rpc("org_member_directory", { org_id: DEMO_ORG });
    expect(mine.data).toEqual(
      expect.arrayContaining([
        {
          user_id: "a0000000-0000-4000-8000-000000000001",
          role: "admin",
          email: "admin@demo.test",
          display_name: "Ada Admin",
        },
      ]),
    );
    const theirs = await other.rpc("org_member_directory", { org_id: DEMO_ORG });
    expect(theirs.data).toEqual([]);
  });
});
