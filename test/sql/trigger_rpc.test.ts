// Over 300 lines: the RPC's seven checks in their contract order.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { anon, type Identity, serviceRole, triggerSync, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import {
  addIntegration,
  addMember,
  countRows,
  createOrg,
  createScenario,
  createUser,
} from "../helpers/fixtures.ts";

type Scenario = Awaited<ReturnType<typeof createScenario>>;

describe.each(testDbKinds())("trigger_integration_sync on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let s: Scenario;
  const coordinator = () => user(s.users.coordinator, s.orgId);

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    s = await createScenario(db);
  });

  /** Asserts a refusal with the contract's code and status, and that it wrote nothing. */
  async function expectRefusal(
    identity: Identity,
    orgId: string | null,
    type: string | null,
    code: string,
    status: number,
  ) {
    const runsBefore = await countRows(db, "public.sync_run_log");
    const auditBefore = await countRows(db, "public.sync_trigger_audit");
    const { data, error } = await triggerSync(db, identity, orgId, type);
    expect(data).toBeNull();
    expect(error?.body.code).toBe(code);
    expect(error?.status).toBe(status);
    expect(typeof error?.body.message).toBe("string");
    expect(error?.body.message.length).toBeGreaterThan(10);
    expect(await countRows(db, "public.sync_run_log")).toBe(runsBefore);
    expect(await countRows(db, "public.sync_trigger_audit")).toBe(auditBefore);
    return error;
  }

  describe("the seed's unit cases", () => {
    it("lets a coordinator trigger", async () => {
      const { data, error } = await triggerSync(db, coordinator(), s.orgId, "xledger");
      expect(error).toBeNull();
      expect(data).toMatch(/^[0-9a-f-]{36}$/);
    });
    it("rejects a viewer", async () => {
      await expectRefusal(user(s.users.viewer, s.orgId), s.orgId, "xledger", "permission_denied", 403);
    });
    it("rejects a cross-org call", async () => {
      await expectRefusal(
        user(s.users.outsider, s.otherOrgId),
        s.orgId,
        "xledger",
        "org_scope_violation",
        403,
      );
    });
    it("rejects a second trigger within 5 minutes", async () => {
      const first = await triggerSync(db, coordinator(), s.orgId, "xledger");
      expect(first.error).toBeNull();
      // Finish the first run so check 6 passes and check 7 is what refuses.
      await db.query("update public.sync_run_log set status = 'running' where id = $1", [first.data]);
      await db.query(
        "update public.sync_run_log set status = 'succeeded', finished_at = now() where id = $1",
        [first.data],
      );
      const error = await expectRefusal(coordinator(), s.orgId, "xledger", "rate_limited", 429);
      const details = JSON.parse(error?.body.details ?? "null");
      expect(details.retry_after_seconds).toBeGreaterThan(290);
      expect(details.retry_after_seconds).toBeLessThanOrEqual(300);
      expect(error?.headers["Retry-After"]).toBe(String(details.retry_after_seconds));
    });
    it("rejects an unknown integration type", async () => {
      await expectRefusal(coordinator(), s.orgId, "sap", "unknown_integration_type", 400);
    });
  });

  it("records the run as pending, manual, by the caller, with its audit row (integration case)", async () => {
    const { data: runId } = await triggerSync(db, user(s.users.admin, s.orgId), s.orgId, "dynamics");
    const { rows } = await db.query<Record<string, unknown>>(
      "select * from public.sync_run_log where id = $1",
      [runId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: "pending",
      triggered_by: "manual",
      triggered_by_user_id: s.users.admin,
      org_id: s.orgId,
      integration_id: s.dynamicsId,
      integration_type: "dynamics",
      attempt: 0,
      max_attempts: 5,
    });
    const audit = await db.query<Record<string, unknown>>(
      "select * from public.sync_trigger_audit where run_id = $1",
      [runId],
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({
      actor_user_id: s.users.admin,
      org_id: s.orgId,
      integration_type: "dynamics",
      action: "trigger",
    });
  });

  describe("check 1: an authenticated user", () => {
    it("refuses claims without a subject", async () => {
      await expectRefusal(
        { role: "authenticated", orgId: s.orgId },
        s.orgId,
        "xledger",
        "permission_denied",
        401,
      );
    });
    it("refuses a malformed subject without an unhandled cast error", async () => {
      const forged: Identity = { ...coordinator(), claims: { sub: "' or 1=1 --" } };
      await expectRefusal(forged, s.orgId, "xledger", "permission_denied", 401);
    });
    it("refuses a token whose role claim is not authenticated", async () => {
      const forged: Identity = { ...coordinator(), claims: { role: "anon" } };
      await expectRefusal(forged, s.orgId, "xledger", "permission_denied", 401);
    });
    it("is not executable by anon or service_role at all", async () => {
      const asAnon = await triggerSync(db, anon, s.orgId, "xledger");
      expect(asAnon.error?.body.code).toBe("42501");
      expect(asAnon.error?.status).toBe(401);
      const asService = await triggerSync(db, serviceRole, s.orgId, "xledger");
      expect(asService.error?.body.code).toBe("42501");
      expect(await countRows(db, "public.sync_run_log", "org_id = $1", [s.orgId])).toBe(0);
    });
  });

  describe("check 2: org scope from the JWT", () => {
    it("refuses when the org_id claim is missing", async () => {
      await expectRefusal(user(s.users.coordinator), s.orgId, "xledger", "org_scope_violation", 403);
    });
    it("refuses a null org argument", async () => {
      await expectRefusal(coordinator(), null, "xledger", "org_scope_violation", 403);
    });
    it("accepts an upper-case org_id claim for the same org", async () => {
      const { error } = await triggerSync(
        db,
        user(s.users.coordinator, s.orgId.toUpperCase()),
        s.orgId,
        "xledger",
      );
      expect(error).toBeNull();
    });
    it("comes before the role check and the type check", async () => {
      await expectRefusal(user(s.users.viewer, s.otherOrgId), s.orgId, "nope", "org_scope_violation", 403);
    });
  });

  describe("check 3: role in the org", () => {
    it("refuses peer mentors and viewers", async () => {
      await expectRefusal(user(s.users.peerMentor, s.orgId), s.orgId, "xledger", "permission_denied", 403);
      await expectRefusal(user(s.users.viewer, s.orgId), s.orgId, "xledger", "permission_denied", 403);
    });
    it("refuses a non-member whose token claims the org (e.g. removed since sign-in)", async () => {
      await expectRefusal(user(s.users.noOrg, s.orgId), s.orgId, "xledger", "permission_denied", 403);
    });
    it("lets admins trigger", async () => {
      const { error } = await triggerSync(db, user(s.users.admin, s.orgId), s.orgId, "xledger");
      expect(error).toBeNull();
    });
    it("comes before the type check", async () => {
      await expectRefusal(user(s.users.viewer, s.orgId), s.orgId, "nope", "permission_denied", 403);
    });
  });

  describe("check 4: integration type allowlist", () => {
    const bad: Array<[string, string | null]> = [
      ["null", null],
      ["empty", ""],
      ["wrong case", "XLEDGER"],
      ["padded", " xledger"],
      ["SQL injection", "xledger'); delete from public.sync_run_log; --"],
      ["unicode look-alike", "xlédger"],
      ["100 KB", "x".repeat(100_000)],
    ];
    it.each(bad)("refuses %s", async (_label, type) => {
      const error = await expectRefusal(coordinator(), s.orgId, type, "unknown_integration_type", 400);
      expect(JSON.parse(error?.body.details ?? "null")).toEqual({ allowed: ["xledger", "dynamics"] });
      expect(error?.body.message.length).toBeLessThan(200);
    });
  });

  describe("check 5: configured and enabled", () => {
    it("refuses a type the org has not configured (404)", async () => {
      const orgId = await createOrg(db);
      const coord = await createUser(db);
      await addMember(db, orgId, coord, "coordinator");
      await addIntegration(db, orgId, "xledger");
      await expectRefusal(user(coord, orgId), orgId, "dynamics", "integration_not_configured", 404);
    });
    it("refuses a disabled integration (409)", async () => {
      await db.query("update public.organization_integrations set enabled = false where id = $1", [
        s.xledgerId,
      ]);
      await expectRefusal(coordinator(), s.orgId, "xledger", "integration_disabled", 409);
    });
  });

  describe("check 6: one active run", () => {
    it("refuses while a run is pending and names it", async () => {
      const first = await triggerSync(db, coordinator(), s.orgId, "xledger");
      const error = await expectRefusal(
        user(s.users.admin, s.orgId),
        s.orgId,
        "xledger",
        "sync_already_in_progress",
        409,
      );
      expect(JSON.parse(error?.body.details ?? "null")).toEqual({ run_id: first.data });
    });
    it("refuses while a scheduled run is running", async () => {
      const { rows } = await db.query<{ run_id: string }>(
        "select run_id from sync_engine.enqueue_run($1, 'scheduled', p_scheduled_for => now())",
        [s.xledgerId],
      );
      await db.query("select sync_engine.claim_runs('w1', 10, 60)");
      const error = await expectRefusal(coordinator(), s.orgId, "xledger", "sync_already_in_progress", 409);
      expect(JSON.parse(error?.body.details ?? "null")).toEqual({ run_id: rows[0]?.run_id });
    });
    it("is per integration type", async () => {
      expect((await triggerSync(db, coordinator(), s.orgId, "xledger")).error).toBeNull();
      expect((await triggerSync(db, coordinator(), s.orgId, "dynamics")).error).toBeNull();
    });
    it("comes before the rate limit", async () => {
      await triggerSync(db, coordinator(), s.orgId, "xledger");
      await expectRefusal(coordinator(), s.orgId, "xledger", "sync_already_in_progress", 409);
    });
  });

  describe("check 7: one manual trigger per 5 minutes", () => {
    async function backdatedTrigger(secondsAgo: number) {
      await db.query(
        `insert into public.sync_trigger_audit (run_id, actor_user_id, org_id, integration_type, occurred_at)
         values (gen_random_uuid(), $1, $2, 'xledger', now() - make_interval(secs => $3))`,
        [s.users.coordinator, s.orgId, secondsAgo],
      );
    }
    it("refuses 4:59 after the last trigger with Retry-After 1", async () => {
      await backdatedTrigger(299);
      const error = await expectRefusal(coordinator(), s.orgId, "xledger", "rate_limited", 429);
      expect(JSON.parse(error?.body.details ?? "null")).toEqual({ retry_after_seconds: 1 });
      expect(error?.headers).toEqual({ "Retry-After": "1" });
    });
    it("allows 5:01 after the last trigger", async () => {
      await backdatedTrigger(301);
      expect((await triggerSync(db, coordinator(), s.orgId, "xledger")).error).toBeNull();
    });
    it("counts triggers by anyone in the org, not per user", async () => {
      await backdatedTrigger(10);
      await expectRefusal(user(s.users.admin, s.orgId), s.orgId, "xledger", "rate_limited", 429);
    });
    it("does not count cancellations", async () => {
      await db.query(
        `insert into public.sync_trigger_audit (run_id, actor_user_id, org_id, integration_type, action)
         values (gen_random_uuid(), $1, $2, 'xledger', 'cancel')`,
        [s.users.coordinator, s.orgId],
      );
      expect((await triggerSync(db, coordinator(), s.orgId, "xledger")).error).toBeNull();
    });
  });

  it("wakes listening workers with the run id at commit", async () => {
    const received: string[] = [];
    const stop = await db.listen("sync_engine_wakeup", (payload) => received.push(payload));
    const { data } = await triggerSync(db, coordinator(), s.orgId, "xledger");
    for (let i = 0; i < 50 && !received.includes(data as string); i++)
      await new Promise((r) => setTimeout(r, 20));
    await stop();
    expect(received).toContain(data);
  });

  it("is SECURITY DEFINER, VOLATILE, with an empty search_path, executable by authenticated only", async () => {
    const { rows } = await db.query<{
      secdef: boolean;
      volatile: string;
      config: string[];
      anon: boolean;
      authd: boolean;
      pub: boolean;
    }>(`select p.prosecdef as secdef, p.provolatile as volatile, p.proconfig as config,
          has_function_privilege('anon', p.oid, 'execute') as anon,
          has_function_privilege('authenticated', p.oid, 'execute') as authd,
          exists (select from aclexplode(p.proacl) a where a.grantee = 0) as pub
        from pg_proc p where p.oid = 'public.trigger_integration_sync(uuid, text)'::regprocedure`);
    expect(rows[0]).toEqual({
      secdef: true,
      volatile: "v",
      config: ['search_path=""'],
      anon: false,
      authd: true,
      pub: false,
    });
  });
});
