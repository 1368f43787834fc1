/**
 * A reference model of docs/architecture.md §4: the outcome `trigger_integration_sync` must produce for one
 * call, derived from the inputs alone, checks in the contract's order 1–7. Kept deliberately
 * naive (no SQL, no shared code with the migration) so the property test compares two
 * independent implementations.
 */

export const MEMBER_ROLES = ["admin", "coordinator", "peer_mentor", "viewer"] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** Who calls: a member of the target org with a role, a user without membership, a coordinator of another org, or a subject that is no user at all. */
export type Caller = MemberRole | "non_member" | "other_org_coordinator" | "ghost";

/** The `sub` claim: the caller's id, that id upper-cased, absent, or a malformed string. */
export type SubClaim =
  | { kind: "valid" }
  | { kind: "upper" }
  | { kind: "missing" }
  | { kind: "malformed"; value: unknown };

/** The `role` claim inside the JWT (the database role is always `authenticated`). */
export type RoleClaim = { kind: "authenticated" } | { kind: "missing" } | { kind: "other"; value: unknown };

/** The `org_id` claim, relative to the org argument. */
export type OrgClaim =
  | { kind: "same_as_argument" }
  | { kind: "same_as_argument_upper" }
  | { kind: "target" }
  | { kind: "other_org" }
  | { kind: "random_uuid" }
  | { kind: "missing" }
  | { kind: "garbage"; value: unknown };

/** The `org_id` argument. */
export type OrgArgument = "target" | "other_org" | "random_uuid" | "null";

export type IntegrationState = "enabled" | "disabled" | "missing";
/** An active run of (target org, type) before the call: none, pending or running. */
export type ActiveRun = "none" | "pending" | "running";

/** A manual-trigger audit row written before the call, `secondsAgo` before it. */
export interface PriorAudit {
  secondsAgo: number;
  action: "trigger" | "cancel";
  /** Same (org, type) as the call, or a neighbour that must not count. */
  scope: "same" | "other_type" | "other_org";
}

export interface TriggerCase {
  caller: Caller;
  sub: SubClaim;
  roleClaim: RoleClaim;
  orgClaim: OrgClaim;
  orgArgument: OrgArgument;
  integrationType: string | null;
  /** State of the target org's integration of each allowlisted type. */
  integrations: { xledger: IntegrationState; dynamics: IntegrationState };
  /** Active run of the target org for each allowlisted type (ignored where the integration is missing). */
  activeRuns: { xledger: ActiveRun; dynamics: ActiveRun };
  audits: PriorAudit[];
}

export type ModelOutcome =
  | { ok: true }
  | { ok: false; code: string; status: number; retryAfterSeconds?: number; activeRun?: true };

const ALLOWED = ["xledger", "dynamics"] as const;
const RATE_WINDOW_SECONDS = 300;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The text PostgreSQL's `->>` yields for a JSON claim value (null when absent or JSON null). */
export function claimText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  // jsonb's text form of numbers, booleans, arrays and objects; only compared for equality with
  // a uuid, which none of them can equal, so the exact spacing does not matter.
  return JSON.stringify(value);
}

/** The outcome docs/architecture.md §4 prescribes for a case. */
export function expectedOutcome(c: TriggerCase): ModelOutcome {
  // 1. An authenticated user: a uuid-shaped sub and the role claim `authenticated`.
  const subOk =
    c.sub.kind === "valid" ||
    c.sub.kind === "upper" ||
    (c.sub.kind === "malformed" && UUID.test(claimText(c.sub.value) ?? ""));
  if (!subOk || c.roleClaim.kind !== "authenticated") {
    return { ok: false, code: "permission_denied", status: 401 };
  }
  // 2. The JWT's org scope equals the argument (compared case-insensitively, as uuids).
  const orgClaimMatches =
    c.orgArgument !== "null" &&
    (c.orgClaim.kind === "same_as_argument" ||
      c.orgClaim.kind === "same_as_argument_upper" ||
      (c.orgClaim.kind === "target" && c.orgArgument === "target") ||
      (c.orgClaim.kind === "other_org" && c.orgArgument === "other_org"));
  if (!orgClaimMatches) return { ok: false, code: "org_scope_violation", status: 403 };
  // 3. Admin or coordinator of the org asked for. Only the target org has members of every
  //    role; the other org's coordinator is a coordinator there.
  const isTriggerRole =
    c.sub.kind !== "malformed" &&
    ((c.orgArgument === "target" && (c.caller === "admin" || c.caller === "coordinator")) ||
      (c.orgArgument === "other_org" && c.caller === "other_org_coordinator"));
  if (!isTriggerRole) return { ok: false, code: "permission_denied", status: 403 };
  // 4. The hard-coded allowlist, exact match.
  const type = ALLOWED.find((t) => t === c.integrationType);
  if (!type) return { ok: false, code: "unknown_integration_type", status: 400 };
  // The other org has exactly one integration: xledger, enabled, idle, never triggered.
  if (c.orgArgument === "other_org") {
    return type === "xledger" ? { ok: true } : { ok: false, code: "integration_not_configured", status: 404 };
  }
  // 5. Configured and enabled.
  const state = c.integrations[type];
  if (state === "missing") return { ok: false, code: "integration_not_configured", status: 404 };
  if (state === "disabled") return { ok: false, code: "integration_disabled", status: 409 };
  // 6. No pending or running run for (org, type).
  if (c.activeRuns[type] !== "none") {
    return { ok: false, code: "sync_already_in_progress", status: 409, activeRun: true };
  }
  // 7. No manual trigger of (org, type) in the last 5 minutes. The newest one decides Retry-After.
  const recent = c.audits
    .filter((a) => a.scope === "same" && a.action === "trigger" && a.secondsAgo < RATE_WINDOW_SECONDS)
    .map((a) => a.secondsAgo);
  if (recent.length > 0) {
    const newest = Math.min(...recent);
    return {
      ok: false,
      code: "rate_limited",
      status: 429,
      retryAfterSeconds: Math.max(1, RATE_WINDOW_SECONDS - newest),
    };
  }
  return { ok: true };
}
