/**
 * The worker Edge Function (Deno): a thin entry point over the handler the local gateway serves too
 * (src/engine/edge/workerHandler.ts). `supabase functions deploy` uploads only supabase/functions/,
 * so the engine is imported from ../_shared/, generated from src/ by `npm run build:functions`
 * (same paths as under src/; CI fails when it is stale). Invoked by pg_net at enqueue with `{"run_id":…}` and by pg_cron
 * every minute with `{}` (sync_engine.install_serverless); answers 202 at once and works in the
 * background under EdgeRuntime.waitUntil.
 *
 * Environment (Supabase sets SUPABASE_DB_URL and SUPABASE_SERVICE_ROLE_KEY itself):
 *   SUPABASE_DB_URL            the database (direct or session-pooler URL; no LISTEN is used)
 *   SYNC_WORKER_SECRET         the bearer secret pg_net/pg_cron send (the dispatch token given to
 *                              install_serverless); the service-role key is accepted as well
 *   SYNC_EDGE_*                the wall-clock budget (src/engine/edge/budget.ts), e.g.
 *                              SYNC_EDGE_WALL_CLOCK_SECONDS=400 on paid plans
 *   LOG_LEVEL                  debug | info (default) | warn | error
 */
import { openPostgres } from "../_shared/db/postgres.ts";
import { edgeBudgetFromEnv } from "../_shared/engine/edge/budget.ts";
import { createWorkerHandler } from "../_shared/engine/edge/workerHandler.ts";
import { pingIntegration } from "../_shared/engine/health/pingIntegration.ts";
import { createJsonLogger, type LogLevel } from "../_shared/engine/observe/jsonLogger.ts";

const env = (name: string) => Deno.env.get(name);
const connectionString = env("SUPABASE_DB_URL") ?? env("DATABASE_URL");
if (!connectionString) throw new Error("sync-worker: SUPABASE_DB_URL is not set");

const budget = edgeBudgetFromEnv(env);
// The pool opens connections lazily: a cold start costs no database round trip until needed.
// concurrency + 2: one per executing run, plus heartbeats and the claim/scheduler queries.
const db = openPostgres({
  connectionString,
  max: budget.concurrency + 2,
  applicationName: "sync-worker-edge",
});

const handler = createWorkerHandler({
  db,
  secrets: [env("SYNC_WORKER_SECRET") ?? "", env("SUPABASE_SERVICE_ROLE_KEY") ?? ""],
  budget,
  ping: (integration, signal, onRequest) => pingIntegration(db, integration, signal, onRequest),
  log: createJsonLogger({ level: (env("LOG_LEVEL") as LogLevel | undefined) ?? "info" }),
});

Deno.serve(handler);
