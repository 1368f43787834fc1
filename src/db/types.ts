/** The result of one statement: rows as objects keyed by column name. */
export interface QueryResult<T> {
  rows: T[];
  /** Rows inserted, updated or deleted (or returned, for SELECT). */
  rowCount: number;
}

/** Anything that runs SQL: a database handle or an open transaction. */
export interface Queryable {
  /**
   * Runs one statement with `$1…$n` parameters (extended protocol).
   * @example const { rows } = await db.query<{ id: string }>("select id from public.organizations where name = $1", ["Demo Org"]);
   */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /**
   * Runs a script of several statements without parameters (simple protocol).
   * @example await db.exec("begin; select 1; commit;");
   */
  exec(sql: string): Promise<void>;
}

/**
 * The one database interface the project codes against. Implemented by PGlite (embedded,
 * default) and node-postgres (any PostgreSQL ≥ 15, Supabase included).
 */
export interface Db extends Queryable {
  readonly kind: "pglite" | "postgres";
  /**
   * Runs `fn` in a transaction on one connection; commits when it resolves, rolls back when it throws.
   * @example await db.transaction(async (tx) => { await tx.query("select 1"); });
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTENs on a channel; resolves to a function that stops listening.
   * @example const stop = await db.listen("sync_engine_wakeup", (payload) => console.log(payload));
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * A pool of its own on the same database, for work that must neither wait behind the shared
   * pool nor pay a fresh backend's start (the Realtime feed's checks): `size` connections, kept
   * open while idle, each with `statementTimeout` set for the session, so a statement needs no
   * transaction around it to be bounded. PGlite has one connection and does not enforce
   * statement_timeout: it answers with a handle on itself whose `close` does nothing.
   * @example const checks = db.sibling({ size: 2, statementTimeout: "8s", applicationName: "realtime" });
   */
  sibling(options: SiblingOptions): Db;
  /** Closes every connection. */
  close(): Promise<void>;
}

export interface SiblingOptions {
  size: number;
  /** In PostgreSQL's syntax, e.g. "8s". */
  statementTimeout: string;
  applicationName: string;
}

/** The fields PostgreSQL reports for an error; both drivers expose them under these names. */
export interface PgErrorFields {
  code: string;
  message: string;
  detail?: string | undefined;
  hint?: string | undefined;
}

/** Reads PostgreSQL's error fields from whatever a driver threw (`null` when it is not a database error). */
export function pgError(error: unknown): PgErrorFields | null {
  if (typeof error !== "object" || error === null) return null;
  const e = error as Record<string, unknown>;
  if (typeof e.code !== "string" || typeof e.message !== "string") return null;
  return {
    code: e.code,
    message: e.message,
    detail: typeof e.detail === "string" ? e.detail : undefined,
    hint: typeof e.hint === "string" ? e.hint : undefined,
  };
}

/**
 * True for a database error caused by the statement's data or a rule it broke (SQLSTATE classes
 * 09, 21, 22, 23, 27, 2F, 39, P0): retrying the same row fails the same way, so the engine parks
 * the row. Deadlocks, serialization failures, timeouts and lost connections are transient: false.
 * The same list as `sync_engine.is_row_error`.
 * @example if (isRowError(error)) await parkIntegration(db, id, error);
 */
export function isRowError(error: unknown): boolean {
  const code = pgError(error)?.code;
  return code !== undefined && ["09", "21", "22", "23", "27", "2F", "39", "P0"].includes(code.slice(0, 2));
}
