/**
 * The worker Edge Function's request handler (docs/architecture.md §5.5): ONE implementation, served by
 * `Deno.serve` on Supabase (supabase/functions/sync-worker/index.ts) and by the local gateway at
 * `/functions/v1/sync-worker` (src/local/stack/startStack.ts). Web-standard APIs only: nothing Node-only
 * may enter this module's import graph (the Deno test type-checks and runs it).
 *
 * Requests (POST, JSON body):
 *   `{"run_id":"…"}`    pg_net's dispatch at enqueue (sync_engine.dispatch_run). The id is a hint:
 *                       the claim takes the oldest due runs, which includes it unless another
 *                       worker already has it.
 *   `{"schedule_group":n}` the scheduler queued a group of due periods
 *                       (sync_engine.queue_due_schedule_groups): a dispatch without a run id; the
 *                       claim applies groups when it finds fewer due runs than it has room for.
 *   `{}`                pg_cron's sweep every minute (sync_engine.serverless_sweep): also runs the
 *                       health pings. Any other keys are ignored (Supabase's own cron examples
 *                       send `{"time": …}`).
 *   `{"warmup":true}`   or header `x-sync-warmup: 1`: boots the isolate and opens a database
 *                       connection; 200 at once, claims nothing.
 * Every request needs `Authorization: Bearer <secret>` (see {@link WorkerHandlerOptions.secrets});
 * else 401. Dispatches and sweeps answer 202 at once and work in the background (EdgeRuntime.waitUntil).
 */
import type { Db } from "../../db/types.ts";
import { type WorkerConfig, workerConfigSchema } from "../config.ts";
import type { PingIntegration } from "../health/healthMonitor.ts";
import { createJsonLogger } from "../observe/jsonLogger.ts";
import type { EngineLogger } from "../observe/logger.ts";
import { type EngineMetrics, noMetrics } from "../observe/metrics.ts";
import { createRunExecutor } from "../run/dispatch.ts";
import type { RunExecutor } from "../types.ts";
import { deadlinesFrom, type EdgeBudget, type EdgeBudgetInput, edgeBudgetSchema } from "./budget.ts";
import { EdgeSession, type SessionKind, type SessionSummary } from "./session.ts";

/** The header a warm-up may carry instead of the body. */
export const WARMUP_HEADER = "x-sync-warmup";
/** Bodies are tiny (`{"run_id":"…"}`); anything above this is refused unread beyond it. */
const BODY_LIMIT_BYTES = 16 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WorkerHandlerOptions {
  db: Db;
  /**
   * Accepted bearer tokens, compared in constant time. The Deno entry point accepts
   * `SYNC_WORKER_SECRET` (the dispatch token stored with sync_engine.install_serverless) and the
   * project's service-role key. Empty: every request is refused with 503 (fail closed).
   */
  secrets: readonly string[];
  /** Default: the export executor with the budget's send deadline. */
  executor?: RunExecutor;
  budget?: EdgeBudgetInput;
  /** Backoff, scheduler, drift and health settings (the Node worker's schema and defaults). */
  config?: Partial<WorkerConfig>;
  /**
   * What the wall clock is measured from. `"isolate"` (default, Supabase): the platform's limit is
   * per worker, so every deadline counts from isolate start. `"request"`: each session gets the
   * full budget (a long-lived Node process serving the same handler).
   */
  clock?: "isolate" | "request";
  /** Epoch ms the isolate started; default: derived from `performance.now()` at creation. */
  isolateStartedAt?: number;
  /** Health pings on sweeps; omit for none. */
  ping?: PingIntegration;
  /** Default: JSON lines on stdout, level `LOG_LEVEL`-style `info`. */
  log?: EngineLogger;
  metrics?: EngineMetrics;
  /**
   * Keeps background work alive after the response. Default: `EdgeRuntime.waitUntil` where it
   * exists (Supabase), else nothing: the promise simply runs on (Deno.serve, Node) and
   * {@link WorkerHandler.settled} lets tests await it.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Worker id prefix; default `edge`. */
  workerIdPrefix?: string;
  /** The scheduler's clock (tests). */
  now?: () => Date;
}

/** The handler plus what its host needs to await or stop its background work. */
export interface WorkerHandler {
  (req: Request): Promise<Response>;
  /** Resolves when every session started so far has ended (tests await it after a 202). */
  settled(): Promise<SessionSummary[]>;
  /** Stops claiming, releases what runs (after `graceMs`, without waiting for sends), and waits. */
  close(graceMs?: number): Promise<void>;
  readonly budget: EdgeBudget;
}

