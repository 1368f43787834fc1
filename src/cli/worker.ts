import { createServer } from "node:http";
import { z } from "zod";
import { type WorkerConfig, workerConfigSchema, workerEnv } from "../engine/config.ts";
import { createLogger } from "./log.ts";
import { type CommandSpec, parseCommand } from "./options.ts";

/** `sync-scheduler worker`: the connection, then every option of workerConfigSchema. */
export const workerSpec = {
  name: "worker",
  summary: "Execute runs, tick the scheduler, monitor health (any number, on any machines)",
  schemas: [
    z.object({ dbUrl: z.string().url().describe("PostgreSQL URL of the product's database") }),
    workerConfigSchema,
  ],
  env: { dbUrl: "DATABASE_URL", ...workerEnv },
} as const satisfies CommandSpec;

/**
 * `sync-scheduler worker [options]` (`--help` lists them): logs one JSON line per event on stdout;
 * exits 0 on SIGTERM/SIGINT after draining.
 */
export async function workerCommand(argv: string[]): Promise<number> {
  const options = parseCommand(workerSpec, argv);
  if (typeof options === "number") return options;
  const { dbUrl, ...workerOptions } = options;
  const config: WorkerConfig = workerOptions;

  const log = createLogger();
  // Loaded here, not at the top: src/cli.ts imports every command's module for its option spec,
  // and the other commands need none of this (pg and prom-client alone are ≈ 35 ms of module
  // loading each on a 2-core machine; `start` opens its database while it loads, src/cli/start.ts).
  const [{ openPostgres }, { createPromMetrics }, { Worker }, { pingIntegration }] = await Promise.all([
    import("../db/postgres.ts"),
    import("../engine/observe/promMetrics.ts"),
    import("../engine/run/worker.ts"),
    import("../engine/health/pingIntegration.ts"),
  ]);
  // Concurrency + heartbeat + sweep + scheduler + health: a few more connections than runs.
  const db = openPostgres({ connectionString: dbUrl, max: config.concurrency + 4 });
  const { metrics, registry } = createPromMetrics();
  const worker = new Worker({
    db,
    config,
    log,
    metrics,
    health: { ping: (integration, signal, onRequest) => pingIntegration(db, integration, signal, onRequest) },
  });

  let healthy = true;
  const server =
    config.metricsPort === undefined
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
    await new Promise<void>((resolve) => server.listen(config.metricsPort, "127.0.0.1", resolve));
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
