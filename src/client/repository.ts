import type { SupabaseClient } from "@supabase/supabase-js";
import { SyncError, SyncTriggerError, toSyncError, toSyncTriggerError } from "./errors.ts";
import {
  FINDING_COLUMNS,
  type FindingStatus,
  findingFromRow,
  type Reconciliation,
  type ReconciliationFinding,
  type ReconciliationTotal,
  reconciliationFromRow,
  TOTAL_COLUMNS,
  totalFromRow,
} from "./reconciliation.ts";
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

/** The reconciliation reads and actions; the React hooks take any object of this shape. */
export interface ReconciliationSource {
  reconcileIntegration(
    orgId: string,
    integrationType: IntegrationType,
    period?: { periodStart?: string; periodEnd?: string },
  ): Promise<string>;
  listReconciliations(
    orgId: string,
    options?: { integrationType?: IntegrationType; limit?: number },
  ): Promise<Reconciliation[]>;
  listReconciliationFindings(
    orgId: string,
    options?: { integrationType?: IntegrationType; runId?: string; status?: FindingStatus; limit?: number },
  ): Promise<ReconciliationFinding[]>;
  listReconciliationTotals(
    orgId: string,
    options?: { integrationType?: IntegrationType; runId?: string; limit?: number },
  ): Promise<ReconciliationTotal[]>;
  requeueReconciliationFinding(orgId: string, findingId: string): Promise<void>;
  acknowledgeReconciliationFinding(orgId: string, findingId: string, note: string): Promise<void>;
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

// Supabase's `[api] max_rows` (1000 by default): PostgREST answers at most this many rows per
// request whatever `limit` asks, so a list that may be longer is read page by page.
const PAGE_ROWS = 1000;

/**
 * Every row a query yields up to `limit`, read in pages of {@link PAGE_ROWS} with `range` (PostgREST
 * `offset`/`limit`); `page(from, to)` must order by a unique key so pages neither overlap nor skip.
 */
async function allRows(
  page: (from: number, to: number) => PromiseLike<Result>,
  limit: number,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  while (out.length < limit) {
    const want = Math.min(PAGE_ROWS, limit - out.length);
    const got = rows(await call(() => page(out.length, out.length + want - 1)));
    out.push(...got);
    if (got.length < want) break;
  }
  return out;
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
export class SyncSchedulerRepository implements SyncRunSource, ReconciliationSource {
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

  /**
   * Starts a reconciliation through `public.reconcile_integration` (docs/reconciliation.md): reads back
   * what the accounting system holds for the period and compares it with what was exported. The period
   * is both dates (`YYYY-MM-DD`, inclusive) or neither (the previous and the current month in the
   * integration's time zone). Resolves to the run id at once; follow it with {@link watchRun}.
   * Rejects with a {@link SyncError} whose `details.operation` is `"reconcile"`: the trigger's checks
   * (`permission_denied`, `org_scope_violation`, `unknown_integration_type`, `integration_not_configured`,
   * `integration_disabled`), `invalid_period`, `reconciliation_already_in_progress` and
   * `sync_already_in_progress` (both with `details.activeRunId`), `rate_limited` (one manual
   * reconciliation per integration per 15 minutes; `details.retryAfterSeconds`).
   * @example
   * const runId = await repo.reconcileIntegration(orgId, "dynamics", { periodStart: "2026-11-01", periodEnd: "2026-11-30" });
   */
  async reconcileIntegration(
    orgId: string,
    integrationType: IntegrationType,
    period: { periodStart?: string; periodEnd?: string } = {},
  ): Promise<string> {
    const args: Record<string, string> = { org_id: orgId, integration_type: integrationType };
    // Only the dates given: the RPC's defaults (null) decide the rest, and one date alone is its error.
    if (period.periodStart !== undefined) args.period_start = period.periodStart;
    if (period.periodEnd !== undefined) args.period_end = period.periodEnd;
    const result = await call(() => this.supabase.rpc("reconcile_integration", args));
    if (result.error) throw toSyncError(result.error, result.status, "reconcile");
    if (typeof result.data !== "string")
      throw new SyncError("unknown", { status: result.status, message: "the RPC returned no run id" });
    return result.data;
  }

  /**
   * The newest reconciliation runs (kind 'reconcile') with their period and counts, newest first.
   * @example const [latest] = await repo.listReconciliations(orgId, { integrationType: "xledger", limit: 1 });
   */
  async listReconciliations(
    orgId: string,
    options: { integrationType?: IntegrationType; limit?: number } = {},
  ): Promise<Reconciliation[]> {
    const result = await call(() => {
      let query = this.supabase
        .from("sync_run_log")
        .select(`${RUN_COLUMNS},progress`)
        .eq("org_id", orgId)
        .eq("kind", "reconcile");
      if (options.integrationType) query = query.eq("integration_type", options.integrationType);
      return query.order("triggered_at", { ascending: false }).limit(options.limit ?? 20);
    });
    return rows(result).map(reconciliationFromRow);
  }

  /**
   * Findings of reconciliations (admins and coordinators read them under RLS; others get none),
   * newest first; narrow by integration, run or status. Reads page by page past PostgREST's
   * 1,000-row cap, up to `limit` (default 10,000), so a run's findings come complete for the CSV.
   * @example const open = await repo.listReconciliationFindings(orgId, { runId, status: "open" });
   */
  async listReconciliationFindings(
    orgId: string,
    options: {
      integrationType?: IntegrationType;
      runId?: string;
      status?: FindingStatus;
      limit?: number;
    } = {},
  ): Promise<ReconciliationFinding[]> {
    const page = (from: number, to: number) => {
      let query = this.supabase.from("reconciliation_findings").select(FINDING_COLUMNS).eq("org_id", orgId);
      if (options.integrationType) query = query.eq("integration_type", options.integrationType);
      if (options.runId) query = query.eq("run_id", options.runId);
      if (options.status) query = query.eq("status", options.status);
      return query.order("found_at", { ascending: false }).order("id").range(from, to);
    };
    return (await allRows(page, options.limit ?? 10_000)).map(findingFromRow);
  }

  /**
   * Per month and account, our total against the accounting system's (the CSV report's rows), by
   * run, month, account and currency; paged like the findings (default limit 100,000).
   * @example const csv = reconciliationCsv(await repo.listReconciliationTotals(orgId, { runId }), findings);
   */
  async listReconciliationTotals(
    orgId: string,
    options: { integrationType?: IntegrationType; runId?: string; limit?: number } = {},
  ): Promise<ReconciliationTotal[]> {
    // Ordered by the primary key (run, month, account, currency) so pages neither overlap nor skip.
    const page = (from: number, to: number) => {
      let query = this.supabase.from("reconciliation_totals").select(TOTAL_COLUMNS).eq("org_id", orgId);
      if (options.integrationType) query = query.eq("integration_type", options.integrationType);
      if (options.runId) query = query.eq("run_id", options.runId);
      return query.order("run_id").order("period_month").order("account").order("currency").range(from, to);
    };
    return (await allRows(page, options.limit ?? 100_000)).map(totalFromRow);
  }

  /**
   * Re-queues a `missing` entry for export (`public.requeue_reconciliation_finding`): the next export
   * run looks it up by reference first and sends it only if it is still missing. Rejects with
   * `finding_not_found`, `finding_not_open`, `finding_not_requeueable` (not a `missing` finding),
   * `permission_denied` (`details.operation` `"finding"`).
   * @example await repo.requeueReconciliationFinding(orgId, finding.id);
   */
  async requeueReconciliationFinding(orgId: string, findingId: string): Promise<void> {
    const result = await call(() =>
      this.supabase.rpc("requeue_reconciliation_finding", { org_id: orgId, finding_id: findingId }),
    );
    if (result.error) throw toSyncError(result.error, result.status, "finding");
  }

  /**
   * Acknowledges a difference with a note of 1–500 characters (`public.acknowledge_reconciliation_finding`;
   * any kind but `missing`). Rejects with `invalid_note`, `finding_not_found`, `finding_not_open`,
   * `finding_not_acknowledgeable` (a `missing` finding is re-queued instead), `permission_denied`.
   * @example await repo.acknowledgeReconciliationFinding(orgId, finding.id, "Corrected by hand in BC on 2 Dec");
   */
  async acknowledgeReconciliationFinding(orgId: string, findingId: string, note: string): Promise<void> {
    const result = await call(() =>
      this.supabase.rpc("acknowledge_reconciliation_finding", {
        org_id: orgId,
        finding_id: findingId,
        note,
      }),
    );
    if (result.error) throw toSyncError(result.error, result.status, "finding");
  }
}