interface EdgeRuntimeGlobal {
  EdgeRuntime?: { waitUntil(promise: Promise<unknown>): void };
}

function defaultWaitUntil(): ((promise: Promise<unknown>) => void) | undefined {
  const runtime = (globalThis as EdgeRuntimeGlobal).EdgeRuntime;
  return runtime && typeof runtime.waitUntil === "function" ? (p) => runtime.waitUntil(p) : undefined;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Constant-time: both sides are hashed to 32 bytes first, so neither length nor prefix leaks. */
async function matchesAny(token: string, secrets: readonly Uint8Array[]): Promise<boolean> {
  const given = await sha256(token);
  let ok = false;
  for (const secret of secrets) {
    let diff = 0;
    for (let i = 0; i < given.length; i++) diff |= (given[i] ?? 0) ^ (secret[i] ?? 0);
    ok = ok || diff === 0;
  }
  return ok;
}

type Parsed =
  | { kind: "warmup" }
  | { kind: SessionKind; runId: string | null }
  | { kind: "invalid"; message: string };

async function parseRequest(req: Request): Promise<Parsed> {
  const text = await req.text();
  if (new TextEncoder().encode(text).length > BODY_LIMIT_BYTES)
    return { kind: "invalid", message: "Body too large." };
  const header = req.headers.get(WARMUP_HEADER);
  if (header !== null && header !== "" && header !== "0" && header.toLowerCase() !== "false")
    return { kind: "warmup" };
  if (text.trim() === "") return { kind: "sweep", runId: null };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: "invalid", message: "The body must be JSON." };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { kind: "invalid", message: "The body must be a JSON object." };
  const b = body as Record<string, unknown>;
  if (b.warmup === true) return { kind: "warmup" };
  if (b.schedule_group !== undefined) {
    if (!Number.isSafeInteger(b.schedule_group) || (b.schedule_group as number) < 1)
      return { kind: "invalid", message: "schedule_group must be a positive integer." };
    return { kind: "dispatch", runId: null };
  }
  if (b.run_id === undefined || b.run_id === null) return { kind: "sweep", runId: null };
  if (typeof b.run_id !== "string" || !UUID.test(b.run_id))
    return { kind: "invalid", message: "run_id must be a uuid." };
  return { kind: "dispatch", runId: b.run_id };
}

/**
 * Builds the worker Edge Function's handler. Create it once per isolate (module scope): it keeps
 * the isolate's state — whether the cold start was logged, and the session running in the
 * background, which later requests join instead of starting a second claimer.
 *
 * @example
 * // supabase/functions/sync-worker/index.ts
 * const handler = createWorkerHandler({ db: openPostgres({ connectionString }), secrets: [secret] });
 * Deno.serve(handler);
 */
