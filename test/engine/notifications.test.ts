import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { deliverNotifications } from "../../src/engine/notify/deliverNotifications.ts";
import { verifyWebhook } from "../../src/engine/notify/signature.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { actAs, type Identity, rpc, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { countRows, createScenario } from "../helpers/fixtures.ts";

type Scenario = Awaited<ReturnType<typeof createScenario>>;

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A local webhook receiver whose next answers are scripted: a status code, or "hang" (never answers in time). */
async function startReceiver() {
  const received: Received[] = [];
  const script: Array<number | "hang"> = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const next = script.shift() ?? 200;
      if (next === "hang") {
        hanging.push(res);
        return;
      }
      res.writeHead(next).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    script,
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const saveTarget = (db: Db, who: Identity, org: string, target: unknown) =>
  rpc<Record<string, unknown>>(db, who, "select public.save_notification_target($1, $2::jsonb) as result", [
    org,
    JSON.stringify(target),
  ]);

describe.each(testDbKinds())("notification outbox on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let s: Scenario;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const admin = () => user(s.users.admin, s.orgId);
  // Backoff base 0: a failed delivery is due again at once, so the test sees the retry without waiting.
  // One delivery a round, oldest due first, so the receiver's script meets them in a known order.
  const deliver = () =>
    deliverNotifications(db, silentLogger, { backoffBaseSeconds: 0, timeoutMs: 2000, limit: 1 });
  const deliverAll = async () => {
    for (let round = 0; round < 20 && (await deliver()) > 0; round++);
  };

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });
  beforeEach(async () => {
    s = await createScenario(db);
    receiver.received.length = 0;
    receiver.script.length = 0;
  });

  it("refuses non-admins and bad targets with codes, and returns the secret only once", async () => {
    const coordinator = await saveTarget(db, user(s.users.coordinator, s.orgId), s.orgId, {
      name: "x",
      url: receiver.url,
    });
    expect(coordinator.error?.body.code).toBe("permission_denied");
    const outsider = await saveTarget(db, user(s.users.outsider, s.otherOrgId), s.orgId, {
      name: "x",
      url: receiver.url,
    });
    expect(outsider.error?.body.code).toBe("org_scope_violation");
    const bad = await saveTarget(db, admin(), s.orgId, {
      name: "",
      url: "file:///etc/passwd",
      events: ["nope"],
      x: 1,
    });
    expect(bad.error?.body.code).toBe("invalid_notification_target");
    expect(JSON.parse(bad.error?.body.details ?? "{}").problems.map((p: { key: string }) => p.key)).toEqual([
      "x",
      "name",
      "url",
      "events",
    ]);
    expect(await countRows(db, "public.notification_targets")).toBe(0);

    const created = await saveTarget(db, admin(), s.orgId, { name: "Ops", url: receiver.url });
    expect(created.error).toBeNull();
    expect(String(created.data?.secret)).toMatch(/^whsec_[0-9a-f]{64}$/);
    const updated = await saveTarget(db, admin(), s.orgId, { id: created.data?.id, enabled: false });
    expect(updated.data?.enabled).toBe(false);
    expect(updated.data?.secret).toBeUndefined();
    const rows = await actAs(db, admin(), (tx) => tx.query("select * from public.notification_targets"));
    expect(JSON.stringify(rows.rows)).not.toContain("whsec_");
    await expect(
      actAs(db, admin(), (tx) => tx.query("select * from sync_engine.notification_secrets")),
    ).rejects.toThrow(/permission denied/);
  });

  it("delivers a drift alert and a failed run signed, retrying after a 500 and a timeout under one idempotency key", async () => {
    const created = await saveTarget(db, admin(), s.orgId, { name: "Ops", url: receiver.url });
    const secret = String(created.data?.secret);

    // A scheduled run that started 6 minutes late raises a drift alert (the worker's call).
    const { rows } = await db.query<{ id: string }>(
      `insert into public.sync_run_log (org_id, integration_id, integration_type, triggered_by, scheduled_for)
       values ($1, $2, 'xledger', 'scheduled', now() - interval '6 minutes') returning id`,
      [s.orgId, s.xledgerId],
    );
    const runId = rows[0]?.id as string;
    await db.query("select * from sync_engine.claim_runs('w1', 1, 60)");
    await db.query("select sync_engine.raise_drift_alert($1, 300000)", [runId]);
    // Its last attempt fails for good.
    await db.query("update public.sync_run_log set max_attempts = 1 where id = $1", [runId]);
    await db.query(
      "select sync_engine.fail_run($1, 'w1', 1, 'bad_request', 'Account 9999 does not exist', false)",
      [runId],
    );

    // Three deliveries; the first is refused with 500, the next two go through, then the first's
    // retry times out, and its third attempt goes through.
    receiver.script.push(500, 200, 200, "hang", 200);
    await deliverAll();

    const byEvent = new Map<string, Received[]>();
    for (const r of receiver.received) {
      const event = String(r.headers["x-sync-event"]);
      byEvent.set(event, [...(byEvent.get(event) ?? []), r]);
    }
    expect([...byEvent.keys()].sort()).toEqual(["drift", "run_failed", "vouchers_rejected"]);
    for (const r of receiver.received) {
      const check = await verifyWebhook(secret, String(r.headers["x-sync-signature"]), r.body);
      expect(check.ok).toBe(true);
      expect(await verifyWebhook("whsec_wrong", String(r.headers["x-sync-signature"]), r.body)).toEqual({
        ok: false,
        reason: "mismatch",
      });
      const payload = JSON.parse(r.body);
      expect(r.headers["idempotency-key"]).toBe(payload.id);
      expect(r.headers["x-sync-delivery-id"]).toBe(payload.id);
      expect(typeof payload.text).toBe("string");
    }
    // The first delivery got 500, then timed out, then went through: three attempts, one key.
    const first = receiver.received[0] as Received;
    const retries = receiver.received.filter(
      (r) => r.headers["idempotency-key"] === first.headers["idempotency-key"],
    );
    expect(retries.map((r) => r.headers["x-sync-attempt"])).toEqual(["1", "2", "3"]);
    const drift = JSON.parse(byEvent.get("drift")?.[0]?.body ?? "null");
    expect(drift.data.run_id).toBe(runId);
    expect(drift.data.details.drift_ms).toBeGreaterThan(300_000);
    const failed = JSON.parse(byEvent.get("run_failed")?.[0]?.body ?? "null");
    expect(failed.data).toMatchObject({
      run_id: runId,
      error_code: "bad_request",
      attempt: 1,
      max_attempts: 1,
    });

    // Every attempt is in the admin's delivery log; the viewer sees none of it.
    const log = await actAs(db, admin(), (tx) =>
      tx.query<{ attempt: number; http_status: number | null; error: string | null }>(
        "select a.attempt, a.http_status, a.error from public.notification_delivery_attempts a where a.delivery_id = $1 order by a.attempt",
        [first.headers["idempotency-key"]],
      ),
    );
    expect(log.rows).toEqual([
      { attempt: 1, http_status: 500, error: "HTTP 500" },
      { attempt: 2, http_status: null, error: "timeout" },
      { attempt: 3, http_status: 200, error: null },
    ]);
    const statuses = await actAs(db, admin(), (tx) =>
      tx.query<{ status: string }>("select distinct status from public.notification_deliveries"),
    );
    expect(statuses.rows).toEqual([{ status: "delivered" }]);
    for (const who of [user(s.users.viewer, s.orgId), user(s.users.coordinator, s.orgId)]) {
      const seen = await actAs(db, who, (tx) =>
        tx.query(
          "select id::text from public.notification_deliveries union all select id::text from public.notification_targets union all select delivery_id::text from public.notification_delivery_attempts",
        ),
      );
      expect(seen.rows).toEqual([]);
    }
  });

  it("gives a delivery up after its last attempt, and writes nothing for a disabled target", async () => {
    const created = await saveTarget(db, admin(), s.orgId, {
      name: "Down",
      url: receiver.url,
      events: ["drift"],
    });
    await db.query("update public.notification_deliveries set max_attempts = 2 where target_id = $1", [
      created.data?.id,
    ]);
    await db.query(
      "insert into public.sync_alerts (org_id, integration_id, kind, message) values ($1, $2, 'drift', 'late')",
      [s.orgId, s.xledgerId],
    );
    await db.query("update public.notification_deliveries set max_attempts = 2 where target_id = $1", [
      created.data?.id,
    ]);
    receiver.script.push(503, 503, 503);
    await deliverAll();
    expect(receiver.received).toHaveLength(2);
    const { rows } = await db.query<{ status: string; attempts: number }>(
      "select status, attempts from public.notification_deliveries where target_id = $1",
      [created.data?.id],
    );
    expect(rows).toEqual([{ status: "failed", attempts: 2 }]);

    await saveTarget(db, admin(), s.orgId, { id: created.data?.id, enabled: false });
    const before = await countRows(db, "public.notification_deliveries");
    await db.query(
      "insert into public.sync_alerts (org_id, integration_id, kind, message) values ($1, $2, 'drift', 'late again')",
      [s.orgId, s.xledgerId],
    );
    expect(await countRows(db, "public.notification_deliveries")).toBe(before);
  });
});
