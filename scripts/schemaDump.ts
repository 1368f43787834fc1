/**
 * supabase/schema.sql: the live schema of `public`, `sync_engine` and `sync_auth` after every
 * migration, so a reader sees what is deployed now instead of replaying ten migrations in their head
 * (graphile-worker keeps a generated dump the same way). Generated, never edited:
 *
 *   npm run schema:dump            # rewrite supabase/schema.sql and the migrations' "Superseded" lines
 *   npm run schema:dump -- --check # exit 1 when either is stale (test/db/schema.test.ts does the same)
 *
 * It migrates a throwaway database on DATABASE_URL's server (default the machine's PostgreSQL 15)
 * with the project's runner and dumps it with that server's pg_dump, normalised so the file
 * changes only when the schema does.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { migrate } from "../src/db/migrate.ts";
import { openPostgres } from "../src/db/postgres.ts";
import { staleHeaders, writeHeaders } from "./migrationHeaders.ts";

const run = promisify(execFile);
export const schemaFile = fileURLToPath(new URL("../supabase/schema.sql", import.meta.url));
const SCHEMAS = ["public", "sync_engine", "sync_auth"];

const HEADER = `-- GENERATED FILE: do not edit. \`npm run schema:dump\` writes it from supabase/migrations.
-- The live schema of public, sync_engine and sync_auth after every migration (pg_dump --schema-only,
-- normalised). Migrations are history; this is what is deployed now. test/db/schema.test.ts fails
-- when a migration changes the schema and this file was not regenerated.
`;

/** Drops what differs between two dumps of the same schema: pg_dump's per-run \restrict key and versions. */
export function normaliseDump(dump: string): string {
  const lines = dump
    .split("\n")
    .filter((l) => !/^\\(un)?restrict /.test(l) && !/^-- Dumped (from|by) /.test(l));
  return `${HEADER}${lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim()}\n`;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Migrates a fresh database on `serverUrl`'s server, dumps it, drops it. */
export async function dumpLiveSchema(serverUrl: string): Promise<string> {
  const name = `sync_schema_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, "postgres") });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
    const url = withDatabase(serverUrl, name);
    const db = openPostgres({ connectionString: url, max: 2 });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    const args = ["--schema-only", "--no-owner", ...SCHEMAS.flatMap((s) => ["-n", s]), url];
    const { stdout } = await run("pg_dump", args, { maxBuffer: 64 * 1024 * 1024 });
    return normaliseDump(stdout);
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const serverUrl = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
  if (process.argv.includes("--check")) {
    const fresh = await dumpLiveSchema(serverUrl);
    const current = await readFile(schemaFile, "utf8").catch(() => "");
    const stale = staleHeaders();
    if (current !== fresh || stale.length > 0) {
      console.error(
        `${current !== fresh ? "supabase/schema.sql is stale. " : ""}${stale.length ? `Superseded headers are stale in ${stale.join(", ")}. ` : ""}Run \`npm run schema:dump\` and commit.`,
      );
      process.exit(1);
    }
    console.log("supabase/schema.sql and the migrations' Superseded lines are up to date.");
  } else {
    for (const file of writeHeaders()) console.log(`header: ${file}`);
    await writeFile(schemaFile, await dumpLiveSchema(serverUrl));
    console.log(`wrote ${schemaFile}`);
  }
}
