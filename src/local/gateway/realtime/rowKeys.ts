import type { Db } from "../../../db/types.ts";
import { quoteIdent } from "../rest/catalog.ts";
import type { TableInfo } from "./catalog.ts";

/**
 * A list of primary keys as one SQL relation: `unnest($1::type[], …) with ordinality as k (…, ord)`,
 * one array parameter per key column, so a burst's rows are looked up in one statement and
 * every answer names its key by position (`ord`, 1-based).
 */
export interface KeyList {
  /** The FROM item; its columns are `k0`, `k1`, … and `ord`. */
  from: string;
  /** `t.<pk0> = k.k0 and …`, joining the table aliased `t` to the list. */
  join: string;
  params: unknown[];
}

/** The table as a quoted SQL name. */
export const tableName = (info: TableInfo) => `${quoteIdent(info.schema)}.${quoteIdent(info.table)}`;

/**
 * The key list for `keys` (the capture trigger's `pk` objects, values as to_jsonb wrote them).
 * @example keyList(info, [{ id: "3f0c…" }]) // → from: "unnest($1::uuid[]) with ordinality as k (k0, ord)"
 */
export function keyList(info: TableInfo, keys: Array<Record<string, unknown>>): KeyList {
  const cols = info.primaryKey.map((c, i) => ({ ...c, alias: `k${i}` }));
  return {
    from: `unnest(${cols.map((c, i) => `$${i + 1}::${c.sqlType}[]`).join(", ")}) with ordinality as k (${cols.map((c) => c.alias).join(", ")}, ord)`,
    join: cols.map((c) => `t.${quoteIdent(c.name)} = k.${c.alias}`).join(" and "),
    params: cols.map((c) => keys.map((k) => keyText(k[c.name]))),
  };
}

/**
 * A key value as the capture trigger's to_jsonb wrote it, as text PostgreSQL parses with the
 * column's type: strings as they are, numbers (and anything else) as their JSON text, null as null.
 * @example keyText(12) // → "12"
 */
export function keyText(v: unknown): string | null {
  return typeof v === "string" || v === null || v === undefined ? (v ?? null) : JSON.stringify(v);
}

/**
 * The current rows for `keys`, read as the gateway's own role (no RLS): for changes whose record
 * was too large for NOTIFY. Index i of the result answers keys[i]; null where the row is gone.
 * @example const [row] = await readRows(db, info, [{ id }]);
 */
export async function readRows(
  db: Db,
  info: TableInfo,
  keys: Array<Record<string, unknown>>,
): Promise<Array<Record<string, unknown> | null>> {
  const out: Array<Record<string, unknown> | null> = keys.map(() => null);
  if (keys.length === 0) return out;
  const k = keyList(info, keys);
  const { rows } = await db.query<{ ord: number; r: Record<string, unknown> }>(
    `select k.ord::int as ord, to_jsonb(t) as r from ${k.from} join ${tableName(info)} t on ${k.join}`,
    k.params,
  );
  for (const row of rows) out[row.ord - 1] = row.r;
  return out;
}
