import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { WebSocket } from "ws";
import { migrate } from "../../src/db/migrate.ts";
import { type Gateway, type GatewayOptions, startGateway } from "../../src/local/gateway/index.ts";
import { openTestDb, type TestDb, type TestDbKind } from "../helpers/db.ts";

/** Seeded identities (supabase/seed.sql). */
export const DEMO = {
  orgId: "d0000000-0000-4000-8000-000000000001",
  otherOrgId: "d0000000-0000-4000-8000-000000000002",
  password: "demo-password",
  admin: "admin@demo.test",
  coordinator: "coordinator@demo.test",
  viewer: "viewer@demo.test",
  otherCoordinator: "coordinator@other.test",
  coordinatorId: "a0000000-0000-4000-8000-000000000002",
};

export interface GatewayHarness {
  t: TestDb;
  gw: Gateway;
  /** A fresh supabase-js client (anon key, no persisted session). */
  client(): SupabaseClient;
  /** A client signed in as `email` with the demo password. */
  signedIn(email: string): Promise<{ client: SupabaseClient; accessToken: string; refreshToken: string }>;
  close(): Promise<void>;
}

/**
 * A fresh migrated and seeded database of `kind` and a gateway on an ephemeral port over it;
 * every client it hands out is closed by `close()`.
 */
export async function openGatewayHarness(
  kind: TestDbKind,
  extra: Partial<GatewayOptions> = {},
): Promise<GatewayHarness> {
  const t = await openTestDb(kind);
  await migrate(t.db, { seed: true });
  const gw = await startGateway({ db: t.db, port: 0, ...extra });
  const clients: SupabaseClient[] = [];
  const client = () => {
    const c = createClient(gw.url, gw.anonKey, {
      realtime: { transport: WebSocket as never },
      auth: { persistSession: false, autoRefreshToken: false },
    });
    clients.push(c);
    return c;
  };
  return {
    t,
    gw,
    client,
    async signedIn(email) {
      const c = client();
      const { data, error } = await c.auth.signInWithPassword({ email, password: DEMO.password });
      if (error || !data.session) throw new Error(`sign-in failed for ${email}: ${error?.message}`);
      return { client: c, accessToken: data.session.access_token, refreshToken: data.session.refresh_token };
    },
    async close() {
      for (const c of clients) await c.removeAllChannels();
      for (const c of clients) c.realtime.disconnect();
      await gw.close();
      await t.close();
    },
  };
}

/** The claims of a JWT, unverified (for assertions). */
export function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<
    string,
    unknown
  >;
}
