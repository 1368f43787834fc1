import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { BodyTooLargeError, corsHeaders, readBody, sendJson } from "./http.ts";
import { verifyJwt } from "./jwt.ts";

/** An Edge Function handler: the same Web-standard signature `Deno.serve` takes. */
export type FunctionHandler = (req: Request) => Promise<Response>;

export interface FunctionsOptions {
  functions: Record<string, FunctionHandler>;
  jwtSecret: string;
  /** Supabase's `verify_jwt = true` default: a valid JWT in Authorization is required. */
  verifyJwt: boolean;
  bodyLimit: number;
  origin: string;
}

/**
 * `/functions/v1/<name>` → `functions[name](request)`, 404 for unknown names, like the edge
 * runtime behind Kong: with `verifyJwt`, a missing or invalid Bearer JWT is 401 `{"msg":"Invalid JWT"}`.
 * @example await handleFunction(req, res, "/sync-worker", options);
 */
export async function handleFunction(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  options: FunctionsOptions,
): Promise<void> {
  const name = decodeURIComponent(path.split("/").filter(Boolean)[0] ?? "");
  const handler = Object.hasOwn(options.functions, name) ? options.functions[name] : undefined;
  if (!handler)
    return sendJson(req, res, 404, { code: "NOT_FOUND", message: "Requested function was not found" });
  if (options.verifyJwt) {
    const m = /^bearer\s+(\S+)$/i.exec(req.headers.authorization?.trim() ?? "");
    if (!m?.[1]) return sendJson(req, res, 401, { msg: "Missing authorization header" });
    if (!(await verifyJwt(m[1], options.jwtSecret)).ok)
      return sendJson(req, res, 401, { msg: "Invalid JWT" });
  }
  let body: Buffer | undefined;
  if (req.method !== "GET" && req.method !== "HEAD") {
    try {
      body = await readBody(req, options.bodyLimit);
    } catch (error) {
      if (error instanceof BodyTooLargeError)
        return sendJson(req, res, 413, { msg: "Request body too large" });
      throw error;
    }
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  }
  const request = new Request(new URL(req.url ?? "/", options.origin), {
    method: req.method ?? "GET",
    headers,
    ...(body ? { body: new Uint8Array(body) } : {}),
  });
  let response: Response;
  try {
    response = await handler(request);
  } catch (error) {
    // The edge runtime's answer to a function that throws (supabase/cli serve main.ts).
    return sendJson(req, res, 500, {
      code: "WORKER_ERROR",
      message: String((error as Error)?.message ?? error),
    });
  }
  const out: Record<string, string> = { ...corsHeaders(req) };
  response.headers.forEach((value, key) => {
    out[key] = value;
  });
  res.writeHead(response.status, out);
  if (!response.body || req.method === "HEAD") {
    res.end();
    return;
  }
  Readable.fromWeb(response.body as unknown as NodeReadableStream).pipe(res);
}
