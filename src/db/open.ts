import type { Db } from "./types.ts";

export interface OpenDbOptions {
  /** A PostgreSQL URL; when absent the embedded PGlite is used. */
  dbUrl?: string | undefined;
  /** PGlite data directory (ignored with dbUrl); omit for in-memory. */
  dataDir?: string | undefined;
  poolSize?: number | undefined;
}

/**
 * Opens PostgreSQL when a URL is given, else the embedded PGlite. Only the driver in use is
 * loaded: a CLI start on PGlite skips pg's ≈ 35 ms of module loading, one on PostgreSQL PGlite's.
 * @example const db = await openDb({ dbUrl: process.env.DATABASE_URL });
 */
export async function openDb(options: OpenDbOptions): Promise<Db> {
  if (options.dbUrl) {
    const { openPostgres } = await import("./postgres.ts");
    return openPostgres({
      connectionString: options.dbUrl,
      ...(options.poolSize ? { max: options.poolSize } : {}),
    });
  }
  const { openPglite } = await import("./pglite.ts");
  return openPglite(options.dataDir ? { dataDir: options.dataDir } : {});
}
