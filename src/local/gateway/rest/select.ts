import { pgError } from "../../../db/types.ts";
import { BodyTooLargeError, header, readBody, sendText } from "../http.ts";
import { withRequestContext } from "../requestContext.ts";
import { quoteIdent, type Relation } from "./catalog.ts";
import { type Filter, filtersSql, parseFilter, splitList } from "./filters.ts";
import { isAuthenticated } from "./identity.ts";
import { parseAccept } from "./media.ts";
import {
  notImplemented,
  type PostgrestErrorResponse,
  pgrstError,
  queryParamError,
  sendPostgrestError,
  toPostgrestError,
} from "./postgrestError.ts";
import { restTransaction } from "./restTransaction.ts";
import type { RestRequest } from "./types.ts";

// Supabase's `[api] max_rows = 1000`: PostgREST never returns more rows than this per request.
const MAX_ROWS = 1000;
const RESERVED = new Set(["select", "order", "limit", "offset", "columns", "on_conflict"]);

interface SelectPlan {
  columns: Array<{ name: string; alias: string }> | "*";
  filters: Filter[];
  order: Array<{ column: string; desc: boolean; nulls?: "first" | "last" }>;
  limit: number;
  offset: number;
}

const undefinedColumn = (rel: Relation, column: string): PostgrestErrorResponse =>
  pgrstError(400, "42703", `column ${rel.name}.${column} does not exist`);

function parseNonNegative(name: string, raw: string | null): number | undefined | PostgrestErrorResponse {
  if (raw === null) return undefined;
  if (!/^\d{1,9}$/.test(raw))
    return queryParamError(`"failed to parse ${name} parameter (${raw})"`, `unexpected "${raw}"`);
  return Number(raw);
}

/** Reads `select=`, filters, `order=`, `limit=`, `offset=` against the relation's real columns. */
function plan(rel: Relation, query: URLSearchParams): SelectPlan | PostgrestErrorResponse {
  const known = new Set(rel.columns.map((c) => c.name));
  let columns: SelectPlan["columns"] = "*";
  const select = query.get("select");
  if (select !== null && select.trim() !== "" && select.trim() !== "*") {
    columns = [];
    for (const item of splitList(select)) {
      if (item === "*") {
        for (const c of rel.columns) columns.push({ name: c.name, alias: c.name });
        continue;
      }
      if (/[()]|::|->|!/.test(item)) {
        return notImplemented(`Only plain column names are supported in select (got "${item}")`);
      }
      const m = /^(?:([^:]+):)?(.+)$/.exec(item);
      const name = (m?.[2] ?? item).trim();
      const alias = (m?.[1] ?? name).trim();
      if (!known.has(name)) return undefinedColumn(rel, name);
      columns.push({ name, alias });
    }
  }

  const filters: Filter[] = [];
  for (const [key, value] of query) {
    if (RESERVED.has(key)) continue;
    if (key === "or" || key === "and" || key.startsWith("not.")) {
      return notImplemented("Logical operators (or, and, not.or) in filters");
    }
    if (!known.has(key)) return undefinedColumn(rel, key);
    const f = parseFilter(key, value);
    if (typeof f === "string") return queryParamError('"failed to parse filter"', f);
    filters.push(f);
  }

  const order: SelectPlan["order"] = [];
  const orderParam = query.get("order");
  if (orderParam) {
    for (const term of orderParam.split(",")) {
      const [column = "", ...mods] = term.trim().split(".");
      if (!known.has(column)) return undefinedColumn(rel, column);
      const entry: SelectPlan["order"][number] = { column, desc: false };
      for (const mod of mods) {
        if (mod === "asc") entry.desc = false;
        else if (mod === "desc") entry.desc = true;
        else if (mod === "nullsfirst") entry.nulls = "first";
        else if (mod === "nullslast") entry.nulls = "last";
        else return queryParamError('"failed to parse order"', `unexpected "${mod}" in "${term}"`);
      }
      order.push(entry);
    }
  }

  const limit = parseNonNegative("limit", query.get("limit"));
  if (typeof limit === "object") return limit;
  const offset = parseNonNegative("offset", query.get("offset"));
  if (typeof offset === "object") return offset;
  return { columns, filters, order, limit: Math.min(limit ?? MAX_ROWS, MAX_ROWS), offset: offset ?? 0 };
}

/** The requested table from the schema cache, or PostgREST's 404 PGRST205 sent and null. */
async function relationOr404(r: RestRequest, table: string): Promise<Relation | null> {
  const rel = await r.schemaCache.relation(r.db, r.schema, table);
  if (!rel) {
    sendPostgrestError(
      r.req,
      r.res,
      pgrstError(404, "PGRST205", `Could not find the table '${r.schema}.${table}' in the schema cache`),
    );
  }
  return rel;
}

/**
 * `GET|HEAD /rest/v1/<table>` under RLS: the subset of PostgREST the SDK and dashboard use
 * (`select=`, eq/neq/gt/gte/lt/lte/like/ilike/in/is filters, `order=`, `limit=`, `offset=`,
 * single-object Accept, `Prefer: count=exact` with Content-Range). Every identifier is checked
 * against the catalog; every value is a bind parameter.
 * @example await handleSelect(restRequest, "sync_run_log");
 */
