// `npm run build:lib`: compiles src/ to dist/ (ESM JavaScript, .d.ts, source maps with the sources
// inlined, since the package ships no src/) and copies the SQL files the code reads at run time
// (src/db/bootstrap/*.sql, src/local/gateway/sql/*.sql) to the same place under dist/, where the
// compiled modules look for them relative to themselves.
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = join(root, "src");
const dist = join(root, "dist");

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const result = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], {
  stdio: "inherit",
});
if (result.status !== 0) process.exit(result.status ?? 1);

let copied = 0;
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".sql")) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(dist, relative(src, from)));
  copied++;
}
console.log(`dist/: compiled src/ and copied ${copied} SQL files beside it`);
