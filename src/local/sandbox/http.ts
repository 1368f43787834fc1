/**
 * Request/response plumbing shared by the fake servers. Handlers are functions from a fully read
 * {@link SandboxRequest} to a {@link Reply}; only the outer layer touches sockets, which is what lets a
 * fault apply a request and then drop its answer (`lost_response`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** A request whose body has been read. */
export interface SandboxRequest {
  method: string;
  url: URL;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
}

/** What a handler wants sent back. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON unless it is already a string. */
  body?: unknown;
}

// Bodies above 10 MB are refused: a 100-operation $batch is ~40 KB, so this only stops runaway clients.
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Thrown by {@link readRequest} for oversized bodies. */
export class BodyTooLargeError extends Error {}

/**
 * Reads method, URL, headers and the whole body of an incoming request.
 *
 * @example
 * const request = await readRequest(req, "http://127.0.0.1:4010");
 */
export async function readRequest(req: IncomingMessage, origin: string): Promise<SandboxRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const piece of req) {
    const buf = piece as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return {
    method: req.method ?? "GET",
    // Links the sandbox writes (@odata.nextLink, Location) must work for the client that asked, so the
    // origin comes from its Host header; the listen address is only the fallback.
    url: requestUrl(req.url ?? "/", headers.host, origin),
    headers,
    body: Buffer.concat(chunks).toString("utf8"),
  };
}

function requestUrl(path: string, host: string | undefined, fallback: string): URL {
  if (host !== undefined) {
    try {
      return new URL(path, `http://${host}`);
    } catch {
      // A malformed Host header: fall back to the listen address.
    }
  }
  return new URL(path, fallback);
}

/**
 * Writes a {@link Reply} (JSON unless the body is a string).
 *
 * @example
 * writeReply(res, json(200, { ok: true }));
 */
export function writeReply(res: ServerResponse, reply: Reply): void {
  const isText = typeof reply.body === "string";
  const payload =
    reply.body === undefined ? "" : isText ? (reply.body as string) : JSON.stringify(reply.body);
  const headers: Record<string, string> = { ...reply.headers };
  if (payload !== "" && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["Content-Type"] = isText ? "text/plain; charset=utf-8" : "application/json; charset=utf-8";
  }
  headers["Content-Length"] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/**
 * A JSON reply.
 *
 * @example
 * return json(400, { error: { code: "invalid_fault", message: "count must be ≥ 1" } });
 */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

/** Parses a JSON body or returns `undefined` for empty/invalid input. */
export function tryParseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
