import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { openDb } from "../../db/open.ts";
import type { Db } from "../../db/types.ts";

/** Where the embedded stack keeps its data. */
export interface StackDbOptions {
  /** PGlite data directory (default `.sync-scheduler` in the working directory); ignored with dbUrl. */
  dataDir?: string;
  /** Use this PostgreSQL instead of the embedded PGlite. */
  dbUrl?: string | undefined;
  /** In-memory PGlite (tests, benchmarks). */
  inMemory?: boolean;
}

/**
 * Opens the stack's database: a pool of 12 on the PostgreSQL at `dbUrl`, else PGlite in memory or
 * in `<dataDir>/pgdata`. A module of its own, light to load, so `sync-scheduler start` can open the
 * database before it loads the rest of the stack (src/cli/start.ts says why).
 * @example const db = await openStackDb({ dataDir: ".sync-scheduler" });
 */
export async function openStackDb(options: StackDbOptions): Promise<Db> {
  if (options.dbUrl || options.inMemory) return openDb({ dbUrl: options.dbUrl, poolSize: 12 });
  const root = options.dataDir ?? ".sync-scheduler";
  await mkdir(root, { recursive: true });
  return openDb({ dataDir: join(root, "pgdata") });
}