export function createWorkerHandler(options: WorkerHandlerOptions): WorkerHandler {
  const budget = edgeBudgetSchema.parse(options.budget ?? {});
  const config = workerConfigSchema.parse(options.config ?? {});
  const executor =
    options.executor ??
    createRunExecutor({
      export: {
        sendDeadlineMs: budget.sendDeadlineSeconds * 1000,
        // One request may not eat the whole send deadline (a token fetch precedes a BC batch).
        adapter: { timeoutMs: Math.min(15_000, budget.sendDeadlineSeconds * 1000) },
      },
      reconcile: { adapter: { timeoutMs: Math.min(15_000, budget.sendDeadlineSeconds * 1000) } },
    });
  const clock = options.clock ?? "isolate";
  const isolateStartedAt = options.isolateStartedAt ?? Date.now() - performance.now();
  const isolateId = crypto.randomUUID().slice(0, 8);
  const log = (options.log ?? createJsonLogger()).child({ fn: "sync-worker", isolate: isolateId });
  const metrics = options.metrics ?? noMetrics;
  const waitUntil = options.waitUntil ?? defaultWaitUntil();
  const secrets = Promise.all(options.secrets.filter((s) => s !== "").map(sha256));
  const createdAt = Date.now();

  let requests = 0;
  let sessions = 0;
  let active: EdgeSession | null = null;
  const live = new Set<EdgeSession>();
  // The latest sessions' results, for settled(); bounded, as a Node gateway serves for days.
  const recent: Array<Promise<SessionSummary>> = [];
  const background = new Set<Promise<unknown>>();
  let closed = false;

  const keep = (promise: Promise<unknown>) => {
    const tracked = promise.catch(() => {}).finally(() => background.delete(tracked));
    background.add(tracked);
    waitUntil?.(tracked);
  };

  const handler = async (req: Request): Promise<Response> => {
    const receivedAt = Date.now();
    requests++;
    const cold = requests === 1;
    if (cold) {
      // The first request of an isolate is its cold start; performance.now() counts from isolate
      // boot under Deno, so isolate_age_ms ≈ boot + module load.
      log.info({
        event: "cold_start",
        isolate_age_ms: Math.round(receivedAt - isolateStartedAt),
        init_ms: receivedAt - createdAt,
      });
    }
    if (req.method !== "POST")
      return json(405, { code: "method_not_allowed", message: "Use POST." }, { allow: "POST" });
    const accepted = await secrets;
    if (accepted.length === 0) {
      log.error({ event: "edge_secret_missing" });
      return json(503, { code: "not_configured", message: "The worker function has no secret configured." });
    }
    const m = /^bearer\s+(\S+)$/i.exec(req.headers.get("authorization")?.trim() ?? "");
    if (!m?.[1] || !(await matchesAny(m[1], accepted))) {
      log.warn({ event: "edge_unauthorized" });
      return json(401, { code: "unauthorized", message: "A valid bearer secret is required." });
    }
    const parsed = await parseRequest(req);
    if (parsed.kind === "invalid") return json(400, { code: "invalid_request", message: parsed.message });
    if (parsed.kind === "warmup") {
      // Open a pooled connection now (TLS and auth are most of a first query's latency).
      keep(
        options.db.query("select 1").catch((error: unknown) => {
          log.warn({ event: "warmup_db_failed", error: String(error) });
        }),
      );
      log.info({ event: "warmup", cold: requests === 1 });
      return json(200, { warm: true, cold_start: requests === 1 });
    }
    if (closed) return json(503, { code: "shutting_down", message: "The worker is stopping." });

    log.info({ event: "edge_request", kind: parsed.kind, run_id: parsed.runId });
    if (cold) {
      // Real work paid for the boot (no warm-up came first): an incident, recorded as a row
      // (public.function_cold_starts, with the last warm-up sent for the run's integration), a
      // metric and a log line, so a team can see whether pre-warming helps.
      const isolateAgeMs = Math.round(receivedAt - isolateStartedAt);
      metrics.coldStart(parsed.kind);
      log.warn({
        event: "cold_start_incident",
        kind: parsed.kind,
        run_id: parsed.runId,
        isolate_age_ms: isolateAgeMs,
      });
      keep(
        options.db
          .query("select sync_engine.record_cold_start($1, $2, $3, $4)", [
            parsed.kind,
            parsed.runId ?? null,
            `${options.workerIdPrefix ?? "edge"}-${isolateId}`,
            isolateAgeMs,
          ])
          .catch((error: unknown) => log.warn({ event: "cold_start_record_failed", error: String(error) })),
      );
    }
    if (active?.claiming) {
      // One claimer per isolate: the running session claims again (it may have free slots).
      active.wake();
      return json(202, { accepted: true, kind: parsed.kind, worker_id: active.workerId, joined: true });
    }
    const deadlines = deadlinesFrom(budget, clock === "isolate" ? isolateStartedAt : receivedAt);
    if (receivedAt >= deadlines.claimUntil) {
      // An old isolate: too little wall clock left to start a run. The run stays pending; the
      // next sweep (a fresh isolate) takes it.
      log.warn({ event: "edge_budget_exhausted", kind: parsed.kind, run_id: parsed.runId });
      return json(202, { accepted: true, kind: parsed.kind, worker_id: null, deferred: true });
    }
    sessions++;
    const session = new EdgeSession({
      db: options.db,
      executor,
      workerId: `${options.workerIdPrefix ?? "edge"}-${isolateId}-${sessions}`,
      log,
      metrics,
      config,
      budget,
      deadlines,
      kind: parsed.kind,
      ping: options.ping,
      now: options.now,
    });
    active = session;
    live.add(session);
    recent.push(session.done);
    if (recent.length > 100) recent.shift();
    keep(
      session.done.finally(() => {
        live.delete(session);
        if (active === session) active = null;
      }),
    );
    return json(202, { accepted: true, kind: parsed.kind, worker_id: session.workerId, joined: false });
  };

  return Object.assign(handler, {
    budget,
    async settled(): Promise<SessionSummary[]> {
      // Sessions may start while we wait (a request arriving meanwhile): wait until none is left.
      while (background.size > 0) await Promise.all([...background]);
      return Promise.all(recent);
    },
    async close(graceMs = 5_000): Promise<void> {
      closed = true;
      await Promise.all([...live].map((session) => session.close(graceMs)));
      while (background.size > 0) await Promise.all([...background]);
    },
  });
}
