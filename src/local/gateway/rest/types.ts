import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../../../db/types.ts";
import type { Identity } from "./identity.ts";
import type { SchemaCache } from "./schemaCache.ts";

/** Everything a REST handler needs about one request, resolved by the router. */
export interface RestRequest {
  db: Db;
  req: IncomingMessage;
  res: ServerResponse;
  identity: Identity;
  /** The exposed schema chosen by Accept-Profile / Content-Profile (default public). */
  schema: string;
  /** Path below /rest/v1, e.g. "/rpc/trigger_integration_sync". */
  path: string;
  query: URLSearchParams;
  bodyLimit: number;
  schemaCache: SchemaCache;
}

/** Schemas the API exposes (Supabase CLI `[api] schemas`, minus graphql_public which we do not serve). */
export const EXPOSED_SCHEMAS = ["public"] as const;
