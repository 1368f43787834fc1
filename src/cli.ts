import { parseArgs } from "node:util";
import { z } from "zod";
import { describeIssues, flagOrEnv } from "./config/env.ts";
import { MigrationError, migrate } from "./db/migrate.ts";
import { openDb } from "./db/open.ts";

const usage = `Usage: sync-scheduler <command> [options]

Commands:
  start     Run the whole product locally (embedded PostgreSQL, gateway, worker, sandbox, dashboard)
  migrate   Apply the bootstrap and migrations to a database
            --db-url URL      PostgreSQL URL (default: $DATABASE_URL)
            --data-dir DIR    PGlite data directory instead of a URL
            --seed            also apply supabase/seed.sql (demo data)
`;

/** One JSON object per line on stdout: the log format every command uses. */
function logLine(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
}

const migrateOptions = z
  .object({
    "db-url": z.string().url().optional(),
    "data-dir": z.string().min(1).optional(),
    seed: z.boolean().default(false),
  })
  .refine((o) => o["db-url"] || o["data-dir"], {
    message: "needs a database: pass --db-url, set DATABASE_URL, or pass --data-dir for PGlite",
    path: ["db-url"],
  });

async function runMigrate(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { "db-url": { type: "string" }, "data-dir": { type: "string" }, seed: { type: "boolean" } },
  });
  const parsed = migrateOptions.safeParse({
    "db-url": flagOrEnv(values, "db-url", "DATABASE_URL"),
    "data-dir": values["data-dir"],
    seed: values.seed,
  });
  if (!parsed.success) {
    process.stderr.write(`sync-scheduler migrate: invalid options\n${describeIssues(parsed.error)}\n`);
    return 2;
  }
  const db = await openDb({ dbUrl: parsed.data["db-url"], dataDir: parsed.data["data-dir"], poolSize: 2 });
  try {
    const result = await migrate(db, { seed: parsed.data.seed, log: logLine });
    logLine({
      event: "migrate_done",
      applied: result.applied.length,
      already_applied: result.alreadyApplied.length,
    });
    return 0;
  } catch (error) {
    if (error instanceof MigrationError) {
      logLine({ event: "migrate_failed", file: error.file, code: error.code, message: error.message });
      process.stderr.write(
        `sync-scheduler migrate: ${error.message}\n(rolled back; nothing from this file was applied)\n`,
      );
      return 1;
    }
    throw error;
  } finally {
    await db.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "migrate":
      return runMigrate(rest);
    case "start":
      process.stdout.write(
        "sync-scheduler start: the embedded stack (gateway, worker, sandbox, dashboard) is not built yet.\n" +
          "Today you can run `npm test`, or `sync-scheduler migrate --db-url postgres://…` against PostgreSQL.\n",
      );
      return 0;
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
