import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";
import type { Db } from "./types.ts";

export interface OpenDbOptions {
  /** A PostgreSQL URL; when absent the embedded PGlite is used. */
  dbUrl?: string | undefined;
  /** PGlite data directory (ignored with dbUrl); omit for in-memory. */
  dataDir?: string | undefined;
  poolSize?: number | undefined;
}

/**
 * Opens PostgreSQL when a URL is given, else the embedded PGlite.
 * @example const db = await openDb({ dbUrl: process.env.DATABASE_URL });
 */
export async function openDb(options: OpenDbOptions): Promise<Db> {
  if (options.dbUrl) {
    return openPostgres({
      connectionString: options.dbUrl,
      ...(options.poolSize ? { max: options.poolSize } : {}),
    });
  }
  return openPglite(options.dataDir ? { dataDir: options.dataDir } : {});
}
