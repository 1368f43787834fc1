import type { WebSocket } from "ws";
import type { JwtClaims } from "../jwt.ts";
import type { ChangeFeed } from "./changeFeed.ts";
import type { ChangeData } from "./changes.ts";
import { type Channel, parseBindings } from "./channel.ts";
import { decode, encode, encodeChange, type PhxMessage, type Vsn } from "./serializer.ts";
import { verifyRealtimeToken } from "./tokens.ts";

/** Per-socket bounds. Realtime's tenant defaults are 100 channels per client and 100 joins/s. */
export const LIMITS = {
  channelsPerSocket: 100,
  joinsPerSecond: 100,
  bindingsPerChannel: 100,
  // realtime-js heartbeats every 25 s; a burst of 200 messages in one second is abuse, not a client.
  messagesPerSecond: 200,
  // Phoenix closes a socket that sent nothing (not even a heartbeat) for 60 s.
  idleMs: 60_000,
  // Realtime re-confirms a token at most every hour (@confirm_token_ms_max_interval).
  tokenRecheckMaxMs: 3_600_000,
};

export interface ConnectionOptions {
  vsn: Vsn;
  /** The connection's API key (query `apikey` or header `x-api-key`), already verified. */
  token: string;
  claims: JwtClaims;
  jwtSecret: string;
  feed: ChangeFeed;
  log: (event: object) => void;
  /** The upgraded TCP socket under `ws`: corked while a tick's frames are written. */
  socket?: { cork(): void; uncork(): void } | undefined;
}

/** One Realtime WebSocket speaking Phoenix channels: join/leave, heartbeats, access_token, change delivery. */
export class RealtimeConnection {
  readonly #channels = new Map<string, Channel>();
  #joins: number[] = [];
  #messages = { windowStart: 0, count: 0 };
  #idle: NodeJS.Timeout | null = null;
  #closed = false;
  #corked = false;

  readonly #ws: WebSocket;
  readonly #opts: ConnectionOptions;

