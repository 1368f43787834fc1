import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { type Identity, triggerSync } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, type TestDbKind, testDbKinds } from "../helpers/db.ts";
import { addIntegration, addMember, countRows, createOrg, createUser } from "../helpers/fixtures.ts";
import {
  type ActiveRun,
  type Caller,
  expectedOutcome,
  type IntegrationState,
  MEMBER_ROLES,
  type OrgArgument,
  type OrgClaim,
  type PriorAudit,
  type RoleClaim,
  type SubClaim,
  type TriggerCase,
} from "./trigger_model.ts";

// Runs per database. One case costs ≈ 12 statements of setup plus the call and four counts:
// ≈ 28 ms on PGlite and ≈ 17 ms on PostgreSQL here (500 cases ≈ 14 s), so 500 + 300 cases stay well under a
// minute per file. FC_RUNS overrides both for a longer local soak.
const RUNS: Record<TestDbKind, number> = {
  pglite: Number(process.env.FC_RUNS ?? 500),
  postgres: Number(process.env.FC_RUNS ?? 300),
};

// NUL cannot reach the function at all: PostgreSQL refuses it in a text parameter (22021) and
// in a jsonb claim (22P05) before our code runs. The gateway abuse tests cover NUL on the wire.
const noNul = (s: string) => !s.includes("\u0000");
const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
);

const INJECTIONS = [
  "xledger'; delete from public.sync_run_log; --",
  "' or '1'='1",
  "xledger\\",
  "$$; select pg_sleep(10); $$",
  "%s%s%n",
  "{{7*7}}",
  "../../etc/passwd",
  "xledger' union select id from auth.users --",
  "\\x00",
  '{"integration_type":"xledger"}',
];
const NEAR_MISSES = [
  "XLEDGER",
  "Xledger",
  " xledger",
  "xledger ",
  "dynamics\n",
  "xlédger",
  "xledger\u200b",
  "ｘｌｅｄｇｅｒ",
  "",
  "dynamic",
];
// 100 KB (in UTF-16 units) of one repeated character plus a random tail.
const hundredKb = fc
  .tuple(fc.constantFrom("x", "é", "😀", "'", "xledger"), anyText.filter(noNul))
  .map(([unit, tail]) => unit.repeat(Math.ceil(100_000 / unit.length)) + tail);

