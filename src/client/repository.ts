import type { SupabaseClient } from "@supabase/supabase-js";
import { SyncError, SyncTriggerError, toSyncError, toSyncTriggerError } from "./errors.ts";
import {
  ALERT_COLUMNS,
  API_USAGE_COLUMNS,
  type ApiUsage,
  alertFromRow,
  apiUsageFromRow,
  COLD_START_COLUMNS,
  type ColdStart,
  coldStartFromRow,
  INTEGRATION_COLUMNS,
  type Integration,
  type IntegrationType,
  integrationFromRow,
  type OrgMember,
  RUN_COLUMNS,
  type RunStatus,
  runFromRow,
  type SyncAlert,
  type SyncRun,
} from "./types.ts";
import { type WatchRunOptions, watchRun } from "./watchRun.ts";

/** What the React layer needs from a repository; a test may hand it any object of this shape. */
export interface SyncRunSource {
  triggerManualSync(orgId: string, integrationType: IntegrationType): Promise<string>;
  getRun(runId: string): Promise<SyncRun | null>;
  watchRun(runId: string, onChange: (run: SyncRun) => void, options?: WatchRunOptions): () => void;
}

type Result = { data: unknown; error: unknown; status: number };

/** supabase-js never throws for HTTP errors; a thrown fetch inside it is still "no answer". */
async function call(run: () => PromiseLike<Result>): Promise<Result> {
  try {
    return await run();
  } catch (cause) {
    return { data: null, error: { message: String(cause) }, status: 0 };
  }
}

function rows(result: Result): Record<string, unknown>[] {
  if (result.error) throw toSyncError(result.error, result.status);
  return Array.isArray(result.data) ? (result.data as Record<string, unknown>[]) : [];
}

/**
 * The client side of Sync Scheduler over an unmodified supabase-js client: the manual trigger,
 * run reads, cancel and live run status. Rules (who may trigger, conflicts, rate limit) live in the
 * SQL RPCs; this class only calls them and turns their coded errors into typed ones.
 * Mirrors a Flutter/Riverpod repository one to one (docs/client.md).
 * @example
 * const supabase = createClient(url, anonKey);
 * await supabase.auth.signInWithPassword({ email, password });
 * const repo = new SyncSchedulerRepository(supabase);
 * const runId = await repo.triggerManualSync(orgId, "xledger");
 * const stop = repo.watchRun(runId, (run) => console.log(run.status));
 */
export class SyncSchedulerRepository implements SyncRunSource {
  constructor(readonly supabase: SupabaseClient) {}

  /**
   * Starts a manual sync through `public.trigger_integration_sync` and resolves to the new run id.
   * Rejects with a {@link SyncTriggerError}: `sync_already_in_progress` carries
   * `details.activeRunId`, `rate_limited` carries `details.retryAfterSeconds` / `retryAt`.
   * @example
   * try {
   *   const runId = await repo.triggerManualSync(orgId, "xledger");
   * } catch (e) {
   *   if (isSyncTriggerError(e) && e.code === "sync_already_in_progress") watch(e.details.activeRunId);
   *   else showError((e as SyncTriggerError).userMessage("nb"));
   * }
   */
  async triggerManualSync(orgId: string, integrationType: IntegrationType): Promise<string> {
    const result = await call(() =>
      this.supabase.rpc("trigger_integration_sync", { org_id: orgId, integration_type: integrationType }),
    );
    if (result.error) throw toSyncTriggerError(result.error, result.status);
    if (typeof result.data !== "string") {
      throw new SyncTriggerError("unknown", { status: result.status, message: "the RPC returned no run id" });
    }
    return result.data;
  }

  /**
   * One run, or null when it does not exist or the caller's organization cannot see it (RLS).
   * @example const run = await repo.getRun(runId); if (run?.status === "failed") alert(run.errorMessage);
   */
  async getRun(runId: string): Promise<SyncRun | null> {
    const result = await call(() =>
      this.supabase.from("sync_run_log").select(RUN_COLUMNS).eq("id", runId).limit(1),
    );
    const row = rows(result)[0];
    return row ? runFromRow(row) : null;
  }

  /**
   * The newest runs of an organization (all integrations, or one), newest first.
   * @example const history = await repo.listRuns(orgId, { integrationType: "dynamics", limit: 10 });
   */
  async listRuns(
    orgId: string,
    options: { integrationType?: IntegrationType; limit?: number } = {},
  ): Promise<SyncRun[]> {
    const result = await call(() => {
      let query = this.supabase.from("sync_run_log").select(RUN_COLUMNS).eq("org_id", orgId);
      if (options.integrationType) query = query.eq("integration_type", options.integrationType);
      return query.order("triggered_at", { ascending: false }).limit(options.limit ?? 20);
    });
    return rows(result).map(runFromRow);
  }

