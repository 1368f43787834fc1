// Deno (the worker Edge Function) takes the types from here; tsc reads @types/pg as usual.
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { type Db, pgError, type Queryable, type QueryResult } from "./types.ts";

export interface PostgresOptions {
  connectionString: string;
  /** Pool size; the worker's concurrency plus a couple for heartbeats and the sweep. Default 10. */
  max?: number;
  applicationName?: string;
  /** Close a connection idle this long (ms); 0 keeps it open. Default 10 s (node-postgres'). */
  idleTimeoutMillis?: number;
  /** statement_timeout for every session of the pool (PostgreSQL's syntax: "8s"); default the server's. */
  statementTimeout?: string;
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
    ...(options.idleTimeoutMillis !== undefined ? { idleTimeoutMillis: options.idleTimeoutMillis } : {}),
    // The session's own setting, made before the pool hands the connection out (pg-pool awaits
    // onConnect). A SET, not a startup parameter: poolers such as PgBouncer refuse startup
    // parameters they do not know.
    ...(options.statementTimeout !== undefined
      ? {
          onConnect: async (client: pg.ClientBase) => {
            await client.query(
              `set statement_timeout = ${pg.escapeLiteral(options.statementTimeout ?? "0")}`,
            );
          },
        }
      : {}),
  });
  // An idle client losing its connection (e.g. a PostgreSQL restart) must not crash the process;
  // the next checkout reconnects.
  pool.on("error", () => {});
  // pg-pool listens to a client's 'error' only while the client idles, or once while pool.query runs
  // on it; a dying connection (a PostgreSQL restart) can emit 'error' again after that listener is
  // spent, and an 'error' event with no listener ends the process (seen once in 25 kills + 1 restart
  // of the chaos suite: ECONNRESET out of record_exports). Every client keeps a listener for life;
  // the error still reaches the query that was running, through its rejection.
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  const base = wrap(pool);
  return {
    kind: "postgres",
    pool,
    ...base,
    async transaction(fn) {
      const client = await pool.connect();
      // pg-pool removes its error listener from a checked-out client; if the server goes away
      // while we hold it (a PostgreSQL restart), the client emits 'error' and, with no listener,
      // Node ends the process. The error still reaches us through the failing query.
      const onError = () => {};
      client.on("error", onError);
      let failure: unknown;
      try {
        await client.query("begin");
        const result = await fn(wrap(client));
        await client.query("commit");
        return result;
      } catch (error) {
        failure = error;
        await client.query("rollback").catch(() => {});
        throw error;
      } finally {
        client.off("error", onError);
        // A connection-level failure (no SQLSTATE, or class 08 / 57P: the server went away) leaves
        // the client broken: destroy it rather than pool it. An ordinary SQL error (a coded refusal
        // from an RPC, say) leaves a healthy connection that goes back to the pool.
        const code = pgError(failure)?.code;
        const broken = failure !== undefined && (code === undefined || /^(08|57P)/.test(code));
        client.release(
          broken ? (failure instanceof Error ? failure : new Error(String(failure))) : undefined,
        );
      }
    },
    async listen(channel, onNotify) {
      // A dedicated connection: LISTEN is per session, and a pooled client would lose it. When
      // the connection drops (PostgreSQL restart, network), it reconnects with backoff
      // (0.5 s doubling to 10 s); notifications sent meanwhile are lost, which is why workers
      // also poll.
      let stopped = false;
      let client: pg.Client | null = null;
      let delay = 500;
      const connect = async (): Promise<void> => {
        const c = new pg.Client({ connectionString: options.connectionString });
        c.on("notification", (n) => {
          if (n.channel === channel) onNotify(n.payload ?? "");
        });
        c.on("error", () => {});
        c.on("end", () => {
          // Only a connection that was up reconnects here; a failed connect retries in reconnect().
          if (stopped || client !== c) return;
          setTimeout(() => void reconnect(), delay).unref();
          delay = Math.min(delay * 2, 10_000);
        });
        await c.connect();
        await c.query(`listen ${pg.escapeIdentifier(channel)}`);
        client = c;
        delay = 500;
        // Wake the listener once: anything enqueued while disconnected is found by the caller's sweep.
        onNotify("");
      };
      const reconnect = async () => {
        if (stopped) return;
        try {
          await connect();
        } catch {
          setTimeout(() => void reconnect(), delay).unref();
          delay = Math.min(delay * 2, 10_000);
        }
      };
      await connect();
      return async () => {
        stopped = true;
        await client?.end().catch(() => {});
      };
    },
    sibling: (o) =>
      openPostgres({
        connectionString: options.connectionString,
        max: o.size,
        applicationName: o.applicationName,
        idleTimeoutMillis: 0,
        statementTimeout: o.statementTimeout,
      }),
    close: () => pool.end(),
  };
}
