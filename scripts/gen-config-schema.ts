/**
 * Writes a migration that redefines sync_engine.integration_schema from the zod schemas in
 * src/integrations/config.ts. Run after changing a config or credentials schema:
 *   npm run gen:config-schema -- <migration timestamp, e.g. 20261201090000>
 * Never edits an existing migration; test/integrations/configSchema.test.ts fails until it is run.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { integrationSchemaMigration } from "../src/integrations/configSchema.ts";

const stamp = process.argv[2];
if (!stamp || !/^\d{14}$/.test(stamp)) {
  console.error("usage: npm run gen:config-schema -- <14-digit migration timestamp>");
  process.exit(2);
}
const file = fileURLToPath(
  new URL(`../supabase/migrations/${stamp}_integration_config_schema.sql`, import.meta.url),
);
writeFileSync(file, integrationSchemaMigration(), { flag: "wx" });
console.log(`wrote ${file}`);
