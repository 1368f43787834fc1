import { splitList } from "../rest/filters.ts";

/** A Realtime `postgres_changes` filter: `column=op.value` (ops eq, neq, lt, lte, gt, gte, in). */
export interface ChangeFilter {
  column: string;
  op: "eq" | "neq" | "lt" | "lte" | "gt" | "gte" | "in";
  values: string[];
}

// Realtime caps `in` lists at 100 values (supabase/realtime parse_subscription_params).
const MAX_IN_VALUES = 100;
const OPS = new Set(["eq", "neq", "lt", "lte", "gt", "gte", "in"]);

/**
 * Parses a binding's `filter` string; returns an error text when it is not Realtime syntax.
 * @example parseChangeFilter("id=eq.3f0c…") // → { column: "id", op: "eq", values: ["3f0c…"] }
 */
export function parseChangeFilter(filter: string): ChangeFilter | string {
  const m = /^([^=]+)=([a-z]+)\.(.*)$/s.exec(filter);
  if (!m) return `Error parsing \`filter\` params: ${JSON.stringify(filter)}`;
  const [, column = "", op = "", value = ""] = m;
  if (!OPS.has(op)) return `Error parsing \`filter\` params: unsupported operator ${JSON.stringify(op)}`;
  if (op === "in") {
    const list = /^\((.*)\)$/s.exec(value);
    if (!list) return "Error parsing `filter` params: `in` needs a parenthesised list";
    const values = splitList(list[1] ?? "");
    if (values.length > MAX_IN_VALUES)
      return `Error parsing \`filter\` params: \`in\` accepts at most ${MAX_IN_VALUES} values`;
    return { column, op: "in", values };
  }
  return { column: column.trim(), op: op as ChangeFilter["op"], values: [value] };
}

const NUMERIC = new Set(["int2", "int4", "int8", "float4", "float8", "numeric", "oid"]);
const TEMPORAL = new Set(["timestamptz", "timestamp", "date"]);

/** Compares a record value with filter text the way the column's type orders them; null when incomparable. */
function compare(value: unknown, text: string, typname: string): number | null {
  if (value === null || value === undefined) return null;
  if (NUMERIC.has(typname)) {
    const a = Number(value);
    const b = Number(text);
    return Number.isNaN(a) || Number.isNaN(b) ? null : Math.sign(a - b);
  }
  if (TEMPORAL.has(typname)) {
    const a = Date.parse(String(value));
    const b = Date.parse(text);
    return Number.isNaN(a) || Number.isNaN(b) ? null : Math.sign(a - b);
  }
  if (typname === "bool") {
    const b = ["t", "true", "1", "y", "yes", "on"].includes(text.toLowerCase());
    return value === b ? 0 : value ? 1 : -1;
  }
  const x = asText(value, typname);
  const y = asText(text, typname);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** How a value of a text-compared type is compared: its text, case-folded for uuid. */
function asText(value: unknown, typname: string): string {
  const a = typeof value === "string" ? value : JSON.stringify(value);
  return typname === "uuid" ? a.toLowerCase() : a;
}

/**
 * A key that two values share exactly when an `eq` filter matches them — for the types compared
 * as text (uuid case-folded); null for numbers, dates and booleans (compared by value) and for
 * NULL (which matches nothing). Lets the change feed look `eq` bindings up instead of testing each.
 * @example equalityKey("3F0C…", "uuid") === equalityKey("3f0c…", "uuid") // → true
 */
export function equalityKey(value: unknown, typname: string): string | null {
  if (value === null || value === undefined) return null;
  if (NUMERIC.has(typname) || TEMPORAL.has(typname) || typname === "bool") return null;
  return asText(value, typname);
}

/**
 * True when a changed row's value of the filter's column passes the filter. SQL semantics: a
 * NULL value passes nothing.
 * @example matchesChangeFilter({ column: "id", op: "eq", values: [id] }, record.id, "uuid")
 */
export function matchesChangeFilter(f: ChangeFilter, value: unknown, typname: string): boolean {
  if (f.op === "in") return f.values.some((v) => compare(value, v, typname) === 0);
  const c = compare(value, f.values[0] ?? "", typname);
  if (c === null) return false;
  switch (f.op) {
    case "eq":
      return c === 0;
    case "neq":
      return c !== 0;
    case "lt":
      return c < 0;
    case "lte":
      return c <= 0;
    case "gt":
      return c > 0;
    case "gte":
      return c >= 0;
  }
}
