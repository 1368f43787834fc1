import { PGlite } from "@electric-sql/pglite";
import { pgcrypto } from "@electric-sql/pglite/contrib/pgcrypto";
import type { Db, Queryable, QueryResult } from "./types.ts";

export interface PgliteOptions {
  /** Directory to persist to; omit for an in-memory database. */
  dataDir?: string;
  /** A tarball from {@link dumpPglite} to start from (≈ 0.6 s, vs ≈ 3–4 s for a fresh cluster). */
  loadDataDir?: Blob | File;
}

function wrap(q: Pick<PGlite, "query" | "exec">): Queryable {
  return {
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      const r = await q.query<T>(sql, params as unknown[] | undefined);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await q.exec(sql);
    },
  };
}

/**
 * Opens an embedded PostgreSQL (PGlite, PostgreSQL 18 in WASM) with the extensions the
 * migrations use. PGlite has one connection: transactions and listeners share it.
 * @example const db = await openPglite({ dataDir: ".sync-scheduler/db" });
 */
export async function openPglite(options: PgliteOptions = {}): Promise<Db & { pglite: PGlite }> {
  const pglite = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    extensions: { pgcrypto },
  });
  const base = wrap(pglite);
  const db: Db & { pglite: PGlite } = {
    kind: "pglite",
    pglite,
    ...base,
    transaction: (fn) => pglite.transaction((tx) => fn(wrap(tx))),
    async listen(channel, onNotify) {
      const unsubscribe = await pglite.listen(channel, onNotify);
      return async () => unsubscribe();
    },
    sibling: () => ({ ...db, close: async () => {} }),
    close: () => pglite.close(),
  };
  return db;
}

/** Dumps a PGlite database to a tarball that {@link openPglite} can start from. */
export async function dumpPglite(db: Db & { pglite: PGlite }): Promise<Blob> {
  return db.pglite.dumpDataDir("none");
}
