import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { WebSocket } from "ws";
import { DEMO } from "../gateway/harness.ts";

/** One HTTP request supabase-js made, as the server would see it. */
export interface RecordedRequest {
  method: string;
  url: URL;
  body: unknown;
}

/** A fetch that records every request before passing it on. */
export function recordingFetch(log: RecordedRequest[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const raw = init?.body;
    let body: unknown = null;
    if (typeof raw === "string") {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    log.push({ method: init?.method ?? "GET", url, body });
    return fetch(input, init);
  };
}

/** A WebSocket whose every connection fails: Realtime is down, REST still works. */
export class DeadWebSocket extends WebSocket {
  constructor(_url: string | URL, protocols?: string | string[]) {
    // Port 1 on loopback: connection refused at once, no waiting on a timeout.
    super("ws://127.0.0.1:1/realtime/v1/websocket", protocols);
  }
}

/** Creates supabase-js clients against one gateway and closes them all at the end. */
export class ClientPool {
  private readonly clients: SupabaseClient[] = [];
  constructor(
    readonly url: string,
    readonly anonKey: string,
  ) {}

  client(options: { fetch?: typeof fetch; transport?: unknown; url?: string } = {}): SupabaseClient {
    const c = createClient(options.url ?? this.url, this.anonKey, {
      realtime: { transport: (options.transport ?? WebSocket) as never },
      auth: { persistSession: false, autoRefreshToken: false },
      ...(options.fetch ? { global: { fetch: options.fetch } } : {}),
    });
    this.clients.push(c);
    return c;
  }

  async signedIn(
    email: string,
    options: { fetch?: typeof fetch; transport?: unknown } = {},
  ): Promise<SupabaseClient> {
    const c = this.client(options);
    const { error } = await c.auth.signInWithPassword({ email, password: DEMO.password });
    if (error) throw new Error(`sign-in failed for ${email}: ${error.message}`);
    return c;
  }

  async close(): Promise<void> {
    for (const c of this.clients.splice(0)) {
      await c.removeAllChannels();
      c.realtime.disconnect();
    }
  }
}
