import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * PostgREST itself has no body limit; Kong's default `client_max_body_size` is larger still. 1 MiB
 * is a hundred times the largest RPC body the product sends (two short arguments) and keeps one
 * request from holding much memory.
 */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** Thrown by {@link readBody} when a body exceeds its limit; answered with 413. */
export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
  constructor(readonly limit: number) {
    super(`Request body exceeds ${limit} bytes`);
  }
}

/**
 * Reads a request body up to `limit` bytes; stops reading (and rejects) as soon as it is exceeded.
 * @example const body = await readBody(req, DEFAULT_BODY_LIMIT_BYTES);
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLargeError(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.resume();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on("error", (error) => {
      if (!done) {
        done = true;
        reject(error);
      }
    });
  });
}

/** Response headers that every answer carries (CORS, like Supabase's Kong `cors` plugin). */
export function corsHeaders(req: IncomingMessage): Record<string, string> {
  return {
    "Access-Control-Allow-Origin": "*",
    // Browsers hide other response headers from scripts; supabase-js reads Content-Range for counts.
    "Access-Control-Expose-Headers":
      "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit, Retry-After, Proxy-Status, X-Supabase-Api-Version, Preference-Applied",
    ...(req.headers.origin ? { Vary: "Origin" } : {}),
  };
}

/**
 * Answers a CORS preflight the way Kong's cors plugin does: any origin, the usual methods, the
 * requested headers echoed back, cached for a day.
 * @example if (req.method === "OPTIONS") return answerPreflight(req, res);
 */
export function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  const requested = req.headers["access-control-request-headers"];
  res.writeHead(200, {
    ...corsHeaders(req),
    "Access-Control-Allow-Methods": "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS",
    "Access-Control-Allow-Headers":
      typeof requested === "string" && requested.length <= 4096
        ? requested
        : "authorization, x-client-info, apikey, content-type, accept-profile, content-profile, prefer, range, x-supabase-api-version",
    "Access-Control-Max-Age": "86400",
    "Content-Length": "0",
  });
  res.end();
}

/**
 * Writes a JSON response (omits the body for HEAD).
 * @example sendJson(req, res, 200, { ok: true });
 */
export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendText(req, res, status, JSON.stringify(body), {
    "Content-Type": "application/json; charset=utf-8",
    ...headers,
  });
}

/** Writes a text body with its exact byte length (omits the body for HEAD). */
export function sendText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string>,
): void {
  const bytes = Buffer.from(text, "utf8");
  res.writeHead(status, { ...corsHeaders(req), ...headers, "Content-Length": String(bytes.length) });
  res.end(req.method === "HEAD" ? undefined : bytes);
}

/** The lower-cased request headers as one JSON object (PostgREST's `request.headers`). */
export function headersObject(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** The value of a single-valued header, or undefined. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