  constructor(ws: WebSocket, opts: ConnectionOptions) {
    this.#ws = ws;
    this.#opts = opts;
    ws.on("message", (data, isBinary) => {
      // Binary frames are Realtime's broadcast protocol, which this gateway does not serve.
      if (isBinary) return;
      this.#onText(data.toString());
    });
    ws.on("close", () => this.#dispose());
    ws.on("error", () => this.#dispose());
    this.#touch();
  }

  /** Closes the socket (server shutdown). */
  close(code = 1001, reason = "server shutting down"): void {
    this.#dispose();
    if (this.#ws.readyState === this.#ws.OPEN || this.#ws.readyState === this.#ws.CONNECTING)
      this.#ws.close(code, reason);
  }

  #dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idle) clearTimeout(this.#idle);
    for (const ch of this.#channels.values()) this.#dropChannel(ch);
    this.#channels.clear();
  }

  #touch(): void {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.close(1000, "idle timeout"), LIMITS.idleMs);
    this.#idle.unref();
  }

  #send(msg: PhxMessage): void {
    this.#write(encode(msg, this.#opts.vsn));
  }

  #write(frame: string): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    // ws writes every frame with its own writev; a burst sends many frames per socket in one
    // tick, so they leave as one write when the tick ends (1,000 frames: ≈ 17 ms of writev on
    // PGlite at load ≈ 6, docs/benchmarks.md section 4).
    const socket = this.#opts.socket;
    if (socket && !this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        socket.uncork();
      });
    }
    this.#ws.send(frame);
  }

  #reply(msg: PhxMessage, status: "ok" | "error", response: Record<string, unknown>): void {
    this.#send({
      join_ref: msg.join_ref,
      ref: msg.ref,
      topic: msg.topic,
      event: "phx_reply",
      payload: { status, response },
    });
  }

  #system(ch: Channel, status: "ok" | "error", message: string, extension: string): void {
    this.#send({
      join_ref: ch.joinRef,
      ref: null,
      topic: ch.topic,
      event: "system",
      payload: { message, status, extension, channel: ch.topic.slice("realtime:".length) },
    });
  }

  #onText(text: string): void {
    if (this.#closed) return;
    const now = Date.now();
    if (now - this.#messages.windowStart >= 1000) this.#messages = { windowStart: now, count: 0 };
    if (++this.#messages.count > LIMITS.messagesPerSecond) {
      this.#opts.log({ event: "realtime_rate_limited" });
      this.close(1008, "Too many messages per second");
      return;
    }
    this.#touch();
    const msg = decode(text, this.#opts.vsn);
    if (!msg) {
      this.#opts.log({ event: "realtime_frame_invalid", bytes: text.length });
      return;
    }
    if (msg.topic === "phoenix") {
      if (msg.event === "heartbeat") this.#reply(msg, "ok", {});
      return;
    }
    if (msg.event === "phx_join") {
      void this.#join(msg).catch((error: unknown) => {
        this.#opts.log({ event: "realtime_join_failed", error: String(error) });
        this.#reply(msg, "error", { reason: "UnknownErrorOnChannel: Unknown Error on Channel" });
      });
      return;
    }
    const ch = this.#channels.get(msg.topic);
    if (!ch) {
      this.#reply(msg, "error", { reason: "unmatched topic" });
      return;
    }
    if (msg.event === "phx_leave") {
      this.#reply(msg, "ok", {});
      this.#closeChannel(ch);
      return;
    }
    if (msg.event === "access_token") {
      void this.#updateToken(ch, msg.payload.access_token);
      return;
    }
    // broadcast / presence and unknown events: ignored, as Realtime ignores unexpected client events.
  }

  async #join(msg: PhxMessage): Promise<void> {
    const topic = msg.topic;
    if (!topic.startsWith("realtime:")) return this.#reply(msg, "error", { reason: "unmatched topic" });
    if (topic === "realtime:")
      return this.#reply(msg, "error", { reason: "TopicNameRequired: You must provide a topic name" });

    const now = Date.now();
    this.#joins = this.#joins.filter((t) => now - t < 1000);
    if (this.#joins.length >= LIMITS.joinsPerSecond) {
      this.#reply(msg, "error", { reason: "ClientJoinRateLimitReached: Too many joins per second" });
      this.close(1008, "Too many joins per second");
      return;
    }
    this.#joins.push(now);

    // A second join of the same topic replaces the first (Phoenix closes the old one).
    const existing = this.#channels.get(topic);
    if (existing) this.#closeChannel(existing);
    if (this.#channels.size >= LIMITS.channelsPerSocket) {
      return this.#reply(msg, "error", { reason: "ChannelRateLimitReached: Too many channels" });
    }

    const payload = msg.payload;
    const presented =
      typeof payload.access_token === "string"
        ? payload.access_token
        : typeof payload.user_token === "string"
          ? payload.user_token
          : undefined;
    // `sb_…` keys are not JWTs: Realtime falls back to the connection's key.
    const token = presented && !presented.startsWith("sb_") ? presented : this.#opts.token;
    const verified =
      token === this.#opts.token
        ? { ok: true as const, claims: this.#opts.claims, exp: Number(this.#opts.claims.exp) }
        : await verifyRealtimeToken(token, this.#opts.jwtSecret);
    if (!verified.ok) return this.#reply(msg, "error", { reason: verified.reason });

    const config =
      typeof payload.config === "object" && payload.config !== null
        ? (payload.config as Record<string, unknown>)
        : {};
    const requested = parseBindings(config.postgres_changes, LIMITS.bindingsPerChannel);
    if (typeof requested === "string") {
      return this.#reply(msg, "error", { reason: `InvalidJoinPayload: ${requested}` });
    }
    if (this.#closed) return;

    const ch: Channel = {
      topic,
      joinRef: msg.join_ref,
      role: String(verified.claims.role),
      claims: verified.claims,
      token,
      bindings: requested.map((r) => r.binding),
      unsubscribe: () => {},
      expiryTimer: null,
    };
    this.#channels.set(topic, ch);
    this.#armExpiry(ch, verified.exp);
    this.#reply(
      msg,
      "ok",
      requested.length === 0
        ? {}
        : { postgres_changes: requested.map((r) => ({ ...r.raw, id: r.binding.id })) },
    );
    if (requested.length > 0) await this.#subscribe(ch);
  }

  /** Subscribes the channel's bindings to the change feed, then says so (or why not) with a `system` message. */
  async #subscribe(ch: Channel): Promise<void> {
    for (const b of ch.bindings) {
      const problem = await this.#opts.feed.bindingError(b);
      if (problem) {
        if (this.#channels.get(ch.topic) === ch) this.#system(ch, "error", problem, "postgres_changes");
        return;
      }
    }
    if (this.#channels.get(ch.topic) !== ch) return;
    ch.unsubscribe();
    ch.unsubscribe = this.#opts.feed.subscribe({
      identity: () => ({ role: ch.role, claims: ch.claims }),
      bindings: ch.bindings,
      deliver: (ids: number[], data: ChangeData) =>
        this.#write(encodeChange(ch.topic, ids, data, this.#opts.vsn)),
    });
    this.#system(ch, "ok", "Subscribed to PostgreSQL", "postgres_changes");
  }

  #armExpiry(ch: Channel, exp: number): void {
    if (ch.expiryTimer) clearTimeout(ch.expiryTimer);
    const ms = Math.min(Math.max(exp * 1000 - Date.now(), 0), LIMITS.tokenRecheckMaxMs);
    ch.expiryTimer = setTimeout(() => {
      void verifyRealtimeToken(ch.token, this.#opts.jwtSecret).then((r) => {
        if (this.#channels.get(ch.topic) !== ch) return;
        if (r.ok) this.#armExpiry(ch, r.exp);
        else this.#shutdown(ch, r.reason.replace(/^[A-Za-z]+: /, ""));
      });
    }, ms);
    ch.expiryTimer.unref();
  }

  /** Realtime's `access_token` message: re-verify, then serve the channel with the new claims (RLS). */
  async #updateToken(ch: Channel, value: unknown): Promise<void> {
    if (typeof value !== "string" || value === ch.token || value.startsWith("sb_")) return;
    const r = await verifyRealtimeToken(value, this.#opts.jwtSecret);
    if (this.#channels.get(ch.topic) !== ch) return;
    if (!r.ok) return this.#shutdown(ch, r.reason.replace(/^[A-Za-z]+: /, ""));
    ch.token = value;
    ch.role = String(r.claims.role);
    ch.claims = r.claims;
    this.#armExpiry(ch, r.exp);
    if (ch.bindings.length > 0) await this.#subscribe(ch);
  }

  /** Realtime's shutdown_response: a `system` error on the channel, then `phx_close`. */
  #shutdown(ch: Channel, message: string): void {
    this.#system(ch, "error", message, "system");
    this.#closeChannel(ch);
  }

  #closeChannel(ch: Channel): void {
    this.#dropChannel(ch);
    if (this.#channels.get(ch.topic) === ch) this.#channels.delete(ch.topic);
    // Phoenix sends phx_close with ref = join_ref when a channel process ends.
    this.#send({ join_ref: ch.joinRef, ref: ch.joinRef, topic: ch.topic, event: "phx_close", payload: {} });
  }

  #dropChannel(ch: Channel): void {
    ch.unsubscribe();
    ch.unsubscribe = () => {};
    if (ch.expiryTimer) clearTimeout(ch.expiryTimer);
    ch.expiryTimer = null;
  }
}