  /**
   * Cancels a run through `public.cancel_integration_sync`: a pending run is cancelled at once, a
   * running one is asked to stop (resolves to the status afterwards). Rejects with a
   * {@link SyncError} (`permission_denied`, `run_not_found`, `run_not_active`, `network_error`, `unknown`).
   * @example const status = await repo.cancelRun(runId); // "cancelled" or "running" (stopping)
   */
  async cancelRun(runId: string): Promise<RunStatus> {
    const result = await call(() => this.supabase.rpc("cancel_integration_sync", { run_id: runId }));
    if (result.error) throw toSyncError(result.error, result.status);
    if (typeof result.data !== "string") throw new SyncError("unknown", { status: result.status });
    return result.data as RunStatus;
  }

  /**
   * Live status of one run: Realtime first (re-read once subscribed), polling with backoff while
   * the channel is down; stops by itself at a terminal status. Returns the function that stops it.
   * @example
   * const stop = repo.watchRun(runId, (run) => setRun(run), { onModeChange: (m) => setLive(m === "realtime") });
   * useEffect(() => stop, []);
   */
  watchRun(runId: string, onChange: (run: SyncRun) => void, options?: WatchRunOptions): () => void {
    return watchRun({ supabase: this.supabase, getRun: (id) => this.getRun(id) }, runId, onChange, options);
  }

  /**
   * The organization's integrations with schedule and health (never credentials or config).
   * @example const [xledger] = (await repo.listIntegrations(orgId)).filter((i) => i.integrationType === "xledger");
   */
  async listIntegrations(orgId: string): Promise<Integration[]> {
    const result = await call(() =>
      this.supabase
        .from("organization_integrations")
        .select(INTEGRATION_COLUMNS)
        .eq("org_id", orgId)
        .order("integration_type", { ascending: false }),
    );
    return rows(result).map(integrationFromRow);
  }

  /**
   * The newest drift, health and missed-period alerts of an organization, newest first.
   * @example const open = (await repo.listAlerts(orgId)).filter((a) => a.resolvedAt === null);
   */
  async listAlerts(orgId: string, options: { limit?: number } = {}): Promise<SyncAlert[]> {
    const result = await call(() =>
      this.supabase
        .from("sync_alerts")
        .select(ALERT_COLUMNS)
        .eq("org_id", orgId)
        .order("created_at", { ascending: false })
        .limit(options.limit ?? 20),
    );
    return rows(result).map(alertFromRow);
  }

  /**
   * API requests per integration and purpose in one month (default: this month, UTC) — what the
   * dashboard shows against Xledger's monthly allowance.
   * @example const usage = await repo.listApiUsage(orgId);
   */
  async listApiUsage(orgId: string, month: Date = new Date()): Promise<ApiUsage[]> {
    const first = `${month.getUTCFullYear()}-${String(month.getUTCMonth() + 1).padStart(2, "0")}-01`;
    const result = await call(() =>
      this.supabase
        .from("api_request_tally")
        .select(API_USAGE_COLUMNS)
        .eq("org_id", orgId)
        .eq("month", first)
        .order("purpose"),
    );
    return rows(result).map(apiUsageFromRow);
  }

  /**
   * Recent cold starts of the worker Edge Function for the organization's integrations, newest
   * first (members only, through RLS).
   * @example const slow = (await repo.listColdStarts(orgId)).filter((c) => c.prewarmSentAt === null);
   */
  async listColdStarts(orgId: string, options: { limit?: number } = {}): Promise<ColdStart[]> {
    const result = await call(() =>
      this.supabase
        .from("function_cold_starts")
        .select(COLD_START_COLUMNS)
        .eq("org_id", orgId)
        .order("occurred_at", { ascending: false })
        .limit(options.limit ?? 50),
    );
    return rows(result).map(coldStartFromRow);
  }

  /**
   * The organization's id and name, or null when the caller is not a member.
   * @example const org = await repo.getOrganization(orgId); title.textContent = org?.name ?? "";
   */
  async getOrganization(orgId: string): Promise<{ id: string; name: string } | null> {
    const result = await call(() =>
      this.supabase.from("organizations").select("id,name").eq("id", orgId).limit(1),
    );
    const row = rows(result)[0];
    return row ? { id: String(row.id), name: String(row.name) } : null;
  }

  /**
   * The members of an organization and their roles (to name who triggered a run, and to know
   * whether the signed-in user may trigger: admin and coordinator only).
   * @example const me = (await repo.listMembers(orgId)).find((m) => m.userId === userId);
   */
  async listMembers(orgId: string): Promise<OrgMember[]> {
    const result = await call(() =>
      this.supabase.from("organization_members").select("org_id,user_id,role").eq("org_id", orgId),
    );
    return rows(result).map((r) => ({
      orgId: String(r.org_id),
      userId: String(r.user_id),
      role: String(r.role) as OrgMember["role"],
    }));
  }
}
