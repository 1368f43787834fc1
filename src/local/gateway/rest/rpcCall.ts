/** How a matched RPC is called: the one SQL statement (arguments cast by PostgreSQL) and the response GUCs it reads back. */
import { quoteIdent, type Routine } from "./catalog.ts";
import { type PostgrestErrorResponse, pgrstError } from "./postgrestError.ts";
import type { Payload } from "./rpcPayload.ts";

// `response.status` / `response.headers` as the function left them, read in the call's own
// statement as PostgREST does (its query selects current_setting next to the body): the select
// list is evaluated after the function scan, so it sees what the function set. One round trip
// fewer than a separate select (≈ 0.2 ms on PostgreSQL here).
const RESPONSE_GUCS =
  "nullif(current_setting('response.status', true), '') as status, nullif(current_setting('response.headers', true), '') as headers";

/** Builds the call: arguments come through `json_to_record($1)` so PostgreSQL does every cast, as PostgREST does. */
export function callSql(routine: Routine, payload: Payload): { sql: string; params: unknown[] } {
  const fn = `${quoteIdent(routine.schema)}.${quoteIdent(routine.name)}`;
  const projection = `${
    routine.returnsVoid
      ? "null::json"
      : routine.returnsSet
        ? "coalesce(json_agg(_r), '[]'::json)"
        : "to_json(_r)"
  } as body, ${RESPONSE_GUCS}`;
  if (payload.kind === "raw") {
    return {
      sql: `select ${projection} from ${fn}($1::${payload.paramType}) as _r`,
      params: [payload.text],
    };
  }
  if (routine.params.length === 1 && routine.params[0]?.name === "") {
    const type = routine.params[0].type;
    return {
      sql: `select ${projection} from ${fn}($1::${type}) as _r`,
      params: [JSON.stringify(payload.args)],
    };
  }
  const used = routine.params.filter((p) => Object.hasOwn(payload.args, p.name));
  if (used.length === 0) return { sql: `select ${projection} from ${fn}() as _r`, params: [] };
  const columns = used.map((p) => `${quoteIdent(p.name)} ${p.type}`).join(", ");
  const args = used
    .map((p) => `${p.variadic ? "variadic " : ""}${quoteIdent(p.name)} => _args.${quoteIdent(p.name)}`)
    .join(", ");
  // json_to_record stringifies non-string JSON values for text columns and parses objects for json ones.
  const values: Record<string, unknown> = {};
  for (const p of used) {
    const v = payload.args[p.name];
    values[p.name] = v;
  }
  return {
    sql: `select ${projection} from json_to_record($1::json) as _args(${columns}) cross join lateral ${fn}(${args}) as _r`,
    params: [JSON.stringify(values)],
  };
}

/** `response.status` / `response.headers` set by the function (PostgREST transactions.rst). */
export function responseGucs(
  row: { status: string | null; headers: string | null } | undefined,
): { status?: number; headers: Record<string, string> } | PostgrestErrorResponse {
  const out: { status?: number; headers: Record<string, string> } = { headers: {} };
  if (row?.status) {
    const n = Number(row.status);
    if (!Number.isInteger(n) || n < 100 || n > 599) {
      return pgrstError(500, "PGRST112", "response.status guc must be a valid status code");
    }
    out.status = n;
  }
  if (row?.headers) {
    const bad = pgrstError(
      500,
      "PGRST111",
      "response.headers guc must be a JSON array composed of objects with a single key and a string value",
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.headers);
    } catch {
      return bad;
    }
    if (!Array.isArray(parsed)) return bad;
    for (const item of parsed) {
      const entries = typeof item === "object" && item !== null ? Object.entries(item) : [];
      const [entry] = entries;
      if (entries.length !== 1 || !entry || typeof entry[1] !== "string") return bad;
      out.headers[entry[0]] = entry[1];
    }
  }
  return out;
}
