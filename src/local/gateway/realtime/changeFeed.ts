import type { Db } from "../../../db/types.ts";
import type { JwtClaims } from "../jwt.ts";
import { CHANGE_CHANNEL } from "../localSql.ts";
import { SWITCHABLE_ROLES, withRequestContext } from "../requestContext.ts";
import { quoteIdent } from "../rest/catalog.ts";
import { type ChangeFilter, matchesChangeFilter } from "./filters.ts";

export type ChangeEvent = "INSERT" | "UPDATE" | "DELETE";

/** One `postgres_changes` binding of a joined channel, with the id echoed in the join reply. */
export interface Binding {
  id: number;
  event: ChangeEvent | "*";
  schema: string;
  table?: string | undefined;
  filter?: ChangeFilter | undefined;
}

/** The `data` of a Realtime change event (supabase/realtime `Realtime.Adapters.Changes`). */
export interface ChangeData {
  schema: string;
  table: string;
  commit_timestamp: string;
  type: ChangeEvent;
  columns: Array<{ name: string; type: string }>;
  record?: Record<string, unknown>;
  old_record?: Record<string, unknown>;
  errors: null;
}

/** A joined channel's interest in changes; identity is read at delivery time (access_token updates it). */
export interface ChangeSubscription {
  identity(): { role: string; claims: JwtClaims };
  bindings: Binding[];
  deliver(ids: number[], data: ChangeData): void;
}

/** What the capture trigger sends (sql/realtime-capture.sql). */
interface Notification {
  type: ChangeEvent;
  schema: string;
  table: string;
  commit_timestamp: string;
  pk: Record<string, unknown>;
  old_record: Record<string, unknown> | null;
  record?: Record<string, unknown> | null;
  record_omitted?: boolean;
}

interface TableInfo {
  columns: Array<{ name: string; typname: string }>;
  primaryKey: string[];
  rls: boolean;
  published: boolean;
}

interface RoleView {
  /** Columns this role may SELECT, in attnum order. */
  columns: Array<{ name: string; type: string }>;
  bypassRls: boolean;
}

// Catalog facts change only with DDL; 30 s keeps a running gateway correct after a migration
// without a catalog query per change.
const CACHE_MS = 30_000;
// A burst larger than this (e.g. a bulk UPDATE of 10k rows) is shed rather than queued without bound.
const MAX_PENDING = 10_000;

function parseNotification(text: string): Notification | null {
  try {
    const v = JSON.parse(text) as Partial<Notification>;
    if (
      (v.type === "INSERT" || v.type === "UPDATE" || v.type === "DELETE") &&
      typeof v.schema === "string" &&
      typeof v.table === "string" &&
      typeof v.commit_timestamp === "string" &&
      typeof v.pk === "object" &&
      v.pk !== null
    ) {
      return v as Notification;
    }
  } catch {
    // fall through
  }
  return null;
}

const identityKey = (role: string, claims: JwtClaims) => `${role}\u0000${JSON.stringify(claims)}`;

/**
 * Delivers captured row changes to subscribers, each change only to the subscribers whose own
 * role and claims can SELECT the row under RLS: one `select exists(… where pk = …)` per distinct
 * identity, in a transaction set up exactly like a PostgREST request (Realtime's `apply_rls`
 * does the same per `claims_role`). DELETEs are delivered only to identities that bypass RLS
 * (or for tables without RLS): a deleted row can no longer be checked, and unlike Supabase we do
 * not hand its key to everyone.
 * @example const feed = new ChangeFeed(db, log); await feed.start(); const stop = feed.subscribe(sub);
 */
