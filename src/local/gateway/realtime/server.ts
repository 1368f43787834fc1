import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { Db } from "../../../db/types.ts";
import { ChangeFeed } from "./changeFeed.ts";
import { RealtimeConnection } from "./connection.ts";
import type { Vsn } from "./serializer.ts";
import { verifyRealtimeToken } from "./tokens.ts";

export const REALTIME_PATH = "/realtime/v1/websocket";

// One frame carries one Phoenix message; 1 MiB is far above any join or token message, and
// bounds what a client can make the server buffer.
const MAX_FRAME_BYTES = 1024 * 1024;
// Sockets beyond this are refused at the handshake (Realtime's per-tenant max_concurrent_users is 200
// by default; a local gateway serving one dashboard needs far fewer).
const MAX_CONNECTIONS = 1000;

export interface RealtimeServerOptions {
  db: Db;
  jwtSecret: string;
  log: (event: object) => void;
}

function refuse(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The Realtime endpoint: upgrades `/realtime/v1/websocket?apikey=…&vsn=1.0.0|2.0.0`, verifies
 * the key like Realtime's UserSocket (a JWT with `role` and `exp`; else the handshake is refused
 * with 403), and runs one {@link RealtimeConnection} per socket over a shared {@link ChangeFeed}.
 * @example const rt = await startRealtime({ db, jwtSecret, log }); server.on("upgrade", rt.handleUpgrade);
 */
export async function startRealtime(options: RealtimeServerOptions) {
  const feed = new ChangeFeed(options.db, options.log);
  await feed.start();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const connections = new Set<RealtimeConnection>();

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => {});
    const url = new URL(req.url ?? "/", "http://localhost");
    const vsnParam = url.searchParams.get("vsn") ?? "1.0.0";
    if (vsnParam !== "1.0.0" && vsnParam !== "2.0.0") {
      return refuse(socket, 400, "Bad Request", `Unsupported serializer version ${vsnParam}`);
    }
    if (connections.size >= MAX_CONNECTIONS)
      return refuse(socket, 503, "Service Unavailable", "Too many connections");
    const headerKey = req.headers["x-api-key"];
    const token =
      (Array.isArray(headerKey) ? headerKey[0] : headerKey) ?? url.searchParams.get("apikey") ?? "";
    const verified = await verifyRealtimeToken(token, options.jwtSecret);
    if (!verified.ok) {
      options.log({ event: "realtime_connect_refused", reason: verified.reason });
      return refuse(socket, 403, "Forbidden", verified.reason);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new RealtimeConnection(ws, {
        vsn: vsnParam as Vsn,
        token,
        claims: verified.claims,
        jwtSecret: options.jwtSecret,
        feed,
        log: options.log,
        socket,
      });
      connections.add(conn);
      ws.on("close", () => connections.delete(conn));
    });
  }

  return {
    handleUpgrade,
    async close(): Promise<void> {
      for (const c of connections) c.close();
      connections.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await feed.stop();
    },
  };
}
