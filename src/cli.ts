import { migrateCommand } from "./cli/migrate.ts";
import { sandboxCommand } from "./cli/sandbox.ts";
import { startCommand } from "./cli/start.ts";
import { workerCommand } from "./cli/worker.ts";

const usage = `Usage: sync-scheduler <command> [options]

Commands:
  start     Run the whole product locally (embedded PostgreSQL, gateway, worker, sandbox, dashboard)
            --port N (54321)  --host H (127.0.0.1)  --data-dir DIR (.sync-scheduler)  --db-url URL
            --jwt-secret S    (SUPABASE_JWT_SECRET; required for a non-loopback host)
  migrate   Apply the bootstrap and migrations to a database
            --db-url URL      PostgreSQL URL (default: $DATABASE_URL)
            --data-dir DIR    PGlite data directory instead of a URL
            --seed            also apply supabase/seed.sql (demo data)
  worker    Execute runs, tick the scheduler, monitor health (any number, on any machines)
            --db-url URL               (DATABASE_URL)
            --concurrency N            (SYNC_WORKER_CONCURRENCY, default 4)
            --lease-seconds S          (SYNC_LEASE_SECONDS, default 60)
            --heartbeat-seconds S      (SYNC_HEARTBEAT_SECONDS, default 15)
            --poll-seconds S           (SYNC_POLL_SECONDS, default 5)
            --metrics-port P           (SYNC_METRICS_PORT; serves /metrics and /healthz)
            --shutdown-grace-seconds S (SYNC_SHUTDOWN_GRACE_SECONDS, default 30)
  sandbox   Serve the fake Xledger and Business Central APIs (demo, tests)
            --port N (SYNC_SANDBOX_PORT, default 4010; 0 picks a free one)
            --host H (SYNC_SANDBOX_HOST, default 127.0.0.1)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "migrate":
      return migrateCommand(rest);
    case "worker":
      return workerCommand(rest);
    case "start":
      return startCommand(rest);
    case "sandbox":
      return sandboxCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(usage);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`sync-scheduler: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
