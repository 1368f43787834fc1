import { parseArgs } from "node:util";
import { z } from "zod";
import { describeIssues, flagOrEnv } from "../config/env.ts";
import { MigrationError, migrate } from "../db/migrate.ts";
import { openDb } from "../db/open.ts";
import { createLogger } from "./log.ts";

const options = z
  .object({
    "db-url": z.string().url().optional(),
    "data-dir": z.string().min(1).optional(),
    seed: z.boolean().default(false),
  })
  .refine((o) => o["db-url"] || o["data-dir"], {
    message: "needs a database: pass --db-url, set DATABASE_URL, or pass --data-dir for PGlite",
    path: ["db-url"],
  });

/** `sync-scheduler migrate [--db-url URL] [--data-dir DIR] [--seed]` */
export async function migrateCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { "db-url": { type: "string" }, "data-dir": { type: "string" }, seed: { type: "boolean" } },
  });
  const parsed = options.safeParse({
    "db-url": flagOrEnv(values, "db-url", "DATABASE_URL"),
    "data-dir": values["data-dir"],
    seed: values.seed,
  });
  if (!parsed.success) {
    process.stderr.write(`sync-scheduler migrate: invalid options\n${describeIssues(parsed.error)}\n`);
    return 2;
  }
  const log = createLogger();
  const db = await openDb({ dbUrl: parsed.data["db-url"], dataDir: parsed.data["data-dir"], poolSize: 2 });
  try {
    const result = await migrate(db, { seed: parsed.data.seed, log: (e) => log.info(e) });
    log.info({
      event: "migrate_done",
      applied: result.applied.length,
      already_applied: result.alreadyApplied.length,
    });
    return 0;
  } catch (error) {
    if (error instanceof MigrationError) {
      log.error({ event: "migrate_failed", file: error.file, code: error.code, message: error.message });
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