const integrationType: fc.Arbitrary<string | null> = fc.oneof(
  { arbitrary: fc.constantFrom("xledger", "dynamics"), weight: 12 },
  { arbitrary: fc.constantFrom(...NEAR_MISSES), weight: 2 },
  { arbitrary: fc.constantFrom(...INJECTIONS), weight: 2 },
  { arbitrary: anyText.filter(noNul), weight: 2 },
  { arbitrary: hundredKb, weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
);

const caller: fc.Arbitrary<Caller> = fc.oneof(
  { arbitrary: fc.constantFrom<Caller>("admin", "coordinator"), weight: 6 },
  {
    arbitrary: fc.constantFrom<Caller>(
      "peer_mentor",
      "viewer",
      "non_member",
      "other_org_coordinator",
      "ghost",
    ),
    weight: 3,
  },
);

const jsonGarbage = fc.oneof(
  anyText.filter(noNul),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant({ nested: "value" }),
  fc.constant([]),
  fc.constantFrom(
    "' or 1=1 --",
    "{a0000000-0000-4000-8000-000000000002}",
    "a00000000000400080000000000000002",
  ),
);

const sub: fc.Arbitrary<SubClaim> = fc.oneof(
  { arbitrary: fc.constant<SubClaim>({ kind: "valid" }), weight: 24 },
  { arbitrary: fc.constant<SubClaim>({ kind: "upper" }), weight: 1 },
  { arbitrary: fc.constant<SubClaim>({ kind: "missing" }), weight: 1 },
  { arbitrary: jsonGarbage.map<SubClaim>((value) => ({ kind: "malformed", value })), weight: 1 },
  // uuid-shaped but not the caller: passes check 1, then is nobody's member.
  { arbitrary: fc.uuid().map<SubClaim>((value) => ({ kind: "malformed", value })), weight: 1 },
);

const roleClaim: fc.Arbitrary<RoleClaim> = fc.oneof(
  { arbitrary: fc.constant<RoleClaim>({ kind: "authenticated" }), weight: 24 },
  { arbitrary: fc.constant<RoleClaim>({ kind: "missing" }), weight: 1 },
  {
    arbitrary: fc
      .oneof(
        fc.constantFrom("anon", "service_role", "postgres", "Authenticated", "authenticated ", "", "none"),
        jsonGarbage,
      )
      .map<RoleClaim>((value) => ({ kind: "other", value })),
    weight: 1,
  },
);

const orgClaim: fc.Arbitrary<OrgClaim> = fc.oneof(
  { arbitrary: fc.constant<OrgClaim>({ kind: "same_as_argument" }), weight: 10 },
  { arbitrary: fc.constant<OrgClaim>({ kind: "same_as_argument_upper" }), weight: 1 },
  {
    arbitrary: fc.constantFrom<OrgClaim>(
      { kind: "target" },
      { kind: "other_org" },
      { kind: "random_uuid" },
      { kind: "missing" },
    ),
    weight: 2,
  },
  { arbitrary: jsonGarbage.map<OrgClaim>((value) => ({ kind: "garbage", value })), weight: 1 },
);

const orgArgument: fc.Arbitrary<OrgArgument> = fc.oneof(
  { arbitrary: fc.constant<OrgArgument>("target"), weight: 10 },
  { arbitrary: fc.constantFrom<OrgArgument>("other_org", "random_uuid", "null"), weight: 2 },
);

const integrationState: fc.Arbitrary<IntegrationState> = fc.oneof(
  { arbitrary: fc.constant<IntegrationState>("enabled"), weight: 6 },
  { arbitrary: fc.constantFrom<IntegrationState>("disabled", "missing"), weight: 2 },
);
const activeRun: fc.Arbitrary<ActiveRun> = fc.oneof(
  { arbitrary: fc.constant<ActiveRun>("none"), weight: 5 },
  { arbitrary: fc.constantFrom<ActiveRun>("pending", "running"), weight: 1 },
);

// The window edges: 299 s ago still refuses (Retry-After 1), 300 s ago no longer does (the RPC's
// transaction starts a few ms after the backdated row's, so "300 s ago" is 300.00x s by then).
// Negative values are a clock ahead of the database (Retry-After > 300).
const secondsAgo = fc.oneof(
  fc.constantFrom(0, 1, 150, 298, 299, 300, 301, 302, 3600, -30),
  fc.integer({ min: -60, max: 900 }),
);
const priorAudit: fc.Arbitrary<PriorAudit> = fc.record({
  secondsAgo,
  action: fc.oneof(
    { arbitrary: fc.constant<"trigger">("trigger"), weight: 4 },
    { arbitrary: fc.constant<"cancel">("cancel"), weight: 1 },
  ),
  scope: fc.oneof(
    { arbitrary: fc.constant<"same">("same"), weight: 4 },
    { arbitrary: fc.constantFrom<"other_type" | "other_org">("other_type", "other_org"), weight: 1 },
  ),
});

const triggerCase: fc.Arbitrary<TriggerCase> = fc.record({
  caller,
  sub,
  roleClaim,
  orgClaim,
  orgArgument,
  integrationType,
  integrations: fc.record({ xledger: integrationState, dynamics: integrationState }),
  activeRuns: fc.record({ xledger: activeRun, dynamics: activeRun }),
  audits: fc.oneof(
    { arbitrary: fc.constant<PriorAudit[]>([]), weight: 3 },
    { arbitrary: fc.array(priorAudit, { minLength: 1, maxLength: 3 }), weight: 2 },
  ),
});

/** A case that reaches every outcome at least once, whatever the random draw. */
const base: TriggerCase = {
  caller: "coordinator",
  sub: { kind: "valid" },
  roleClaim: { kind: "authenticated" },
  orgClaim: { kind: "same_as_argument" },
  orgArgument: "target",
  integrationType: "xledger",
  integrations: { xledger: "enabled", dynamics: "enabled" },
  activeRuns: { xledger: "none", dynamics: "none" },
  audits: [],
};
const EXAMPLES: TriggerCase[] = [
  base,
  { ...base, sub: { kind: "missing" } },
  { ...base, orgClaim: { kind: "other_org" } },
  { ...base, caller: "viewer" },
  { ...base, integrationType: "x".repeat(100_000) },
  { ...base, integrations: { xledger: "missing", dynamics: "enabled" } },
  { ...base, integrations: { xledger: "disabled", dynamics: "enabled" } },
  { ...base, activeRuns: { xledger: "running", dynamics: "none" } },
  { ...base, audits: [{ secondsAgo: 299, action: "trigger", scope: "same" }] },
  { ...base, audits: [{ secondsAgo: 300, action: "trigger", scope: "same" }] },
  { ...base, caller: "other_org_coordinator", orgArgument: "other_org" },
];

interface World {
  targetOrg: string;
  otherOrg: string;
  callerId: string;
  activeRunIds: Partial<Record<"xledger" | "dynamics", string>>;
}

/** Builds the case's world as the owner (fresh orgs per case, so cases never interfere). */
async function buildWorld(db: Db, c: TriggerCase): Promise<World> {
  return db.transaction(async (tx) => {
    const targetOrg = await createOrg(tx, "Property Org");
    const otherOrg = await createOrg(tx, "Property Neighbour Org");
    await addIntegration(tx, otherOrg, "xledger");
    let callerId: string;
    if (c.caller === "ghost") {
      callerId = randomUUID();
    } else {
      callerId = await createUser(tx);
      if ((MEMBER_ROLES as readonly string[]).includes(c.caller)) {
        await addMember(tx, targetOrg, callerId, c.caller as (typeof MEMBER_ROLES)[number]);
      } else if (c.caller === "other_org_coordinator") {
        await addMember(tx, otherOrg, callerId, "coordinator");
      }
    }
    const activeRunIds: World["activeRunIds"] = {};
    for (const type of ["xledger", "dynamics"] as const) {
      const state = c.integrations[type];
      if (state === "missing") continue;
      const integrationId = await addIntegration(tx, targetOrg, type, { enabled: state === "enabled" });
      const active = c.activeRuns[type];
      if (active === "none") continue;
      const { rows } = await tx.query<{ id: string }>(
        `insert into public.sync_run_log (org_id, integration_id, integration_type, status, triggered_by,
           attempt, worker_id, lease_expires_at)
         values ($1, $2, $3, $4, 'scheduled', $5, $6, case when $4 = 'running' then now() + interval '1 minute' end)
         returning id`,
        [
          targetOrg,
          integrationId,
          type,
          active,
          active === "running" ? 1 : 0,
          active === "running" ? "w" : null,
        ],
      );
      activeRunIds[type] = rows[0]?.id;
    }
    const sameType = c.integrationType === "dynamics" ? "dynamics" : "xledger";
    for (const a of c.audits) {
      const org = a.scope === "other_org" ? randomUUID() : targetOrg;
      const type = a.scope === "other_type" ? (sameType === "xledger" ? "dynamics" : "xledger") : sameType;
      await tx.query(
        `insert into public.sync_trigger_audit (run_id, actor_user_id, org_id, integration_type, action, occurred_at)
         values (gen_random_uuid(), gen_random_uuid(), $1, $2, $3, now() - make_interval(secs => $4))`,
        [org, type, a.action, a.secondsAgo],
      );
    }
    return { targetOrg, otherOrg, callerId, activeRunIds };
  });
}

/** The JWT claims the case describes (the database role is `authenticated` in every case). */
function identityFor(c: TriggerCase, w: World, orgArg: string | null): Identity {
  const subValue =
    c.sub.kind === "valid"
      ? w.callerId
      : c.sub.kind === "upper"
        ? w.callerId.toUpperCase()
        : c.sub.kind === "missing"
          ? undefined
          : c.sub.value;
  const roleValue =
    c.roleClaim.kind === "authenticated"
      ? "authenticated"
      : c.roleClaim.kind === "missing"
        ? undefined
        : c.roleClaim.value;
  const orgValue = (() => {
    switch (c.orgClaim.kind) {
      case "same_as_argument":
        return orgArg ?? undefined;
      case "same_as_argument_upper":
        return orgArg?.toUpperCase();
      case "target":
        return w.targetOrg;
      case "other_org":
        return w.otherOrg;
      case "random_uuid":
        return randomUUID();
      case "missing":
        return undefined;
      case "garbage":
        return c.orgClaim.value;
    }
  })();
  // undefined drops the key from the JSON claims (a missing claim); null is a JSON null.
  return {
    role: "authenticated",
    claims: { sub: subValue, role: roleValue, org_id: orgValue, aud: "authenticated" },
  };
}

describe.each(testDbKinds())("trigger_integration_sync against its contract model on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  const seen = new Map<string, number>();

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(async () => {
    // The distribution actually exercised, for the reader of the CI log.
    console.log(`[property ${kind}] outcomes: ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);
    await t.close();
  });

  it("answers every call exactly as the model says, with a coded error and no rows on refusal", async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(triggerCase, async (c) => {
        const w = await buildWorld(db, c);
        const orgArg =
          c.orgArgument === "target"
            ? w.targetOrg
            : c.orgArgument === "other_org"
              ? w.otherOrg
              : c.orgArgument === "random_uuid"
                ? randomUUID()
                : null;
        const expected = expectedOutcome(c);
        const runsBefore = await countRows(db, "public.sync_run_log");
        const auditBefore = await countRows(db, "public.sync_trigger_audit");

        const { data, error } = await triggerSync(db, identityFor(c, w, orgArg), orgArg, c.integrationType);
        const label = expected.ok ? "ok" : `${expected.code}/${expected.status}`;
        seen.set(label, (seen.get(label) ?? 0) + 1);

        if (expected.ok) {
          expect(error).toBeNull();
          expect(data).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
          const run = await db.query<Record<string, unknown>>(
            `select r.status, r.triggered_by, r.triggered_by_user_id, r.org_id, r.integration_type,
                      (select count(*)::int from public.sync_trigger_audit a
                        where a.run_id = r.id and a.action = 'trigger' and a.actor_user_id = $2) as audits
               from public.sync_run_log r where r.id = $1`,
            [data, w.callerId],
          );
          expect(run.rows).toEqual([
            {
              status: "pending",
              triggered_by: "manual",
              triggered_by_user_id: w.callerId,
              org_id: orgArg,
              integration_type: c.integrationType,
              audits: 1,
            },
          ]);
          expect(await countRows(db, "public.sync_run_log")).toBe(runsBefore + 1);
          expect(await countRows(db, "public.sync_trigger_audit")).toBe(auditBefore + 1);
          return;
        }

        expect(data).toBeNull();
        expect({ code: error?.body.code, status: error?.status }).toEqual({
          code: expected.code,
          status: expected.status,
        });
        // A human message, bounded: a 100 KB input is never echoed back.
        expect(typeof error?.body.message).toBe("string");
        expect(error?.body.message.length).toBeGreaterThan(10);
        expect(JSON.stringify(error?.body).length).toBeLessThan(1000);
        if (expected.retryAfterSeconds !== undefined) {
          expect(JSON.parse(error?.body.details ?? "null")).toEqual({
            retry_after_seconds: expected.retryAfterSeconds,
          });
          expect(error?.headers).toEqual({ "Retry-After": String(expected.retryAfterSeconds) });
        }
        if (expected.activeRun) {
          const type = c.integrationType as "xledger" | "dynamics";
          expect(JSON.parse(error?.body.details ?? "null")).toEqual({ run_id: w.activeRunIds[type] });
        }
        expect(await countRows(db, "public.sync_run_log")).toBe(runsBefore);
        expect(await countRows(db, "public.sync_trigger_audit")).toBe(auditBefore);
      }),
      { numRuns: RUNS[kind], examples: EXAMPLES.map((e) => [e]), endOnFailure: true },
    );
    // Every branch of the contract was taken (the examples guarantee it; this guards the examples).
    expect([...seen.keys()].sort()).toEqual(
      expect.arrayContaining([
        "ok",
        "permission_denied/401",
        "org_scope_violation/403",
        "permission_denied/403",
        "unknown_integration_type/400",
        "integration_not_configured/404",
        "integration_disabled/409",
        "sync_already_in_progress/409",
        "rate_limited/429",
      ]),
    );
    console.log(`[property ${kind}] ${RUNS[kind]} cases in ${Date.now() - started} ms`);
  }, 120_000);
});
