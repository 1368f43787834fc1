import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { applySeed, migrate } from "../../db/migrate.ts";
import type { Db } from "../../db/types.ts";
import type { WorkerConfig } from "../../engine/config.ts";
import { createWorkerHandler, type WorkerHandler } from "../../engine/edge/workerHandler.ts";
import { pingIntegration } from "../../engine/health/pingIntegration.ts";
import type { EngineLogger } from "../../engine/observe/logger.ts";
import type { EngineMetrics } from "../../engine/observe/metrics.ts";
import { Worker } from "../../engine/run/worker.ts";
import { apiKeys, DEFAULT_JWT_SECRET, type Gateway, isLoopback, startGateway } from "../gateway/index.ts";
import { createSandboxApp, type SandboxApp, sandboxIntegrationSettings } from "../sandbox/index.ts";
import { openStackDb, type StackDbOptions } from "./stackDb.ts";

// Three levels up from src/local/stack (a checkout) and from dist/local/stack (the package).
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The demo organization in supabase/seed.sql. */
const DEMO_ORG_ID = "d0000000-0000-4000-8000-000000000001";

/** The demo integrations in supabase/seed.sql, pointed at the sandbox this stack serves. */
const DEMO_INTEGRATIONS = [
  { id: "e0000000-0000-4000-8000-000000000001", type: "xledger" },
  { id: "e0000000-0000-4000-8000-000000000002", type: "dynamics" },
  { id: "e0000000-0000-4000-8000-000000000003", type: "xledger" },
] as const;

export interface StackOptions extends StackDbOptions {
  /** Default 54321 (Supabase's local API port); 0 picks a free one. */
  port?: number;
  /** Default 127.0.0.1. A non-loopback host needs a non-default JWT secret. */
  host?: string;
  /** The database, already opened by {@link openStackDb} from these options; the stack closes it. */
  db?: Db;
  jwtSecret?: string;
  worker?: Partial<WorkerConfig>;
  log: EngineLogger;
  metrics?: EngineMetrics;
  /** The dashboard build to serve at `/` (default web/dist: `npm run build:web` writes it, the package ships it). */
  staticDir?: string;
}

export interface Stack {
  url: string;
  /** Whether `/` serves the dashboard (false when there is no build: see StackOptions.staticDir). */
  dashboard: boolean;
  anonKey: string;
  serviceRoleKey: string;
  db: Db;
  gateway: Gateway;
  worker: Worker;
  sandbox: SandboxApp;
  /** The worker Edge Function's handler, served at `/functions/v1/sync-worker` (bearer: the service-role key). */
  edgeWorker: WorkerHandler;
  close(): Promise<void>;
}

