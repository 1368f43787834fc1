import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The dashboard (web/) builds into web/dist, which `sync-scheduler start` serves at `/`.
// `SYNC_WEB_OUT_DIR` redirects the build (the browser tests build into a temp dir).
export default defineConfig({
  root: fileURLToPath(new URL("./web", import.meta.url)),
  // Relative asset URLs: the build works wherever it is served from.
  base: "./",
  plugins: [react()],
  build: {
    outDir: process.env.SYNC_WEB_OUT_DIR ?? fileURLToPath(new URL("./web/dist", import.meta.url)),
    emptyOutDir: true,
    // Maps are written for debugging a checkout's build but not referenced from the bundle: the
    // package leaves them out (package.json `files`), and a reference would 404 there.
    sourcemap: "hidden",
    // React + supabase-js (auth, realtime, postgrest) is ≈ 490 kB minified, 140 kB gzipped: one
    // chunk is fine for a dashboard served from the same machine.
    chunkSizeWarningLimit: 600,
  },
});
