import type { Db } from "../../../db/types.ts";
import { SWITCHABLE_ROLES } from "../requestContext.ts";
import type { Binding } from "./changes.ts";

/** A published table as the feed needs it. */
export interface TableInfo {
  schema: string;
  table: string;
  /** Every column in attnum order: `typname` for filters, `sqlType` (format_type) for casts. */
  columns: Array<{ name: string; typname: string; sqlType: string }>;
  /** Primary-key columns in key order, with their SQL types. */
  primaryKey: Array<{ name: string; sqlType: string }>;
  rls: boolean;
  published: boolean;
}

/** What one role may see of one table. */
export interface RoleView {
  /** Columns this role may SELECT, in attnum order. */
  columns: Array<{ name: string; type: string }>;
  bypassRls: boolean;
}

// Catalog facts change only with DDL; 30 s keeps a running gateway correct after a migration
// without a catalog query per change.
const CACHE_MS = 30_000;

/**
 * The catalog facts the change feed reads per table and per (role, table), cached for 30 s.
 * @example const info = await new FeedCatalog(db, log).tableInfo("public", "sync_run_log");
 */
export class FeedCatalog {
  private readonly tables = new Map<string, { at: number; info: TableInfo | null }>();
  private readonly roles = new Map<string, { at: number; view: RoleView | null }>();

  constructor(
    private readonly db: Db,
    private readonly log: (event: object) => void,
  ) {}

  /**
   * Why a binding cannot be served (table not in the `supabase_realtime` publication, unknown
   * filter column), in Realtime's words; null when it can.
   */
  async bindingError(b: Binding): Promise<string | null> {
    const params = `[event: ${b.event}, schema: ${b.schema}, table: ${b.table ?? "*"}, filters: [${b.filter ? `{${b.filter.column}, ${b.filter.op}, ${b.filter.values.join(",")}}` : ""}]]`;
    const fail = `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: ${params}`;
    if (b.table === undefined || b.table === "*") {
      const { rows } = await this.db.query<{ n: number }>(
        "select count(*)::int as n from pg_catalog.pg_publication_tables where pubname = 'supabase_realtime' and ($1 = '*' or schemaname = $1)",
        [b.schema],
      );
      return (rows[0]?.n ?? 0) > 0 ? null : fail;
    }
    const info = await this.tableInfo(b.schema, b.table);
    if (!info?.published) return fail;
    if (b.filter && !info.columns.some((c) => c.name === b.filter?.column)) return fail;
    return null;
  }

  /** The table's columns, key, RLS flag and publication membership; null when there is no such table. */
  async tableInfo(schema: string, table: string): Promise<TableInfo | null> {
    const key = `${schema}.${table}`;
    const hit = this.tables.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.info;
    const { rows } = await this.db.query<{
      attname: string;
      typname: string;
      sql_type: string;
      key_pos: number | null;
      rls: boolean;
      published: boolean;
    }>(
      `select a.attname, t.typname, pg_catalog.format_type(a.atttypid, a.atttypmod) as sql_type,
              pg_catalog.array_position(i.indkey::int2[], a.attnum) as key_pos,
              c.relrowsecurity as rls,
              exists (select from pg_catalog.pg_publication_tables p
                      where p.pubname = 'supabase_realtime' and p.schemaname = n.nspname and p.tablename = c.relname) as published
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       join pg_catalog.pg_type t on t.oid = a.atttypid
       left join pg_catalog.pg_index i on i.indrelid = c.oid and i.indisprimary
       where n.nspname = $1 and c.relname = $2
       order by a.attnum`,
      [schema, table],
    );
    const first = rows[0];
    const info: TableInfo | null = first
      ? {
          schema,
          table,
          columns: rows.map((r) => ({ name: r.attname, typname: r.typname, sqlType: r.sql_type })),
          primaryKey: rows
            .filter((r) => r.key_pos !== null)
            .sort((a, b) => (a.key_pos ?? 0) - (b.key_pos ?? 0))
            .map((r) => ({ name: r.attname, sqlType: r.sql_type })),
          rls: first.rls,
          published: first.published,
        }
      : null;
    this.tables.set(key, { at: Date.now(), info });
    return info;
  }

  /** The columns `role` may SELECT and whether it bypasses RLS; null for roles a token may not use. */
  async roleView(role: string, schema: string, table: string): Promise<RoleView | null> {
    const key = `${role}\u0000${schema}.${table}`;
    const hit = this.roles.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.view;
    let view: RoleView | null = null;
    // Only the roles a REST request may switch to receive changes: a token whose role claim
    // names a superuser (`postgres`) would otherwise count as bypassing RLS and get every
    // tenant's DELETEs.
    if (!SWITCHABLE_ROLES.has(role)) {
      this.roles.set(key, { at: Date.now(), view });
      return view;
    }
    try {
      const { rows } = await this.db.query<{ attname: string; typname: string; bypass: boolean }>(
        `select a.attname, t.typname, (r.rolbypassrls or r.rolsuper) as bypass
         from pg_catalog.pg_roles r
         cross join pg_catalog.pg_class c
         join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
         join pg_catalog.pg_type t on t.oid = a.atttypid
         where r.rolname = $1 and n.nspname = $2 and c.relname = $3
           and has_column_privilege(r.oid, c.oid, a.attnum, 'SELECT')
         order by a.attnum`,
        [role, schema, table],
      );
      view = {
        columns: rows.map((r) => ({ name: r.attname, type: r.typname })),
        bypassRls: rows[0]?.bypass === true,
      };
    } catch (error) {
      this.log({ event: "realtime_role_lookup_failed", role, error: String(error) });
    }
    this.roles.set(key, { at: Date.now(), view });
    return view;
  }
}
