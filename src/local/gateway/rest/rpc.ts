import { pgError } from "../../../db/types.ts";
import { BodyTooLargeError, corsHeaders, header, headersObject, readBody, sendText } from "../http.ts";
import { withRequestContext } from "../requestContext.ts";
import { quoteIdent, type Routine, routineNames } from "./catalog.ts";
import { bestMatch } from "./fuzzy.ts";
import { isAuthenticated } from "./identity.ts";
import { wantsSingleObject } from "./media.ts";
import {
  notImplemented,
  type PostgrestErrorResponse,
  pgrstError,
  sendPostgrestError,
  toPostgrestError,
} from "./postgrestError.ts";
import type { RestRequest } from "./types.ts";

type Payload =
  | { kind: "named"; args: Record<string, unknown>; mediaType: string }
  | { kind: "raw"; text: string; paramType: "text" | "xml" | "bytea"; mediaType: string };

/** Thrown inside the request transaction to answer with a PostgREST error after rollback. */
class RpcFailure extends Error {
  constructor(readonly response: PostgrestErrorResponse) {
    super(response.body.message);
  }
}

// Query parameters PostgREST reads itself on GET /rpc (never function arguments).
const RESERVED_QUERY_KEYS = new Set([
  "select",
  "order",
  "limit",
  "offset",
  "columns",
  "on_conflict",
  "or",
  "and",
]);

const RAW_TYPES: Record<string, "text" | "xml" | "bytea"> = {
  "text/plain": "text",
  "text/xml": "xml",
  "application/octet-stream": "bytea",
};

async function readPayload(r: RestRequest): Promise<Payload | PostgrestErrorResponse> {
  if (r.req.method === "GET" || r.req.method === "HEAD") {
    const args: Record<string, unknown> = {};
    for (const [k, v] of r.query) if (!RESERVED_QUERY_KEYS.has(k)) args[k] = v;
    return { kind: "named", args, mediaType: "" };
  }
  let body: Buffer;
  try {
    body = await readBody(r.req, r.bodyLimit);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      return pgrstError(
        413,
        "PGRST413",
        "Payload Too Large",
        `The request body exceeds ${error.limit} bytes`,
      );
    }
    throw error;
  }
  // PostgREST treats a missing Content-Type as JSON.
  const mediaType =
    (header(r.req, "content-type") ?? "application/json").split(";")[0]?.trim().toLowerCase() ?? "";
  if (mediaType === "application/json" || mediaType === "") {
    if (body.length === 0) return { kind: "named", args: {}, mediaType: "application/json" };
    let value: unknown;
    try {
      value = JSON.parse(body.toString("utf8"));
    } catch {
      // PostgREST drops the parser's message in favour of a generic one (PostgREST#2344).
      return pgrstError(400, "PGRST102", "Empty or invalid json");
    }
    if (Array.isArray(value))
      return notImplemented("Calling a function once per element of a JSON array body");
    const args = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
    return { kind: "named", args, mediaType: "application/json" };
  }
  if (mediaType === "application/x-www-form-urlencoded") {
    return { kind: "named", args: Object.fromEntries(new URLSearchParams(body.toString("utf8"))), mediaType };
  }
  const raw = RAW_TYPES[mediaType];
  if (raw)
    return {
      kind: "raw",
      text: body.toString(raw === "bytea" ? "latin1" : "utf8"),
      paramType: raw,
      mediaType,
    };
  return pgrstError(400, "PGRST102", `Content-Type not acceptable: ${mediaType}`);
}

function matchRoutine(routines: Routine[], payload: Payload, isPost: boolean): Routine[] {
  if (payload.kind === "raw") {
    return routines.filter(
      (r) => r.params.length === 1 && r.params[0]?.name === "" && r.params[0]?.type === payload.paramType,
    );
  }
  const keys = new Set(Object.keys(payload.args));
  const named = routines.filter((r) => {
    if (r.params.some((p) => p.name === "")) return false;
    const names = new Set(r.params.map((p) => p.name));
    return r.params.every((p) => !p.required || keys.has(p.name)) && [...keys].every((k) => names.has(k));
  });
  if (named.length > 0) return named;
  // A single unnamed json/jsonb parameter receives the whole body.
  return routines.filter(
    (r) =>
      isPost &&
      payload.mediaType === "application/json" &&
      r.params.length === 1 &&
      r.params[0]?.name === "" &&
      (r.params[0]?.type === "json" || r.params[0]?.type === "jsonb"),
  );
}

async function noRpcError(
  r: RestRequest,
  fn: string,
  routines: Routine[],
  payload: Payload,
): Promise<PostgrestErrorResponse> {
  const qualified = `${r.schema}.${fn}`;
  const isPost = r.req.method === "POST";
  if (payload.kind === "raw") {
    return pgrstError(
      404,
      "PGRST202",
      `Could not find the function ${qualified} in the schema cache`,
      `Searched for the function ${qualified} with a single unnamed ${payload.paramType} parameter, but no matches were found in the schema cache.`,
    );
  }
  // PostgREST lists the keys from a set: sorted.
  const keys = Object.keys(payload.args).sort();
  const params = keys.length === 0 ? " without parameters" : `(${keys.join(", ")})`;
  const searched =
    keys.length === 0
      ? " without parameters"
      : ` with parameter${keys.length > 1 ? "s" : ""} ${keys.join(", ")}`;
  const json =
    isPost && payload.mediaType === "application/json"
      ? " or with a single unnamed json/jsonb parameter"
      : "";
  let hint: string | null = null;
  if (routines.length > 0) {
    const signatures = routines.map(
      (rt) =>
        `(${rt.params
          .map((p) => p.name)
          .sort()
          .join(", ")})`,
    );
    const best = bestMatch(`(${keys.join(", ")})`, signatures, 0.33) ?? signatures[0];
    hint = `Perhaps you meant to call the function ${qualified}${best}`;
  } else {
    const names = await routineNames(r.db, r.schema);
    const best = bestMatch(fn, names, 0.75);
    if (best) hint = `Perhaps you meant to call the function ${r.schema}.${best}`;
  }
  return pgrstError(
    404,
    "PGRST202",
    `Could not find the function ${qualified}${params} in the schema cache`,
    `Searched for the function ${qualified}${searched}${json}, but no matches were found in the schema cache.`,
    hint,
  );
}

