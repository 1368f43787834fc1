/**
 * Where the dashboard finds its Supabase API. The gateway serves the dashboard, so the API is the
 * page's own origin. The anon key comes from, in order: build-time env (`VITE_SUPABASE_URL` +
 * `VITE_SUPABASE_ANON_KEY`, for a dashboard deployed against a real Supabase project), `/config.json`
 * served next to the page (`{"anonKey":"…","supabaseUrl":"…"}`), else the local default: the
 * Supabase CLI's well-known demo anon key, which is what `sync-scheduler start` issues with the
 * default JWT secret (public by design; it only grants the anon role).
 */
export const LOCAL_DEMO_ANON_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";

export interface DashboardConfig {
  supabaseUrl: string;
  anonKey: string;
}

/**
 * Resolves the API URL and anon key (see the module comment for the order).
 * @example const { supabaseUrl, anonKey } = await loadConfig();
 */
export async function loadConfig(): Promise<DashboardConfig> {
  const env = (import.meta as { env?: Record<string, string | undefined> }).env ?? {};
  if (env.VITE_SUPABASE_URL && env.VITE_SUPABASE_ANON_KEY) {
    return { supabaseUrl: env.VITE_SUPABASE_URL, anonKey: env.VITE_SUPABASE_ANON_KEY };
  }
  const origin = window.location.origin;
  try {
    const res = await fetch(new URL("config.json", window.location.href), {
      headers: { accept: "application/json" },
    });
    // The gateway answers unknown paths with index.html (SPA fallback): only JSON counts.
    if (res.ok && (res.headers.get("content-type") ?? "").includes("json")) {
      const body = (await res.json()) as Partial<DashboardConfig>;
      if (typeof body.anonKey === "string" && body.anonKey) {
        return {
          supabaseUrl: typeof body.supabaseUrl === "string" ? body.supabaseUrl : origin,
          anonKey: body.anonKey,
        };
      }
    }
  } catch {
    // No config endpoint: fall through to the local default.
  }
  return { supabaseUrl: origin, anonKey: LOCAL_DEMO_ANON_KEY };
}
