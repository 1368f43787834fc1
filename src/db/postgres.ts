import pg from "pg";
import type { Db, Queryable, QueryResult } from "./types.ts";

export interface PostgresOptions {
  connectionString: string;
  /** Pool size; the worker's concurrency plus a couple for heartbeats and the sweep. Default 10. */
  max?: number;
  applicationName?: string;
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      const r = await client.query(sql, params as unknown[] | undefined);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

/**
 * Opens a node-postgres pool against any PostgreSQL ≥ 15 (plain, or Supabase's direct/session
 * connection string).
 * @example const db = openPostgres({ connectionString: process.env.DATABASE_URL! });
 */
export function openPostgres(options: PostgresOptions): Db & { pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "sync-scheduler",
  });
  // An idle client losing its connection (e.g. a PostgreSQL restart) must not crash the process;
  // the next checkout reconnects.
  pool.on("error", () => {});
  const base = wrap(pool);
  return {
    kind: "postgres",
    pool,
    ...base,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("begin");
        const result = await fn(wrap(client));
        await client.query("commit");
        return result;
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify) {
      // A dedicated connection: LISTEN is per session, and a pooled client would lose it.
      const client = new pg.Client({ connectionString: options.connectionString });
      client.on("error", () => {});
      await client.connect();
      client.on("notification", (n) => {
        if (n.channel === channel) onNotify(n.payload ?? "");
      });
      await client.query(`listen ${pg.escapeIdentifier(channel)}`);
      return async () => {
        await client.end().catch(() => {});
      };
    },
    close: () => pool.end(),
  };
}
