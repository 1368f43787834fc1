import type { SupabaseClient } from "@supabase/supabase-js";
import { SyncError, toSyncError } from "./errors.ts";
import { type Integration, type IntegrationType, integrationFromRow, type OrgMember } from "./types.ts";

/** What `configure_integration` accepts; every key optional (docs/admin.md). */
export interface IntegrationSettings {
  enabled?: boolean;
  /** 5-field cron, or null for manual only. */
  scheduleCron?: string | null;
  /** IANA zone name, e.g. `Europe/Oslo`. */
  scheduleTimezone?: string;
  /** 5-field cron of the scheduled reconciliation (same zone), or null for none (docs/reconciliation.md). */
  reconcileCron?: string | null;
  /** Validated per type exactly as the adapters validate it. */
  config?: Record<string, unknown>;
}

/** A member with the name and email their own org may see (`org_member_directory`). */
export interface MemberProfile extends OrgMember {
  email: string | null;
  displayName: string | null;
}

/** One row of `integration_admin_audit` (never a secret). */
export interface AdminAuditEntry {
  id: number;
  integrationType: IntegrationType | null;
  actorUserId: string;
  action: string;
  occurredAt: string;
  details: Record<string, unknown>;
}

export type NotificationEvent =
  | "drift"
  | "run_failed"
  | "health_changed"
  | "vouchers_rejected"
  | "reconciliation_differences";

export interface NotificationTarget {
  id: string;
  name: string;
  kind: "webhook" | "slack";
  url: string;
  events: NotificationEvent[];
  enabled: boolean;
  /** Only in the answer that created the target or rotated its secret; never readable again. */
  secret?: string;
}

export interface NotificationDelivery {
  id: string;
  targetId: string;
  event: NotificationEvent;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  lastHttpStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

type Result = { data: unknown; error: unknown; status: number };

async function call(run: () => PromiseLike<Result>): Promise<unknown> {
  let result: Result;
  try {
    result = await run();
  } catch (cause) {
    result = { data: null, error: { message: String(cause) }, status: 0 };
  }
  if (result.error) throw toSyncError(result.error as never, result.status);
  return result.data;
}

const list = (data: unknown) => (Array.isArray(data) ? (data as Record<string, unknown>[]) : []);

/**
 * Day-2 operations for org admins (docs/admin.md): settings, credentials, health mode, connection
 * tests, notification targets, and the reads behind them. Every write is one SECURITY DEFINER RPC
 * that checks the caller and audits the change; this class only calls them and maps coded errors
 * to {@link SyncError}.
 * @example
 * const admin = new IntegrationAdminRepository(supabase);
 * await admin.configureIntegration(orgId, "xledger", { scheduleCron: "0 2 * * *", scheduleTimezone: "Europe/Oslo" });
 */
export class IntegrationAdminRepository {
  constructor(readonly supabase: SupabaseClient) {}

  /**
   * Changes settings; resolves to the integration as a client may see it.
   * Rejects with `invalid_settings`, `invalid_schedule` (`details.reason`), `invalid_timezone`,
   * `invalid_config` (`details.issues`), `permission_denied`, `org_scope_violation`, `unknown_integration_type`.
   * @example await admin.configureIntegration(orgId, "dynamics", { enabled: false }); // pause
   */
  async configureIntegration(
    orgId: string,
    type: IntegrationType,
    settings: IntegrationSettings,
  ): Promise<Integration> {
    const body: Record<string, unknown> = {};
    if (settings.enabled !== undefined) body.enabled = settings.enabled;
    if (settings.scheduleCron !== undefined) body.schedule_cron = settings.scheduleCron;
    if (settings.scheduleTimezone !== undefined) body.schedule_timezone = settings.scheduleTimezone;
    if (settings.reconcileCron !== undefined) body.reconcile_cron = settings.reconcileCron;
    if (settings.config !== undefined) body.config = settings.config;
    const data = await call(() =>
      this.supabase.rpc("configure_integration", { org_id: orgId, integration_type: type, settings: body }),
    );
    if (typeof data !== "object" || data === null) throw new SyncError("unknown");
    return integrationFromRow(data as Record<string, unknown>);
  }

  /**
   * Stores credentials (write-only: nothing returns them). Rejects with `invalid_credentials`.
   * @example await admin.setCredentials(orgId, "xledger", { token });
   */
  async setCredentials(
    orgId: string,
    type: IntegrationType,
    credentials: Record<string, string>,
  ): Promise<void> {
    await call(() =>
      this.supabase.rpc("set_integration_credentials", {
        org_id: orgId,
        integration_type: type,
        credentials,
      }),
    );
  }

  /** @example await admin.resumeHealth(orgId, "xledger"); // passive → active */
  async resumeHealth(orgId: string, type: IntegrationType): Promise<void> {
    await call(() =>
      this.supabase.rpc("resume_integration_health", { org_id: orgId, integration_type: type }),
    );
  }

  /**
   * Asks the health monitor to ping now; resolves to the request time. The result arrives as the
   * integration's next `health_checked_at`. Rejects with `rate_limited` (once a minute), `health_passive`.
   * @example const requestedAt = await admin.testConnection(orgId, "xledger");
   */
  async testConnection(orgId: string, type: IntegrationType): Promise<string> {
    return String(
      await call(() =>
        this.supabase.rpc("test_integration_connection", { org_id: orgId, integration_type: type }),
      ),
    );
  }