// `response.status` / `response.headers` as the function left them, read in the call's own
// statement as PostgREST does (its query selects current_setting next to the body): the select
// list is evaluated after the function scan, so it sees what the function set. One round trip
// fewer than a separate select (≈ 0.2 ms on PostgreSQL here).
const RESPONSE_GUCS =
  "nullif(current_setting('response.status', true), '') as status, nullif(current_setting('response.headers', true), '') as headers";

/** Builds the call: arguments come through `json_to_record($1)` so PostgreSQL does every cast, as PostgREST does. */
function callSql(routine: Routine, payload: Payload): { sql: string; params: unknown[] } {
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
function responseGucs(
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

/**
 * `POST|GET /rest/v1/rpc/<fn>` with PostgREST semantics: arguments by name (or one unnamed
 * json/text parameter), one transaction per request with the caller's role and claims, READ ONLY
 * unless the function is VOLATILE and called with POST, errors mapped by {@link toPostgrestError}.
 * @example await handleRpc(restRequest, "trigger_integration_sync");
 */
export async function handleRpc(r: RestRequest, fn: string): Promise<void> {
  const method = r.req.method ?? "GET";
  if (!["GET", "HEAD", "POST"].includes(method)) {
    return sendPostgrestError(
      r.req,
      r.res,
      pgrstError(405, "PGRST101", `Cannot use the ${method} method on RPC`),
    );
  }
  const payload = await readPayload(r);
  if ("status" in payload) return sendPostgrestError(r.req, r.res, payload);

  const lookup = await r.schemaCache.routines(r.db, r.schema, fn);
  let routines = lookup.routines;
  let matches = matchRoutine(routines, payload, method === "POST");
  if (matches.length !== 1 && lookup.cached) {
    // Never refuse (or call ambiguous) from a cache entry that DDL may have outdated meanwhile.
    routines = (await r.schemaCache.routines(r.db, r.schema, fn, true)).routines;
    matches = matchRoutine(routines, payload, method === "POST");
  }
  if (matches.length === 0)
    return sendPostgrestError(r.req, r.res, await noRpcError(r, fn, routines, payload));
  if (matches.length > 1) {
    const list = matches
      .map((m) => `${m.schema}.${m.name}(${m.params.map((p) => `${p.name} => ${p.type}`).join(", ")})`)
      .join(", ");
    return sendPostgrestError(
      r.req,
      r.res,
      pgrstError(
        300,
        "PGRST203",
        `Could not choose the best candidate function between: ${list}`,
        null,
        "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
      ),
    );
  }
  const routine = matches[0] as Routine;
  const single = wantsSingleObject(header(r.req, "accept"));
  const { sql, params } = callSql(routine, payload);
  try {
    const result = await withRequestContext(
      r.db,
      {
        role: r.identity.role,
        claims: r.identity.claims,
        headers: headersObject(r.req),
        method,
        path: `/rpc/${fn}`,
        searchPath: `${quoteIdent(r.schema)}, extensions`,
        readOnly: method !== "POST" || routine.volatility !== "v",
      },
      async (tx) => {
        const { rows } = await tx.query<{ body: unknown; status: string | null; headers: string | null }>(
          sql,
          params,
        );
        let body: unknown = rows[0]?.body ?? null;
        if (single && routine.returnsSet) {
          const list = Array.isArray(body) ? body : [];
          // Raised inside the transaction so a singular violation rolls the call back, as PostgREST does.
          if (list.length !== 1) {
            throw new RpcFailure(
              pgrstError(
                406,
                "PGRST116",
                "Cannot coerce the result to a single JSON object",
                `The result contains ${list.length} rows`,
              ),
            );
          }
          body = list[0];
        }
        const gucs = responseGucs(rows[0]);
        if ("body" in gucs) throw new RpcFailure(gucs);
        return { body, gucs };
      },
    );
    const status = result.gucs.status ?? (routine.returnsVoid ? 204 : 200);
    if (routine.returnsVoid && status === 204) {
      r.res.writeHead(204, { ...corsHeaders(r.req), ...result.gucs.headers });
      r.res.end();
      return;
    }
    const count = Array.isArray(result.body) ? result.body.length : 1;
    const range: Record<string, string> =
      routine.returnsSet && !single ? { "Content-Range": count === 0 ? "*/*" : `0-${count - 1}/*` } : {};
    sendText(r.req, r.res, status, JSON.stringify(result.body), {
      "Content-Type": "application/json; charset=utf-8",
      ...range,
      ...result.gucs.headers,
    });
  } catch (error) {
    if (error instanceof RpcFailure) return sendPostgrestError(r.req, r.res, error.response);
    if (!pgError(error)) throw error;
    sendPostgrestError(r.req, r.res, toPostgrestError(error, isAuthenticated(r.identity)));
  }
}
