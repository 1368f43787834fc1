import { PGlite } from "@electric-sql/pglite";
import { lazyPgcrypto } from "./pgliteLazyPgcrypto.ts";
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
  // Something alive on the event loop while PGlite starts. Its start awaits V8's WebAssembly
  // compilation, which libuv does not see: with nothing else pending (a CLI starting up) the
  // loop runs dry, and Node then blocks until every background compile task is done, including
  // the optimizing tier-up of the 9 MB module — 60–170 ms with the main thread idle (measured
  // with gdb in NodePlatform::DrainTasks). Kept alive, the start goes on in baseline code while
  // the tier-up finishes on the other core.
  const keepAlive = setInterval(() => {}, 60_000);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      extensions: { pgcrypto: lazyPgcrypto },
    });
  } finally {
    clearInterval(keepAlive);
  }
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