/**
 * The whole product in one process: database (PGlite by default), migrations + seed, the
 * Supabase-compatible gateway with the sandbox accounting servers mounted on the same port, the
 * worker with its scheduler and health monitor, and the dashboard.
 * @example const stack = await startStack({ port: 0, inMemory: true, log: silentLogger });
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const host = options.host ?? "127.0.0.1";
  const jwtSecret = options.jwtSecret ?? DEFAULT_JWT_SECRET;
  if (!isLoopback(host) && jwtSecret === DEFAULT_JWT_SECRET) {
    await options.db?.close();
    throw new Error(
      `refusing to listen on ${host} with the default JWT secret: anyone could mint tokens. Set SUPABASE_JWT_SECRET (32+ characters) or bind to 127.0.0.1.`,
    );
  }
  const log = options.log;
  const db = options.db ?? (await openStackDb(options));
  const closers: Array<() => Promise<void>> = [() => db.close()];
  try {
    const migrated = await migrate(db, { log: (e) => log.info(e) });
    // Seed a new or upgraded database, or one whose demo org is gone — not every warm start:
    // re-running seed.sql (idempotent) was a quarter of a warm start's database work (≈ 360 of
    // 1,400 ms, measured on a loaded 2-core machine; docs/benchmarks.md §7 has the start times).
    if (migrated.applied.length > 0 || !(await hasDemoOrg(db))) {
      await applySeed(db, { log: (e) => log.info(e) });
    }

    const sandbox = createSandboxApp();
    // The same handler the Supabase Edge Function serves (supabase/functions/sync-worker), so the
    // local gateway answers /functions/v1/sync-worker like a project would. Its secret is the
    // service-role key: a JWT, so the gateway's verify_jwt passes it, and the handler refuses
    // every other token (the anon key included). Wall clock per request: this process is long-lived.
    const keys = await apiKeys(jwtSecret);
    const edgeWorker = createWorkerHandler({
      db,
      secrets: [keys.serviceRoleKey],
      clock: "request",
      log,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.worker ? { config: options.worker } : {}),
      ping: (integration, signal, onRequest) => pingIntegration(db, integration, signal, onRequest),
    });
    let origin = "";
    const staticDir = options.staticDir ?? join(repoRoot, "web", "dist");
    // Serve only a real build: a missing or half-written web/dist would answer `/` with 404.
    const dashboard = existsSync(join(staticDir, "index.html"));
    const gateway = await startGateway({
      db,
      host,
      port: options.port ?? 54321,
      jwtSecret,
      ...(dashboard ? { staticDir } : {}),
      functions: { "sync-worker": edgeWorker },
      extraHandler: (req, res) => {
        // The dashboard reads its anon key here, so a custom JWT secret needs no rebuild.
        if (req.method === "GET" && req.url === "/config.json") {
          res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
          res.end(JSON.stringify({ anonKey: keys.anonKey }));
          return true;
        }
        return sandbox.handle(req, res, origin);
      },
      logger: (e) => log.info(e),
    });
    origin = gateway.url;
    closers.unshift(async () => {
      sandbox.abort();
      await gateway.close();
    });
    closers.unshift(() => edgeWorker.close());
    await pointDemoIntegrationsAt(db, gateway.url);

    const worker = new Worker({
      db,
      config: options.worker ?? {},
      log,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      health: {
        ping: (integration, signal, onRequest) => pingIntegration(db, integration, signal, onRequest),
      },
    });
    await worker.start();
    closers.unshift(() => worker.stop(5));

    return {
      url: gateway.url,
      dashboard,
      anonKey: gateway.anonKey,
      serviceRoleKey: gateway.serviceRoleKey,
      db,
      gateway,
      worker,
      sandbox,
      edgeWorker,
      async close() {
        for (const close of closers.splice(0)) await close();
      },
    };
  } catch (error) {
    for (const close of closers.splice(0)) await close().catch(() => {});
    throw error;
  }
}

/** Whether supabase/seed.sql's demo organization exists (the schema is migrated by now). */
async function hasDemoOrg(db: Db): Promise<boolean> {
  const { rows } = await db.query("select 1 from public.organizations where id = $1", [DEMO_ORG_ID]);
  return rows.length > 0;
}

/** Config and credentials of the seeded demo integrations, for the sandbox at `url` (idempotent). */
async function pointDemoIntegrationsAt(db: Db, url: string): Promise<void> {
  const settings = sandboxIntegrationSettings(url);
  const { rows } = await db.query<{ ok: boolean }>(
    "select to_regprocedure('sync_engine.set_integration_credentials(uuid, jsonb)') is not null as ok",
  );
  for (const integration of DEMO_INTEGRATIONS) {
    const s = settings[integration.type];
    // Unchanged on a restart on the same port: no write, and no validation trigger to run.
    await db.query(
      "update public.organization_integrations set config = $2 where id = $1 and config is distinct from $2",
      [integration.id, s.config],
    );
    if (rows[0]?.ok) {
      await db.query("select sync_engine.set_integration_credentials($1, $2)", [
        integration.id,
        s.credentials,
      ]);
    }
  }
}
