import { BodyTooLargeError, header, readBody } from "../http.ts";
import { notImplemented, type PostgrestErrorResponse, pgrstError } from "./postgrestError.ts";
import type { RestRequest } from "./types.ts";

/** An RPC's arguments as PostgREST reads them: named (query, JSON or form body), or one raw body. */
export type Payload =
  | { kind: "named"; args: Record<string, unknown>; mediaType: string }
  | { kind: "raw"; text: string; paramType: "text" | "xml" | "bytea"; mediaType: string };

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

/**
 * Reads the arguments of `GET|POST /rpc/<fn>` as PostgREST does: the query string on GET, else the
 * body by Content-Type (JSON, form, or raw text/xml/bytea for a single unnamed parameter).
 * @example const payload = await readPayload(r); if ("status" in payload) return send(payload);
 */
export async function readPayload(r: RestRequest): Promise<Payload | PostgrestErrorResponse> {
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
