import { defineConfig } from "vitest/config";

// `npm run test:browser`: the dashboard in Debian chromium via playwright-core. Kept out of
// `npm test` so the README's test command needs nothing but Node; .ci/run installs chromium.
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