export class ChangeFeed {
  private readonly subscriptions = new Set<ChangeSubscription>();
  private readonly tables = new Map<string, { at: number; info: TableInfo | null }>();
  private readonly roles = new Map<string, { at: number; view: RoleView | null }>();
  private unlisten: (() => Promise<void>) | null = null;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly log: (event: object) => void,
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.db.listen(CHANGE_CHANNEL, (payload) => this.enqueue(payload));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.subscriptions.clear();
    await this.unlisten?.();
    this.unlisten = null;
    await this.chain;
  }

  subscribe(sub: ChangeSubscription): () => void {
    this.subscriptions.add(sub);
    return () => {
      this.subscriptions.delete(sub);
    };
  }

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

  private enqueue(payload: string): void {
    if (this.stopped) return;
    if (this.pending >= MAX_PENDING) {
      this.log({ event: "realtime_change_dropped", reason: "backlog", pending: this.pending });
      return;
    }
    this.pending++;
    this.chain = this.chain
      .then(() => this.process(payload))
      .catch((error: unknown) => this.log({ event: "realtime_change_failed", error: String(error) }))
      .finally(() => {
        this.pending--;
      });
  }

  private async tableInfo(schema: string, table: string): Promise<TableInfo | null> {
    const key = `${schema}.${table}`;
    const hit = this.tables.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.info;
    const { rows } = await this.db.query<{
      attname: string;
      typname: string;
      is_pk: boolean;
      rls: boolean;
      published: boolean;
    }>(
      `select a.attname, t.typname, coalesce(a.attnum = any (i.indkey::int2[]), false) as is_pk,
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
          columns: rows.map((r) => ({ name: r.attname, typname: r.typname })),
          primaryKey: rows.filter((r) => r.is_pk).map((r) => r.attname),
          rls: first.rls,
          published: first.published,
        }
      : null;
    this.tables.set(key, { at: Date.now(), info });
    return info;
  }

  private async roleView(role: string, schema: string, table: string): Promise<RoleView | null> {
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

  private async process(text: string): Promise<void> {
    const n = parseNotification(text);
    if (!n) return this.log({ event: "realtime_notification_invalid" });
    const interested = [...this.subscriptions].filter((s) =>
      s.bindings.some(
        (b) =>
          (b.event === "*" || b.event === n.type) &&
          (b.schema === "*" || b.schema === n.schema) &&
          (b.table === undefined || b.table === "*" || b.table === n.table),
      ),
    );
    if (interested.length === 0) return;
    const info = await this.tableInfo(n.schema, n.table);
    if (!info || info.primaryKey.length === 0) return;

    let record = n.type === "DELETE" ? null : (n.record ?? null);
    const pkWhere = info.primaryKey.map((c, i) => `${quoteIdent(c)} = $${i + 1}`).join(" and ");
    const pkValues = info.primaryKey.map((c) => {
      const v = n.pk[c];
      return typeof v === "string" || v === null ? v : JSON.stringify(v);
    });
    const from = `${quoteIdent(n.schema)}.${quoteIdent(n.table)}`;
    if (n.type !== "DELETE" && !record) {
      // Too large for NOTIFY: re-read by key (as the owner), so this is the row's latest state.
      const { rows } = await this.db.query<{ r: Record<string, unknown> }>(
        `select to_jsonb(t) as r from ${from} t where ${pkWhere}`,
        pkValues,
      );
      record = rows[0]?.r ?? null;
      if (!record) return;
    }
    const typnameOf = (col: string) => info.columns.find((c) => c.name === col)?.typname ?? "text";

    // Which bindings of each subscription match, by event and filter (DELETEs are not filterable in Realtime).
    const matched = new Map<ChangeSubscription, number[]>();
    for (const s of interested) {
      const ids = s.bindings
        .filter(
          (b) =>
            (b.event === "*" || b.event === n.type) &&
            (b.schema === "*" || b.schema === n.schema) &&
            (b.table === undefined || b.table === "*" || b.table === n.table) &&
            (!b.filter ||
              (record !== null && matchesChangeFilter(b.filter, record, typnameOf(b.filter.column)))),
        )
        .map((b) => b.id);
      if (ids.length > 0) matched.set(s, [...new Set(ids)]);
    }
    if (matched.size === 0) return;

    // One visibility check per distinct identity, however many channels share it.
    const groups = new Map<string, { role: string; claims: JwtClaims; subs: ChangeSubscription[] }>();
    for (const s of matched.keys()) {
      const { role, claims } = s.identity();
      const key = identityKey(role, claims);
      const g = groups.get(key) ?? { role, claims, subs: [] };
      g.subs.push(s);
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      const view = await this.roleView(g.role, n.schema, n.table);
      if (!view || !info.primaryKey.every((c) => view.columns.some((v) => v.name === c))) continue;
      let visible: boolean;
      if (n.type === "DELETE") {
        visible = view.bypassRls || !info.rls;
      } else {
        visible = await this.canSelect(g.role, g.claims, from, pkWhere, pkValues);
      }
      if (!visible) continue;
      const pick = (row: Record<string, unknown> | null | undefined) => {
        const out: Record<string, unknown> = {};
        if (row) for (const c of view.columns) if (c.name in row) out[c.name] = row[c.name];
        return out;
      };
      const data: ChangeData = {
        schema: n.schema,
        table: n.table,
        commit_timestamp: n.commit_timestamp,
        type: n.type,
        columns: view.columns,
        ...(n.type !== "DELETE" ? { record: pick(record) } : {}),
        ...(n.type !== "INSERT" ? { old_record: pick(n.old_record) } : {}),
        errors: null,
      };
      for (const s of g.subs) s.deliver(matched.get(s) ?? [], data);
    }
  }

  private async canSelect(
    role: string,
    claims: JwtClaims,
    from: string,
    pkWhere: string,
    pkValues: unknown[],
  ): Promise<boolean> {
    try {
      return await withRequestContext(this.db, { role, claims, readOnly: true }, async (tx) => {
        const { rows } = await tx.query<{ visible: boolean }>(
          `select exists (select 1 from ${from} where ${pkWhere}) as visible`,
          pkValues,
        );
        return rows[0]?.visible === true;
      });
    } catch (error) {
      // A role without SELECT, a policy that raises: not visible, as Realtime reports no row.
      this.log({ event: "realtime_rls_check_failed", role, error: String(error) });
      return false;
    }
  }
}
