import { z } from "zod";
import { MigrationError, migrate } from "../db/migrate.ts";
import { openDb } from "../db/open.ts";
import { createLogger } from "./log.ts";
import { type CommandSpec, parseCommand } from "./options.ts";

/** `sync-scheduler migrate`: its options, their variables, defaults and help (see src/cli/options.ts). */
export const migrateSpec = {
  name: "migrate",
  summary: "Apply the bootstrap and migrations to a database",
  schemas: [
    z
      .object({
        dbUrl: z.string().url().optional().describe("PostgreSQL URL"),
        dataDir: z.string().min(1).optional().describe("PGlite data directory instead of a URL"),
        seed: z.boolean().default(false).describe("Also apply supabase/seed.sql (demo data)"),
      })
      .refine((o) => o.dbUrl || o.dataDir, {
        message: "needs a database: pass --db-url, set DATABASE_URL, or pass --data-dir for PGlite",
        path: ["dbUrl"],
      }),
  ],
  env: { dbUrl: "DATABASE_URL" },
} as const satisfies CommandSpec;

/** `sync-scheduler migrate [--db-url URL] [--data-dir DIR] [--seed]` */
export async function migrateCommand(argv: string[]): Promise<number> {
  const options = parseCommand(migrateSpec, argv);
  if (typeof options === "number") return options;
  const log = createLogger();
  const db = await openDb({ dbUrl: options.dbUrl, dataDir: options.dataDir, poolSize: 2 });
  try {
    const result = await migrate(db, { seed: options.seed, log: (e) => log.info(e) });
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