export async function handleSelect(r: RestRequest, table: string): Promise<void> {
  const rel = await relationOr404(r, table);
  if (!rel) return;
  const media = parseAccept(header(r.req, "accept"));
  if (!media) {
    return sendPostgrestError(
      r.req,
      r.res,
      pgrstError(
        406,
        "PGRST107",
        `None of these media types are available: ${header(r.req, "accept") ?? ""}`,
      ),
    );
  }
  const p = plan(rel, r.query);
  if ("status" in p) return sendPostgrestError(r.req, r.res, p);

  const params: unknown[] = [];
  const where = filtersSql(p.filters, params);
  const cols =
    p.columns === "*"
      ? "*"
      : p.columns
          .map((c) =>
            c.alias === c.name ? quoteIdent(c.name) : `${quoteIdent(c.name)} as ${quoteIdent(c.alias)}`,
          )
          .join(", ");
  const orderBy =
    p.order.length === 0
      ? ""
      : ` order by ${p.order
          .map(
            (o) => `${quoteIdent(o.column)} ${o.desc ? "desc" : "asc"}${o.nulls ? ` nulls ${o.nulls}` : ""}`,
          )
          .join(", ")}`;
  const from = `${quoteIdent(rel.schema)}.${quoteIdent(rel.name)}`;
  const row = media.stripNulls ? "json_strip_nulls(to_json(_t))" : "_t";
  const sql = `select coalesce(json_agg(${row}), '[]'::json) as body, count(*)::int as n
               from (select ${cols} from ${from} where ${where}${orderBy} limit ${p.limit} offset ${p.offset}) _t`;
  const wantCount = /(?:^|[,\s])count=(exact|planned|estimated)\b/.test(header(r.req, "prefer") ?? "");

  try {
    const result = await restTransaction(r, `/${table}`, true, async (tx) => {
      const { rows } = await tx.query<{ body: unknown[]; n: number }>(sql, params);
      let total: number | undefined;
      if (wantCount) {
        const c = await tx.query<{ total: number }>(
          `select count(*)::int as total from ${from} where ${where}`,
          params,
        );
        total = c.rows[0]?.total ?? 0;
      }
      return { body: rows[0]?.body ?? [], n: rows[0]?.n ?? 0, total };
    });
    const { body, n, total } = result;
    if (total !== undefined && p.offset > total) {
      return sendPostgrestError(
        r.req,
        r.res,
        pgrstError(
          416,
          "PGRST103",
          "Requested range not satisfiable",
          `An offset of ${p.offset} was requested, but there are only ${total} rows.`,
        ),
      );
    }
    const totalText = total === undefined ? "*" : String(total);
    const range = n === 0 ? `*/${totalText}` : `${p.offset}-${p.offset + n - 1}/${totalText}`;
    const status = total !== undefined && n > 0 && n < total ? 206 : 200;
    if (media.single) {
      if (n !== 1) {
        return sendPostgrestError(
          r.req,
          r.res,
          pgrstError(
            406,
            "PGRST116",
            "Cannot coerce the result to a single JSON object",
            `The result contains ${n} rows`,
          ),
        );
      }
      return sendText(r.req, r.res, 200, JSON.stringify(body[0]), {
        "Content-Type": "application/vnd.pgrst.object+json; charset=utf-8",
        "Content-Range": range,
      });
    }
    sendText(r.req, r.res, status, JSON.stringify(body), {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Range": range,
    });
  } catch (error) {
    if (!pgError(error)) throw error;
    sendPostgrestError(r.req, r.res, toPostgrestError(error, isAuthenticated(r.identity)));
  }
}

const PRIVILEGE_FOR: Record<string, string> = {
  POST: "INSERT",
  PATCH: "UPDATE",
  PUT: "INSERT",
  DELETE: "DELETE",
};

/**
 * POST/PATCH/PUT/DELETE on a table. Clients hold no write privilege under this project's grants,
 * so the answer is PostgreSQL's own 42501 (401 for anon, 403 otherwise), checked in the caller's
 * role; a role that does hold the privilege gets PGRST127: table writes are not implemented here.
 * @example await handleMutation(restRequest, "sync_run_log");
 */
export async function handleMutation(r: RestRequest, table: string): Promise<void> {
  try {
    await readBody(r.req, r.bodyLimit);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      return sendPostgrestError(r.req, r.res, pgrstError(413, "PGRST413", "Payload Too Large"));
    }
    throw error;
  }
  const rel = await relationOr404(r, table);
  if (!rel) return;
  const privilege = PRIVILEGE_FOR[r.req.method ?? ""] ?? "INSERT";
  try {
    const allowed = await withRequestContext(
      r.db,
      { role: r.identity.role, claims: r.identity.claims, readOnly: true },
      async (tx) => {
        const { rows } = await tx.query<{ ok: boolean }>(
          "select has_table_privilege($1::regclass, $2) as ok",
          [`${quoteIdent(rel.schema)}.${quoteIdent(rel.name)}`, privilege],
        );
        return rows[0]?.ok === true;
      },
    );
    if (!allowed) {
      const denied = { code: "42501", message: `permission denied for table ${rel.name}` };
      return sendPostgrestError(r.req, r.res, toPostgrestError(denied, isAuthenticated(r.identity)));
    }
    sendPostgrestError(
      r.req,
      r.res,
      notImplemented("Table writes (insert, update, upsert, delete) through the local gateway"),
    );
  } catch (error) {
    if (!pgError(error)) throw error;
    sendPostgrestError(r.req, r.res, toPostgrestError(error, isAuthenticated(r.identity)));
  }
}
