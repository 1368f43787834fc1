import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { z } from "zod";
import { describeIssues, flagOrEnv } from "../config/env.ts";
import { openPostgres } from "../db/postgres.ts";
import { type WorkerConfig, workerConfigSchema, workerEnv } from "../engine/config.ts";
import { pingIntegration } from "../engine/health/pingIntegration.ts";
import { createPromMetrics } from "../engine/observe/promMetrics.ts";
import { Worker } from "../engine/run/worker.ts";
import { createLogger } from "./log.ts";

const flagNames: Record<string, keyof WorkerConfig> = {
  concurrency: "concurrency",
  "lease-seconds": "leaseSeconds",
  "heartbeat-seconds": "heartbeatSeconds",
  "poll-seconds": "pollSeconds",
  "metrics-port": "metricsPort",
  "shutdown-grace-seconds": "shutdownGraceSeconds",
  "scheduler-seconds": "schedulerSeconds",
  "drift-alert-seconds": "driftAlertSeconds",
  "retention-days": "retentionDays",
  "alert-retention-days": "alertRetentionDays",
  "health-retention-days": "healthRetentionDays",
  "backoff-base-seconds": "backoffBaseSeconds",
  "backoff-cap-seconds": "backoffCapSeconds",
  "health-interval-seconds": "healthIntervalSeconds",
  "health-ping-share": "healthPingShare",
  "health-quiet-seconds": "healthQuietSeconds",
  "send-deadline-seconds": "sendDeadlineSeconds",
  "notify-seconds": "notifySeconds",
  "notify-backoff-base-seconds": "notifyBackoffBaseSeconds",
};

/**
 * `sync-scheduler worker [--db-url URL] [--concurrency N] [--lease-seconds S] [--heartbeat-seconds S]
 * [--poll-seconds S] [--metrics-port P]` — each flag also as an environment variable
 * (SYNC_WORKER_CONCURRENCY, SYNC_LEASE_SECONDS, …). Logs one JSON line per event on stdout; exits 0
 * on SIGTERM/SIGINT after draining.
 */
export async function workerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "db-url": { type: "string" },
      ...Object.fromEntries(Object.keys(flagNames).map((f) => [f, { type: "string" as const }])),
    },
  });
  const raw: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(flagNames)) {
    const value = flagOrEnv(values, flag, workerEnv[key]);
    if (value !== undefined) raw[key] = value;
  }
  const dbUrl = z
    .string()
    .url()
    .safeParse(flagOrEnv(values, "db-url", "DATABASE_URL"));
  const config = workerConfigSchema.safeParse(raw);
  if (!dbUrl.success || !config.success) {
    const problems = [
      ...(dbUrl.success ? [] : ["  --db-url: a PostgreSQL URL is required (or set DATABASE_URL)"]),
      ...(config.success ? [] : [describeIssues(config.error)]),
    ];
    process.stderr.write(`sync-scheduler worker: invalid options\n${problems.join("\n")}\n`);
    return 2;
  }

  const log = createLogger();
  // Concurrency + heartbeat + sweep + scheduler + health: a few more connections than runs.
  const db = openPostgres({ connectionString: dbUrl.data, max: config.data.concurrency + 4 });
  const { metrics, registry } = createPromMetrics();
  const worker = new Worker({
    db,
    config: config.data,
    log,
    metrics,
    health: { ping: (integration, signal, onRequest) => pingIntegration(db, integration, signal, onRequest) },
  });

  let healthy = true;
  const server =
    config.data.metricsPort === undefined
      ? null
      : createServer(async (req, res) => {
          if (req.url === "/metrics") {
            res.writeHead(200, { "content-type": registry.contentType });
            res.end(await registry.metrics());
          } else if (req.url === "/healthz") {
            const ok =
              healthy &&
              (await db.query("select 1").then(
                () => true,
                () => false,
              ));
            res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
            res.end(JSON.stringify({ ok, worker_id: worker.id, in_flight: worker.inFlight }));
          } else {
            res.writeHead(404).end();
          }
        });
  if (server) {
    await new Promise<void>((resolve) => server.listen(config.data.metricsPort, "127.0.0.1", resolve));
    const address = server.address();
    log.info({ event: "metrics_listening", port: typeof address === "object" ? address?.port : address });
  }

  await worker.start();
  // The Worker's timers are unref'd (a library must not keep its host alive), so with the
  // database gone — every pooled socket closed during a PostgreSQL restart — the event loop could
  // empty and Node would end the process (exit 13, an unsettled top-level await; seen in the
  // chaos suite). The command itself keeps the process alive until a signal.
  const keepAlive = setInterval(() => {}, 60_000);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ event: "shutdown_requested", signal });
      resolve();
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
  healthy = false;
  clearInterval(keepAlive);
  await worker.stop();
  server?.close();
  await db.close();
  log.info({ event: "worker_exited" });
  return 0;
}
