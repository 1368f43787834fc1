import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { corsHeaders, sendJson } from "./http.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

async function fileAt(path: string): Promise<{ path: string; size: number } | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? { path, size: s.size } : null;
  } catch {
    return null;
  }
}

/**
 * Serves the dashboard build: the file at the URL path when it exists inside `root`, else
 * `index.html` (single-page-app fallback). Paths escaping `root` are refused.
 * @example await serveStatic(req, res, "/assets/app.js", "web/dist");
 */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  urlPath: string,
  root: string,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD")
    return sendJson(req, res, 405, { message: "Method Not Allowed" });
  const base = resolve(root);
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return sendJson(req, res, 400, { message: "Bad Request" });
  }
  const candidate = resolve(join(base, normalize(decoded)));
  const inside = candidate === base || candidate.startsWith(base + sep);
  const file = (inside ? await fileAt(candidate) : null) ?? (await fileAt(join(base, "index.html")));
  if (!file) return sendJson(req, res, 404, { message: "Not Found" });
  const type = TYPES[extname(file.path).toLowerCase()] ?? "application/octet-stream";
  res.writeHead(200, {
    ...corsHeaders(req),
    "Content-Type": type,
    "Content-Length": String(file.size),
    // Hashed asset names may be cached; index.html must be revalidated so new builds are picked up.
    "Cache-Control": file.path.endsWith("index.html") ? "no-cache" : "public, max-age=3600",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  createReadStream(file.path).pipe(res);
}
