#!/usr/bin/env node
// Two ways to run, chosen by what is next to this file:
// - In a checkout (src/cli.ts exists) it runs the TypeScript sources through tsx, a dev dependency:
//   the sources are the truth there — a dist/ built before later edits would run stale code — and
//   `npm start` and the child-process tests need no build step.
// - In the installed package (no src/ ships) it runs the compiled dist/cli.js: plain Node, no tsx,
//   no compilation at start. `npm run build` writes dist/; `prepack` runs it.
import { existsSync } from "node:fs";

const source = new URL("../src/cli.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import("../dist/cli.js");
}
