import { defineConfig } from "vitest/config";

// `npm run test:chaos`: the reliability suite against a throwaway PostgreSQL cluster with worker
// child processes. Minutes, not seconds, so it is kept out of `npm test`.
export default defineConfig({
  test: {
    include: ["test/chaos/**/*.chaos.ts"],
    testTimeout: 15 * 60_000,
    hookTimeout: 120_000,
  },
});
