import type { Queryable } from "../../../db/types.ts";

/** An input parameter of a function, from pg_proc. */
export interface RoutineParam {
  name: string;
  /** `format_type` of the parameter type: safe to splice into SQL (it comes from the catalog). */
  type: string;
  required: boolean;
  /** A VARIADIC parameter: named notation needs the keyword. */
  variadic: boolean;
}

/** A function as PostgREST's schema cache sees it. */
export interface Routine {
  schema: string;
  name: string;
  params: RoutineParam[];
  returnsSet: boolean;
  returnsVoid: boolean;
  /** Composite or `returns table`: rows become JSON objects. */
  returnsComposite: boolean;
  /** 'v' volatile, 's' stable, 'i' immutable. */
  volatility: "v" | "s" | "i";
}

interface RoutineRow {
  proname: string;
  provolatile: "v" | "s" | "i";
  proretset: boolean;
  returns_void: boolean;
  returns_composite: boolean;
  pronargdefaults: number;
  argnames: string[] | null;
  argmodes: string[] | null;
  argtypes: string[];
}

/**
 * Every overload of `schema.name`, with input parameters in declaration order.
 * @example const routines = await findRoutines(db, "public", "trigger_integration_sync");
 */
export async function findRoutines(q: Queryable, schema: string, name: string): Promise<Routine[]> {
  const { rows } = await q.query<RoutineRow>(
    `select p.proname, p.provolatile, p.proretset,
            p.prorettype = 'pg_catalog.void'::regtype as returns_void,
            (t.typtype = 'c' or (p.prorettype = 'pg_catalog.record'::regtype and p.proargmodes is not null
              and 't' = any (p.proargmodes::text[]))) as returns_composite,
            p.pronargdefaults, p.proargnames as argnames, p.proargmodes::text[] as argmodes,
            array(select pg_catalog.format_type(a.oid, null)
                  from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as a(oid, i)
                  order by a.i) as argtypes
     from pg_catalog.pg_proc p
     join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     join pg_catalog.pg_type t on t.oid = p.prorettype
     where n.nspname = $1 and p.proname = $2 and p.prokind = 'f'`,
    [schema, name],
  );
  return rows.map((r) => {
    const inputs: Array<{ name: string; type: string; variadic: boolean }> = [];
    r.argtypes.forEach((type, i) => {
      const mode = r.argmodes?.[i] ?? "i";
      if (mode === "i" || mode === "b" || mode === "v") {
        inputs.push({ name: r.argnames?.[i] ?? "", type, variadic: mode === "v" });
      }
    });
    const firstDefault = inputs.length - r.pronargdefaults;
    return {
      schema,
      name: r.proname,
      params: inputs.map((p, i) => ({ ...p, required: i < firstDefault })),
      returnsSet: r.proretset,
      returnsVoid: r.returns_void,
      returnsComposite: r.returns_composite,
      volatility: r.provolatile,
    };
  });
}

/** Names of all functions in a schema (for PostgREST's "Perhaps you meant" hint). */
export async function routineNames(q: Queryable, schema: string): Promise<string[]> {
  const { rows } = await q.query<{ proname: string }>(
    `select distinct p.proname from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where n.nspname = $1 and p.prokind = 'f'`,
    [schema],
  );
  return rows.map((r) => r.proname);
}

/** A column of a table or view. */
export interface Column {
  name: string;
  /** `format_type`, from the catalog. */
  type: string;
  /** `pg_type.typname` (Realtime's `columns[].type`). */
  typname: string;
}

/** A table, view or materialized view in an exposed schema. */
export interface Relation {
  schema: string;
  name: string;
  columns: Column[];
  primaryKey: string[];
}

/**
 * A relation by name with its columns (attnum order) and primary key; null when it does not exist.
 * @example const rel = await findRelation(db, "public", "sync_run_log");
 */
export async function findRelation(q: Queryable, schema: string, name: string): Promise<Relation | null> {
  const { rows } = await q.query<{ attname: string; type: string; typname: string; is_pk: boolean }>(
    `select a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) as type, t.typname,
            coalesce(a.attnum = any (i.indkey::int2[]), false) as is_pk
     from pg_catalog.pg_class c
     join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     join pg_catalog.pg_type t on t.oid = a.atttypid
     left join pg_catalog.pg_index i on i.indrelid = c.oid and i.indisprimary
     where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'v', 'm', 'f', 'p')
     order by a.attnum`,
    [schema, name],
  );
  if (rows.length === 0) return null;
  return {
    schema,
    name,
    columns: rows.map((r) => ({ name: r.attname, type: r.type, typname: r.typname })),
    primaryKey: rows.filter((r) => r.is_pk).map((r) => r.attname),
  };
}

/**
 * Quotes an identifier for SQL. Every identifier the gateway splices into SQL has first been
 * matched against the catalog; quoting is the second guard.
 * @example quoteIdent('sync_run_log') // → '"sync_run_log"'
 */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
