import { quoteIdent } from "./catalog.ts";

/** A parsed horizontal filter `column=[not.]op.value`. */
export interface Filter {
  column: string;
  negate: boolean;
  op: "eq" | "neq" | "gt" | "gte" | "lt" | "lte" | "like" | "ilike" | "match" | "imatch" | "in" | "is";
  /** One value, or the list for `in`. */
  values: string[];
}

const SQL_OPS: Record<Exclude<Filter["op"], "in" | "is">, string> = {
  eq: "=",
  neq: "<>",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
  like: "like",
  ilike: "ilike",
  match: "~",
  imatch: "~*",
};

const IS_VALUES: Record<string, string> = {
  null: "null",
  not_null: "not null",
  true: "true",
  false: "false",
  unknown: "unknown",
};

// `in.(…)` lists beyond this are refused: a filter is not a bulk-load channel.
const MAX_IN_VALUES = 1000;

/** Splits `a,"b,c",d` on commas outside double quotes, unquoting (`\"` escapes a quote). */
export function splitList(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === "\\" && i + 1 < text.length) cur += text[++i];
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') {
      quoted = true;
      wasQuoted = true;
    } else if (ch === ",") {
      out.push(wasQuoted ? cur : cur.trim());
      cur = "";
      wasQuoted = false;
    } else cur += ch;
  }
  out.push(wasQuoted ? cur : cur.trim());
  return out;
}

/**
 * Parses one filter value (`eq.5`, `not.in.(a,b)`, `is.null`); returns an error text when it is
 * not PostgREST syntax.
 * @example parseFilter("id", "eq.3f0c…") // → { column: "id", negate: false, op: "eq", values: ["3f0c…"] }
 */
export function parseFilter(column: string, raw: string): Filter | string {
  let rest = raw;
  let negate = false;
  if (rest.startsWith("not.")) {
    negate = true;
    rest = rest.slice(4);
  }
  const dot = rest.indexOf(".");
  if (dot < 0) return `unknown operator in "${raw}"`;
  const op = rest.slice(0, dot);
  const value = rest.slice(dot + 1);
  if (op === "in") {
    const m = /^\((.*)\)$/s.exec(value);
    if (!m) return `"in" needs a parenthesised list, got "${value}"`;
    const values = (m[1] ?? "") === "" ? [] : splitList(m[1] ?? "");
    if (values.length > MAX_IN_VALUES) return `"in" accepts at most ${MAX_IN_VALUES} values`;
    return { column, negate, op, values };
  }
  if (op === "is") {
    if (!(value.toLowerCase() in IS_VALUES))
      return `"is" accepts null, not_null, true, false or unknown, got "${value}"`;
    return { column, negate, op, values: [value.toLowerCase()] };
  }
  if (op in SQL_OPS) {
    // PostgREST lets `*` stand for `%` in like patterns (URL-friendly).
    const v = op === "like" || op === "ilike" ? value.replaceAll("*", "%") : value;
    return { column, negate, op: op as Filter["op"], values: [v] };
  }
  return `unknown operator "${op}"`;
}

/**
 * Renders filters as a WHERE condition; values become `$n` parameters appended to `params`, so
 * PostgreSQL infers each one's type from its column.
 * @example const where = filtersSql(filters, params); // → '"id" = $1'
 */
export function filtersSql(filters: Filter[], params: unknown[]): string {
  if (filters.length === 0) return "true";
  return filters
    .map((f) => {
      const col = quoteIdent(f.column);
      let cond: string;
      if (f.op === "in") {
        cond =
          f.values.length === 0
            ? "false"
            : `${col} in (${f.values.map((v) => `$${params.push(v)}`).join(", ")})`;
      } else if (f.op === "is") {
        cond = `${col} is ${IS_VALUES[f.values[0] ?? "null"]}`;
      } else {
        cond = `${col} ${SQL_OPS[f.op]} $${params.push(f.values[0])}`;
      }
      return f.negate ? `not (${cond})` : cond;
    })
    .join(" and ");
}
