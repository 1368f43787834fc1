import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "../../db/migrate.ts";
import { openPglite } from "../../db/pglite.ts";
import { openPostgres } from "../../db/postgres.ts";
import type { Db } from "../../db/types.ts";
import type { WorkerConfig } from "../../engine/config.ts";
import { createWorkerHandler, type WorkerHandler } from "../../engine/edge/workerHandler.ts";
import { pingIntegration } from "../../engine/health/pingIntegration.ts";
import type { EngineLogger } from "../../engine/observe/logger.ts";
import type { EngineMetrics } from "../../engine/observe/metrics.ts";
import { Worker } from "../../engine/run/worker.ts";
import { apiKeys, DEFAULT_JWT_SECRET, type Gateway, isLoopback, startGateway } from "../gateway/index.ts";
import { createSandboxApp, type SandboxApp, sandboxIntegrationSettings } from "../sandbox/index.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The demo integrations in supabase/seed.sql, pointed at the sandbox this stack serves. */
const DEMO_INTEGRATIONS = [
  { id: "e0000000-0000-4000-8000-000000000001", type: "xledger" },
  { id: "e0000000-0000-4000-8000-000000000002", type: "dynamics" },
  { id: "e0000000-0000-4000-8000-000000000003", type: "xledger" },
] as const;

export interface StackOptions {
  /** Default 54321 (Supabase's local API port); 0 picks a free one. */
  port?: number;
  /** Default 127.0.0.1. A non-loopback host needs a non-default JWT secret. */
  host?: string;
  /** PGlite data directory (default `.sync-scheduler` in the working directory); ignored with dbUrl. */
  dataDir?: string;
  /** Use this PostgreSQL instead of the embedded PGlite. */
  dbUrl?: string | undefined;
  /** In-memory PGlite (tests, benchmarks). */
  inMemory?: boolean;
  jwtSecret?: string;
  worker?: Partial<WorkerConfig>;
  log: EngineLogger;
  metrics?: EngineMetrics;
  /** The dashboard build to serve at `/` (default web/dist when it exists). */
  staticDir?: string;
}

export interface Stack {
  url: string;
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
    throw new Error(
      `refusing to listen on ${host} with the default JWT secret: anyone could mint tokens. Set SUPABASE_JWT_SECRET (32+ characters) or bind to 127.0.0.1.`,
    );
  }
  const log = options.log;
  let db: Db;
  if (options.dbUrl) {
    db = openPostgres({ connectionString: options.dbUrl, max: 12 });
  } else if (options.inMemory) {
    db = await openPglite();
  } else {
    const dataDir = options.dataDir ?? ".sync-scheduler";
    await mkdir(dataDir, { recursive: true });
    db = await openPglite({ dataDir: join(dataDir, "pgdata") });
  }
  const closers: Array<() => Promise<void>> = [() => db.close()];
  try {
    await migrate(db, { seed: true, log: (e) => log.info(e) });

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
    const gateway = await startGateway({
      db,
      host,
      port: options.port ?? 54321,
      jwtSecret,
      ...(existsSync(staticDir) ? { staticDir } : {}),
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

/** Config and credentials of the seeded demo integrations, for the sandbox at `url` (idempotent). */
async function pointDemoIntegrationsAt(db: Db, url: string): Promise<void> {
  const settings = sandboxIntegrationSettings(url);
  const { rows } = await db.query<{ ok: boolean }>(
    "select to_regprocedure('sync_engine.set_integration_credentials(uuid, jsonb)') is not null as ok",
  );
  for (const integration of DEMO_INTEGRATIONS) {
    const s = settings[integration.type];
    await db.query("update public.organization_integrations set config = $2 where id = $1", [
      integration.id,
      s.config,
    ]);
    if (rows[0]?.ok) {
      await db.query("select sync_engine.set_integration_credentials($1, $2)", [
        integration.id,
        s.credentials,
      ]);
    }
  }
}
