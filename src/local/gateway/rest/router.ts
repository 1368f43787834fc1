import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../../../db/types.ts";
import { header } from "../http.ts";
import { identityFromToken, requestToken } from "./identity.ts";
import { pgrstError, sendPostgrestError } from "./postgrestError.ts";
import { handleRpc } from "./rpc.ts";
import type { SchemaCache } from "./schemaCache.ts";
import { handleMutation, handleSelect } from "./select.ts";
import { EXPOSED_SCHEMAS, type RestRequest } from "./types.ts";

export interface RestOptions {
  db: Db;
  jwtSecret: string;
  bodyLimit: number;
  /** Function signatures, shared by every request of one gateway. */
  schemaCache: SchemaCache;
}

/**
 * Serves `/rest/v1/*` (path given without the prefix) as PostgREST would behind Supabase's Kong.
 * @example await handleRest(req, res, "/rpc/trigger_integration_sync", url.searchParams, options);
 */
export async function handleRest(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  options: RestOptions,
): Promise<void> {
  const identity = await identityFromToken(requestToken(req), options.jwtSecret);
  if ("error" in identity) return sendPostgrestError(req, res, identity.error);

  const method = req.method ?? "GET";
  const profile = header(req, method === "GET" || method === "HEAD" ? "accept-profile" : "content-profile");
  const schema = profile ?? EXPOSED_SCHEMAS[0];
  if (!(EXPOSED_SCHEMAS as readonly string[]).includes(schema)) {
    return sendPostgrestError(
      req,
      res,
      pgrstError(
        406,
        "PGRST106",
        `Invalid schema: ${schema}`,
        null,
        `Only the following schemas are exposed: ${EXPOSED_SCHEMAS.join(", ")}`,
      ),
    );
  }

  let segments: string[];
  try {
    segments = path
      .split("/")
      .filter((s) => s !== "")
      .map((s) => decodeURIComponent(s));
  } catch {
    return sendPostgrestError(req, res, pgrstError(404, "PGRST125", "Invalid path specified in request URL"));
  }
  const r: RestRequest = {
    db: options.db,
    req,
    res,
    identity,
    schema,
    path,
    query,
    bodyLimit: options.bodyLimit,
    schemaCache: options.schemaCache,
  };

  if (segments.length === 0) {
    return sendPostgrestError(req, res, pgrstError(404, "PGRST126", "Root endpoint metadata is disabled"));
  }
  if (segments[0] === "rpc" && segments.length === 2) return handleRpc(r, segments[1] as string);
  if (segments.length !== 1) {
    return sendPostgrestError(req, res, pgrstError(404, "PGRST125", "Invalid path specified in request URL"));
  }
  const table = segments[0] as string;
  if (method === "GET" || method === "HEAD") return handleSelect(r, table);
  if (["POST", "PATCH", "PUT", "DELETE"].includes(method)) return handleMutation(r, table);
  sendPostgrestError(req, res, pgrstError(405, "PGRST117", `Unsupported HTTP method: ${method}`));
}
