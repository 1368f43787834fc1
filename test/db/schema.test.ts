import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { staleHeaders } from "../../scripts/migrationHeaders.ts";
import { dumpLiveSchema, normaliseDump, schemaFile } from "../../scripts/schemaDump.ts";

describe("normaliseDump", () => {
  it("drops pg_dump's per-run restrict key and version lines, keeps the schema", () => {
    const raw =
      "--\n\\restrict abc123\n-- Dumped from database version 15.20\n\n\n\ncreate table t();\n\\unrestrict abc123\n";
    const out = normaliseDump(raw);
    expect(out).toContain("create table t();");
    expect(out).not.toMatch(/restrict|Dumped from|\n\n\n/);
  });
});

describe("migration headers", () => {
  it("every migration whose functions a later one replaced says so in its first line (npm run schema:dump)", () => {
    expect(staleHeaders()).toEqual([]);
  });
});

// pg_dump needs a PostgreSQL server; CI sets DATABASE_URL (PGlite-only runs skip this file's check).
describe.runIf(process.env.DATABASE_URL)("supabase/schema.sql", () => {
  it("is what the migrations produce (run `npm run schema:dump` after changing a migration)", async () => {
    const fresh = await dumpLiveSchema(process.env.DATABASE_URL as string);
    const committed = await readFile(schemaFile, "utf8");
    expect(committed === fresh, "supabase/schema.sql is stale: run `npm run schema:dump`").toBe(true);
  }, 120_000);
});
