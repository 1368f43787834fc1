import { pgError } from "../../../db/types.ts";
import { corsHeaders, header, sendText } from "../http.ts";
import type { Routine } from "./catalog.ts";
import { isAuthenticated } from "./identity.ts";
import { wantsSingleObject } from "./media.ts";
import {
  type PostgrestErrorResponse,
  pgrstError,
  sendPostgrestError,
  toPostgrestError,
} from "./postgrestError.ts";
import { restTransaction } from "./restTransaction.ts";
import { callSql, responseGucs } from "./rpcCall.ts";
import { matchRoutine, noRpcError } from "./rpcOverloads.ts";
import { readPayload } from "./rpcPayload.ts";
import type { RestRequest } from "./types.ts";

/** Thrown inside the request transaction to answer with a PostgREST error after rollback. */
class RpcFailure extends Error {
  constructor(readonly response: PostgrestErrorResponse) {
    super(response.body.message);
  }
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
    const result = await restTransaction(
      r,
      `/rpc/${fn}`,
      method !== "POST" || routine.volatility !== "v",
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
