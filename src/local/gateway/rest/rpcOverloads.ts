import { type Routine, routineNames } from "./catalog.ts";
import { bestMatch } from "./fuzzy.ts";
import { type PostgrestErrorResponse, pgrstError } from "./postgrestError.ts";
import type { Payload } from "./rpcPayload.ts";
import type { RestRequest } from "./types.ts";

/**
 * The overloads of a function a payload can call, PostgREST's way: every required parameter named
 * and no unknown key; failing that, a POSTed JSON body goes whole to a single unnamed json/jsonb
 * parameter.
 * @example const candidates = matchRoutine(routines, payload, r.req.method === "POST");
 */
export function matchRoutine(routines: Routine[], payload: Payload, isPost: boolean): Routine[] {
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

/**
 * PGRST202 for a call no overload matches, with PostgREST's message, details and "Perhaps you
 * meant" hint (the closest signature, or the closest function name in the schema).
 * @example return sendPostgrestError(r.req, r.res, await noRpcError(r, fn, routines, payload));
 */
export async function noRpcError(
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
