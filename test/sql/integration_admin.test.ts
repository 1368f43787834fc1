import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { actAs, type Identity, rpc, triggerSync, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { addMember, countRows, createOrg, createScenario, createUser } from "../helpers/fixtures.ts";

type Scenario = Awaited<ReturnType<typeof createScenario>>;

const configure = (db: Db, who: Identity, org: string | null, type: string | null, settings: unknown) =>
  rpc<Record<string, unknown>>(db, who, "select public.configure_integration($1, $2, $3::jsonb) as result", [
    org,
    type,
    settings === undefined ? null : JSON.stringify(settings),
  ]);
const setCredentials = (
  db: Db,
  who: Identity,
  org: string | null,
  type: string | null,
  credentials: unknown,
) =>
  rpc<null>(db, who, "select public.set_integration_credentials($1, $2, $3::jsonb) as result", [
    org,
    type,
    JSON.stringify(credentials),
  ]);
const resumeHealth = (db: Db, who: Identity, org: string | null, type: string | null) =>
  rpc<null>(db, who, "select public.resume_integration_health($1, $2) as result", [org, type]);
const testConnection = (db: Db, who: Identity, org: string | null, type: string | null) =>
  rpc<string>(db, who, "select public.test_integration_connection($1, $2) as result", [org, type]);

const validDynamicsConfig = {
  base_url: "https://api.businesscentral.dynamics.com",
  tenant_id: "contoso.onmicrosoft.com",
  environment: "production",
  company_id: "c0000000-0000-4000-8000-000000000001",
  journal_code: "GENERAL",
};

describe.each(testDbKinds())("integration admin RPCs on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let s: Scenario;
  const admin = () => user(s.users.admin, s.orgId);
  const coordinator = () => user(s.users.coordinator, s.orgId);
  const viewer = () => user(s.users.viewer, s.orgId);
  const outsider = () => user(s.users.outsider, s.otherOrgId);

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    s = await createScenario(db);
  });

  /** Everything a refusal must leave alone: the org's integrations, credentials, and the audit. */
  async function snapshot() {
    const { rows } = await db.query(
      "select * from public.organization_integrations where org_id = $1 order by integration_type",
      [s.orgId],
    );
    return {
      integrations: rows,
      credentials: await countRows(db, "sync_engine.integration_credentials"),
      audit: await countRows(db, "public.integration_admin_audit"),
    };
  }

  /** Calls, expects the coded refusal, and checks nothing changed. Returns the parsed details. */
  async function expectRefusal(
    call: () => Promise<{
      data: unknown;
      error: { status: number; body: { code: string; message: string; details: string | null } } | null;
    }>,
    code: string,
    status: number,
  ) {
    const before = await snapshot();
    const { data, error } = await call();
    expect(data).toBeNull();
    expect({ code: error?.body.code, status: error?.status }).toEqual({ code, status });
    expect(error?.body.message.length).toBeGreaterThan(10);
    expect(await snapshot()).toEqual(before);
    return JSON.parse(error?.body.details ?? "null");
  }

  describe("configure_integration", () => {
    it("checks identity in the trigger's order: signed in, org scope, admin role, type", async () => {
      const forged: Identity = { ...admin(), claims: { sub: "not-a-uuid" } };
      await expectRefusal(() => configure(db, forged, s.orgId, "nope", "x"), "permission_denied", 401);
      // Scope before role and type: the outsider learns nothing about this org.
      await expectRefusal(() => configure(db, outsider(), s.orgId, "nope", "x"), "org_scope_violation", 403);
      await expectRefusal(
        () => configure(db, user(s.users.admin, s.otherOrgId), s.orgId, "xledger", {}),
        "org_scope_violation",
        403,
      );
      // Role before type and settings.
      await expectRefusal(() => configure(db, coordinator(), s.orgId, "nope", "x"), "permission_denied", 403);
      await expectRefusal(
        () => configure(db, viewer(), s.orgId, "xledger", { enabled: false }),
        "permission_denied",
        403,
      );
      await expectRefusal(
        () => configure(db, user(s.users.peerMentor, s.orgId), s.orgId, "xledger", { enabled: false }),
        "permission_denied",
        403,
      );
      // Type before settings.
      const details = await expectRefusal(
        () => configure(db, admin(), s.orgId, "sap", "x"),
        "unknown_integration_type",
        400,
      );
      expect(details).toEqual({ allowed: ["xledger", "dynamics"] });
      await expectRefusal(() => configure(db, admin(), s.orgId, null, {}), "unknown_integration_type", 400);
    });

    it("refuses settings that are not an object of known, well-typed keys", async () => {
      for (const bad of [null, [], "x", 1]) {
        await expectRefusal(() => configure(db, admin(), s.orgId, "xledger", bad), "invalid_settings", 400);
      }
      const details = await expectRefusal(
        () =>
          configure(db, admin(), s.orgId, "xledger", {
            enabled: "no",
            schedule_cron: 5,
            schedule_timezone: null,
            config: "{}",
            max_attempts: 1,
          }),
        "invalid_settings",
        400,
      );
      expect(details.problems).toEqual([
        { key: "config", problem: "must be an object" },
        { key: "enabled", problem: "must be a boolean" },
        { key: "max_attempts", problem: "unknown key" },
        { key: "schedule_cron", problem: "must be a string or null" },
        { key: "schedule_timezone", problem: "must be a string" },
      ]);
    });

    it("refuses a bad schedule, then a bad zone, then a bad config, in that order, with the reason", async () => {
      const schedule = await expectRefusal(
        () =>
          configure(db, admin(), s.orgId, "xledger", {
            schedule_cron: "0 25 * * *",
            schedule_timezone: "Mars/Olympus",
            config: {},
          }),
        "invalid_schedule",
        400,
      );
      expect(schedule.reason).toBe('hour field: "25" is outside 0-23');
      for (const cron of [
        "* * * *",
        "*/0 * * * *",
        "5-1 * * * *",
        "0 2 * * MON#1",
        "@daily",
        "0 0 2 * * *",
      ]) {
        await expectRefusal(
          () => configure(db, admin(), s.orgId, "xledger", { schedule_cron: cron }),
          "invalid_schedule",
          400,
        );
      }
      await expectRefusal(
        () => configure(db, admin(), s.orgId, "xledger", { schedule_timezone: "Mars/Olympus", config: {} }),
        "invalid_timezone",
        400,
      );
      // POSIX zone strings pass `at time zone` but no browser can show them.
      await expectRefusal(
        () => configure(db, admin(), s.orgId, "xledger", { schedule_timezone: "UTC+3" }),
        "invalid_timezone",
        400,
      );
      const config = await expectRefusal(
        () =>
          configure(db, admin(), s.orgId, "dynamics", {
            config: { base_url: "ftp://x", company_id: "nope" },
          }),
        "invalid_config",
        400,
      );
      expect(config.issues.map((i: { path: string }) => i.path)).toEqual([
        "base_url",
        "company_id",
        "journal_id",
        "token_url",
      ]);
      for (const issue of config.issues) expect(issue.message.length).toBeGreaterThan(5);
    });

    it("applies a valid change, resets next_run_at for the scheduler, audits it once, and returns the row", async () => {
      await db.query(
        "update public.organization_integrations set next_run_at = now() + interval '1 day' where id = $1",
        [s.xledgerId],
      );
      const { data, error } = await configure(db, admin(), s.orgId, "xledger", {
        schedule_cron: "15 6 * * 1-5",
        schedule_timezone: "America/New_York",
        config: { base_url: "https://demo.xledger.net" },
      });
      expect(error).toBeNull();
      expect(data).toMatchObject({
        id: s.xledgerId,
        schedule_cron: "15 6 * * 1-5",
        schedule_timezone: "America/New_York",
        next_run_at: null,
        config: { base_url: "https://demo.xledger.net" },
        enabled: true,
      });
      const audit = await actAs(db, admin(), (tx) =>
        tx.query<{
          action: string;
          actor_user_id: string;
          integration_type: string;
          details: { changed: Record<string, unknown> };
        }>("select action, actor_user_id, integration_type, details from public.integration_admin_audit"),
      );
      expect(audit.rows).toEqual([
        {
          action: "configure",
          actor_user_id: s.users.admin,
          integration_type: "xledger",
          details: {
            changed: {
              config: { from: {}, to: { base_url: "https://demo.xledger.net" } },
              schedule_cron: { from: null, to: "15 6 * * 1-5" },
              schedule_timezone: { from: "Europe/Oslo", to: "America/New_York" },
            },
          },
        },
      ]);
      for (const other of [coordinator(), viewer(), outsider()]) {
        const seen = await actAs(db, other, (tx) => tx.query("select * from public.integration_admin_audit"));
        expect(seen.rows).toEqual([]);
      }
    });

    it("pauses: a manual trigger is then refused with integration_disabled; resuming lets it through", async () => {
      const paused = await configure(db, admin(), s.orgId, "xledger", { enabled: false });
      expect(paused.data?.enabled).toBe(false);
      const refused = await triggerSync(db, coordinator(), s.orgId, "xledger");
      expect(refused.error?.body.code).toBe("integration_disabled");
      await configure(db, admin(), s.orgId, "xledger", { enabled: true });
      const ok = await triggerSync(db, coordinator(), s.orgId, "xledger");
      expect(ok.error).toBeNull();
    });

    it("clears a schedule with null and sets up a type the org did not have yet", async () => {
      const orgId = await createOrg(db, "Fresh Org");
      const adminId = await createUser(db);
      await addMember(db, orgId, adminId, "admin");
      const created = await configure(db, user(adminId, orgId), orgId, "dynamics", {
        schedule_cron: "0 3 * * *",
        config: validDynamicsConfig,
      });
      expect(created.error).toBeNull();
      expect(created.data).toMatchObject({
        org_id: orgId,
        integration_type: "dynamics",
        schedule_cron: "0 3 * * *",
      });
      const cleared = await configure(db, user(adminId, orgId), orgId, "dynamics", { schedule_cron: null });
      expect(cleared.data?.schedule_cron).toBeNull();
    });

    it("keeps the audit append-only even for the service role", async () => {
      await configure(db, admin(), s.orgId, "xledger", { enabled: false });
      await expect(
        db.query("update public.integration_admin_audit set action = 'configure'"),
      ).rejects.toThrow(/append-only/);
      await expect(db.query("delete from public.integration_admin_audit")).rejects.toThrow(/append-only/);
    });
  });

  describe("set_integration_credentials", () => {
    it("checks identity first, then the shape, and stores nothing a client can read back", async () => {
      const creds = { token: "s3cret-token-value" };
      await expectRefusal(
        () => setCredentials(db, outsider(), s.orgId, "xledger", creds),
        "org_scope_violation",
        403,
      );
      await expectRefusal(
        () => setCredentials(db, coordinator(), s.orgId, "xledger", creds),
        "permission_denied",
        403,
      );
      await expectRefusal(
        () => setCredentials(db, viewer(), s.orgId, "xledger", creds),
        "permission_denied",
        403,
      );
      await expectRefusal(
        () => setCredentials(db, admin(), s.orgId, "sap", creds),
        "unknown_integration_type",
        400,
      );
      await expectRefusal(
        () => setCredentials(db, admin(), s.orgId, "xledger", { token: "" }),
        "invalid_credentials",
        400,
      );
      await expectRefusal(
        () => setCredentials(db, admin(), s.orgId, "dynamics", { client_id: "a" }),
        "invalid_credentials",
        400,
      );
      const ok = await setCredentials(db, admin(), s.orgId, "xledger", creds);
      expect(ok.error).toBeNull();
      const audit = await actAs(db, admin(), (tx) =>
        tx.query("select details from public.integration_admin_audit"),
      );
      expect(audit.rows).toEqual([{ details: { store: "table", keys: ["token"] } }]);
      expect(JSON.stringify(audit.rows)).not.toContain("s3cret");
      await expect(
        actAs(db, admin(), (tx) => tx.query("select * from sync_engine.integration_credentials")),
      ).rejects.toThrow(/permission denied/);
      const status = await actAs(db, admin(), (tx) =>
        tx.query(
          "select integration_type, stored from public.integration_credentials_status($1) order by 1",
          [s.orgId],
        ),
      );
      expect(status.rows).toEqual([
        { integration_type: "dynamics", stored: false },
        { integration_type: "xledger", stored: true },
      ]);
      const notMine = await actAs(db, outsider(), (tx) =>
        tx.query("select * from public.integration_credentials_status($1)", [s.orgId]),
      );
      expect(notMine.rows).toEqual([]);
    });

    it("refuses a type the org has not set up with integration_not_configured", async () => {
      await db.query("delete from public.organization_integrations where id = $1", [s.dynamicsId]);
      await expectRefusal(
        () => setCredentials(db, admin(), s.orgId, "dynamics", { client_id: "a", client_secret: "b" }),
        "integration_not_configured",
        404,
      );
    });
  });

  describe("resume_integration_health and test_integration_connection", () => {
    it("sets passive monitoring back to active for admins only, audited", async () => {
      await db.query("update public.organization_integrations set health_mode = 'passive' where id = $1", [
        s.xledgerId,
      ]);
      await expectRefusal(
        () => resumeHealth(db, coordinator(), s.orgId, "xledger"),
        "permission_denied",
        403,
      );
      await expectRefusal(() => resumeHealth(db, outsider(), s.orgId, "xledger"), "org_scope_violation", 403);
      await expectRefusal(() => resumeHealth(db, admin(), s.orgId, "x"), "unknown_integration_type", 400);
      const before = await countRows(db, "public.integration_admin_audit");
      expect((await resumeHealth(db, admin(), s.orgId, "xledger")).error).toBeNull();
      const { rows } = await db.query<{ health_mode: string; due: boolean }>(
        "select health_mode, health_next_check_at <= now() as due from public.organization_integrations where id = $1",
        [s.xledgerId],
      );
      expect(rows).toEqual([{ health_mode: "active", due: true }]);
      expect(await countRows(db, "public.integration_admin_audit")).toBe(before + 1);
    });

    it("asks for a ping at most once a minute, never in passive mode or while paused", async () => {
      await expectRefusal(() => testConnection(db, viewer(), s.orgId, "xledger"), "permission_denied", 403);
      expect((await testConnection(db, admin(), s.orgId, "xledger")).error).toBeNull();
      const details = await expectRefusal(
        () => testConnection(db, admin(), s.orgId, "xledger"),
        "rate_limited",
        429,
      );
      expect(details.retry_after_seconds).toBeGreaterThan(0);
      await db.query("update public.organization_integrations set health_mode = 'passive' where id = $1", [
        s.dynamicsId,
      ]);
      await expectRefusal(() => testConnection(db, admin(), s.orgId, "dynamics"), "health_passive", 409);
      await db.query(
        "update public.organization_integrations set health_mode = 'active', enabled = false where id = $1",
        [s.dynamicsId],
      );
      await expectRefusal(
        () => testConnection(db, admin(), s.orgId, "dynamics"),
        "integration_disabled",
        409,
      );
    });
  });
});
