import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.{ts,tsx}"],
    // Browser tests need chromium (`npm run test:browser`); the chaos suite and the Supabase
    // deployment suite (`npm run test:supabase`, its own cluster) have their own configs.
    exclude: ["test/browser/**", "test/supabase/**", "node_modules/**"],
    // PGlite cold start is ~3 s and a template clone ~1 s (docs/architecture.md §11);
    // files run in parallel on 2 cores, so give each hook generous room.
    hookTimeout: 60_000,
    testTimeout: 30_000,
    globalSetup: ["test/globalSetup.ts"],
  },
});
