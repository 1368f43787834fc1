import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Db } from "../../db/types.ts";
import { handleAuth } from "./auth/routes.ts";
import { type FunctionHandler, handleFunction } from "./functions.ts";
import { answerPreflight, DEFAULT_BODY_LIMIT_BYTES, sendJson } from "./http.ts";
import { apiKeys, DEFAULT_JWT_SECRET } from "./jwt.ts";
import { applyLocalSql } from "./localSql.ts";
import { REALTIME_PATH, startRealtime } from "./realtime/server.ts";
import { handleRest } from "./rest/router.ts";
import { SCHEMA_CACHE_CHANNEL, SchemaCache } from "./rest/schemaCache.ts";
import { serveStatic } from "./static.ts";

export type { FunctionHandler } from "./functions.ts";
export { apiKeys, DEFAULT_JWT_SECRET, signJwt, verifyJwt } from "./jwt.ts";

/** Supabase's local API port (supabase/cli). */
export const DEFAULT_PORT = 54321;
export const DEFAULT_HOST = "127.0.0.1";

export interface GatewayOptions {
  db: Db;
  /** Default 54321; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default {@link DEFAULT_JWT_SECRET}. */
  jwtSecret?: string;
  /** Edge Function handlers served at `/functions/v1/<name>`. */
  functions?: Record<string, FunctionHandler>;
  /** Require a valid JWT for functions, like Supabase's `verify_jwt = true` (default true). */
  functionsVerifyJwt?: boolean;
  /** The dashboard build, served at `/` with single-page-app fallback. */
  staticDir?: string;
  /** Mounted before the static files; return true when it answered the request. */
  extraHandler?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** Structured events (errors, refused connections); default: none. */
  logger?: (event: object) => void;
  /** Request body limit in bytes for REST, Auth and Functions; default 1 MiB. */
  bodyLimitBytes?: number;
}

export interface Gateway {
  /** e.g. `http://127.0.0.1:54321` — what `createClient` takes. */
  url: string;
  port: number;
  anonKey: string;
  serviceRoleKey: string;
  close(): Promise<void>;
}

/** 127.0.0.0/8, ::1 and localhost: the only binds allowed with the well-known default secret. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

function prefixed(pathname: string, prefix: string): string | null {
  if (pathname === prefix) return "/";
  return pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : null;
}

/**
 * Starts the Supabase-compatible local gateway (docs/architecture.md §6) over one database: PostgREST-style
 * `/rest/v1`, GoTrue-style `/auth/v1`, Realtime at `/realtime/v1/websocket`, Edge Functions at
 * `/functions/v1`, and the dashboard at `/`. Unmodified supabase-js works against it. Applies
 * the gateway's local-only SQL (refresh tokens, change capture) first, idempotently; the
 * database must already be migrated (`migrate(db)`). Refuses a non-loopback `host` while the
 * JWT secret is the public default: anyone could mint a service_role token for it.
 * @example
 * const gw = await startGateway({ db, port: 0 });
 * const supabase = createClient(gw.url, gw.anonKey, { realtime: { transport: WebSocket } });
 * await gw.close();
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const db = opts.db;
  const jwtSecret = opts.jwtSecret ?? DEFAULT_JWT_SECRET;
  const host = opts.host ?? DEFAULT_HOST;
  const log = opts.logger ?? (() => {});
  const bodyLimit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!isLoopback(host) && jwtSecret === DEFAULT_JWT_SECRET) {
    throw new Error(
      `Refusing to listen on ${host} with the default JWT secret; pass jwtSecret (SUPABASE_JWT_SECRET)`,
    );
  }
  const keys = await apiKeys(jwtSecret);
  await applyLocalSql(db);
  const schemaCache = new SchemaCache();
  // PostgREST's reload signal; the listener also calls back once on every (re)connect, which
  // empties the cache after a gap in which notifications may have been lost.
  const unlistenSchema = await db.listen(SCHEMA_CACHE_CHANNEL, () => schemaCache.clear());
  const realtime = await startRealtime({ db, jwtSecret, log }).catch(async (error: unknown) => {
    await unlistenSchema();
    throw error;
  });

  let url = "";
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parsed = new URL(req.url ?? "/", "http://localhost");
    const path = parsed.pathname;
    const api =
      prefixed(path, "/rest/v1") ??
      prefixed(path, "/auth/v1") ??
      prefixed(path, "/functions/v1") ??
      prefixed(path, "/realtime/v1");
    if (api !== null && req.method === "OPTIONS") return answerPreflight(req, res);

    let sub = prefixed(path, "/rest/v1");
    if (sub !== null) {
      return handleRest(req, res, sub, parsed.searchParams, { db, jwtSecret, bodyLimit, schemaCache });
    }
    sub = prefixed(path, "/auth/v1");
    if (sub !== null) {
      return handleAuth(req, res, sub, parsed.searchParams, {
        db,
        jwtSecret,
        bodyLimit,
        issuer: `${url}/auth/v1`,
      });
    }
    sub = prefixed(path, "/functions/v1");
    if (sub !== null) {
      return handleFunction(req, res, sub, {
        functions: opts.functions ?? {},
        jwtSecret,
        verifyJwt: opts.functionsVerifyJwt ?? true,
        bodyLimit,
        origin: url,
      });
    }
    if (opts.extraHandler && (await opts.extraHandler(req, res))) return;
    if (req.method === "OPTIONS") return answerPreflight(req, res);
    if (opts.staticDir && path.startsWith("/") && !path.startsWith("/realtime/")) {
      return serveStatic(req, res, path, opts.staticDir);
    }
    sendJson(req, res, 404, { message: "no Route matched with those values" });
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      log({ event: "gateway_error", method: req.method, path: req.url?.split("?")[0], error: String(error) });
      if (!res.headersSent) sendJson(req, res, 500, { message: "Internal gateway error" });
      else res.destroy();
    });
  });
  server.on("upgrade", (req, socket, head) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== REALTIME_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    realtime.handleUpgrade(req, socket, head).catch((error: unknown) => {
      log({ event: "realtime_upgrade_failed", error: String(error) });
      socket.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? DEFAULT_PORT, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log({ event: "gateway_listening", url });

  return {
    url,
    port,
    anonKey: keys.anonKey,
    serviceRoleKey: keys.serviceRoleKey,
    async close() {
      await realtime.close();
      await unlistenSchema();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