  /** Whether credentials are stored per type, and when they last changed. @example (await admin.credentialsStatus(orgId)).xledger?.stored */
  async credentialsStatus(
    orgId: string,
  ): Promise<Partial<Record<IntegrationType, { stored: boolean; updatedAt: string | null }>>> {
    const data = await call(() => this.supabase.rpc("integration_credentials_status", { org_id: orgId }));
    const out: Partial<Record<IntegrationType, { stored: boolean; updatedAt: string | null }>> = {};
    for (const r of list(data))
      out[String(r.integration_type) as IntegrationType] = {
        stored: r.stored === true,
        updatedAt: r.updated_at == null ? null : String(r.updated_at),
      };
    return out;
  }

  /** Members of the caller's org with email and name. @example const names = await admin.memberDirectory(orgId); */
  async memberDirectory(orgId: string): Promise<MemberProfile[]> {
    const data = await call(() => this.supabase.rpc("org_member_directory", { org_id: orgId }));
    return list(data).map((r) => ({
      orgId,
      userId: String(r.user_id),
      role: String(r.role) as OrgMember["role"],
      email: r.email == null ? null : String(r.email),
      displayName: r.display_name == null ? null : String(r.display_name),
    }));
  }

  /** Newest admin audit rows (admins only; others get none). @example await admin.listAudit(orgId, { limit: 20 }) */
  async listAudit(orgId: string, options: { limit?: number } = {}): Promise<AdminAuditEntry[]> {
    const data = await call(() =>
      this.supabase
        .from("integration_admin_audit")
        .select("id,integration_type,actor_user_id,action,occurred_at,details")
        .eq("org_id", orgId)
        .order("occurred_at", { ascending: false })
        .limit(options.limit ?? 20),
    );
    return list(data).map((r) => ({
      id: Number(r.id),
      integrationType: r.integration_type == null ? null : (String(r.integration_type) as IntegrationType),
      actorUserId: String(r.actor_user_id),
      action: String(r.action),
      occurredAt: String(r.occurred_at),
      details:
        typeof r.details === "object" && r.details !== null ? (r.details as Record<string, unknown>) : {},
    }));
  }

  /** @example const targets = await admin.listNotificationTargets(orgId); */
  async listNotificationTargets(orgId: string): Promise<NotificationTarget[]> {
    const data = await call(() =>
      this.supabase
        .from("notification_targets")
        .select("id,name,kind,url,events,enabled")
        .eq("org_id", orgId)
        .order("created_at"),
    );
    return list(data).map(targetFromRow);
  }

  /**
   * Creates (no `id`) or updates a webhook target; the answer carries `secret` once when created
   * or when `rotateSecret` is set. Rejects with `invalid_notification_target` (`details.problems`).
   * @example const { secret } = await admin.saveNotificationTarget(orgId, { name: "Ops", url });
   */
  async saveNotificationTarget(
    orgId: string,
    target: Partial<Omit<NotificationTarget, "secret">> & { rotateSecret?: boolean },
  ): Promise<NotificationTarget> {
    const { rotateSecret, ...rest } = target;
    const data = await call(() =>
      this.supabase.rpc("save_notification_target", {
        org_id: orgId,
        target: { ...rest, ...(rotateSecret ? { rotate_secret: true } : {}) },
      }),
    );
    return targetFromRow(data as Record<string, unknown>);
  }

  /** @example await admin.deleteNotificationTarget(orgId, id); */
  async deleteNotificationTarget(orgId: string, targetId: string): Promise<void> {
    await call(() => this.supabase.rpc("delete_notification_target", { org_id: orgId, target_id: targetId }));
  }

  /** Newest deliveries with their outcome (the full attempt log is `notification_delivery_attempts`). @example await admin.listDeliveries(orgId) */
  async listDeliveries(orgId: string, options: { limit?: number } = {}): Promise<NotificationDelivery[]> {
    const data = await call(() =>
      this.supabase
        .from("notification_deliveries")
        .select("id,target_id,event,status,attempts,last_http_status,last_error,created_at,delivered_at")
        .eq("org_id", orgId)
        .order("created_at", { ascending: false })
        .limit(options.limit ?? 20),
    );
    return list(data).map((r) => ({
      id: String(r.id),
      targetId: String(r.target_id),
      event: String(r.event) as NotificationEvent,
      status: String(r.status) as NotificationDelivery["status"],
      attempts: Number(r.attempts),
      lastHttpStatus: r.last_http_status == null ? null : Number(r.last_http_status),
      lastError: r.last_error == null ? null : String(r.last_error),
      createdAt: String(r.created_at),
      deliveredAt: r.delivered_at == null ? null : String(r.delivered_at),
    }));
  }
}

function targetFromRow(r: Record<string, unknown>): NotificationTarget {
  return {
    id: String(r.id),
    name: String(r.name),
    kind: String(r.kind) as NotificationTarget["kind"],
    url: String(r.url),
    events: (Array.isArray(r.events) ? r.events : []).map(String) as NotificationEvent[],
    enabled: r.enabled === true,
    ...(typeof r.secret === "string" ? { secret: r.secret } : {}),
  };
}
