import { defineConfig } from "vitest/config";

// `npm run test:supabase`: deployment tests on a PostgreSQL laid out the way Supabase lays it out
// (scripts/supabase-postgres.sh: role layout, GoTrue's auth schema, real pg_cron, pg_net, Vault),
// with this project's migrations pushed by the Supabase CLI. One cluster per run, started by the
// global setup; the files share it (pg_cron runs in its `postgres` database), so they run one at a time.
export default defineConfig({
  test: {
    include: ["test/supabase/**/*.test.ts"],
    globalSetup: ["test/supabase/globalSetup.ts"],
    fileParallelism: false,
    // Building the cluster and pushing the migrations takes ≈ 50 s on 2 cores; the lost-dispatch
    // test waits for pg_cron's next minute boundary (≤ 60 s) plus the run itself.
    hookTimeout: 300_000,
    testTimeout: 180_000,
  },
});
