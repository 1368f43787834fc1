import { randomUUID } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrate } from "../src/db/migrate.ts";
import { dumpPglite, openPglite } from "../src/db/pglite.ts";
import { openPostgres } from "../src/db/postgres.ts";
import { adminUrl, databaseUrlFor } from "./helpers/pgUrl.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A migrated PGlite data dir tarball; each test file starts from it (≈ 0.6 s vs ≈ 4 s). */
    pgliteTemplateFile: string;
    /** A migrated template database on DATABASE_URL's server, or "" when DATABASE_URL is unset. */
    postgresTemplateDb: string;
  }
}

/** Migrates once per run, into templates that every test file clones. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const pglite = await openPglite();
  await migrate(pglite);
  const file = join(tmpdir(), `sync-scheduler-template-${process.pid}-${randomUUID()}.tar`);
  await writeFile(file, Buffer.from(await (await dumpPglite(pglite)).arrayBuffer()));
  await pglite.close();
  project.provide("pgliteTemplateFile", file);

  const url = process.env.DATABASE_URL;
  // A template prepared elsewhere (scripts/supabase-postgres.sh's supabase_template: the
  // migrations pushed by the Supabase CLI onto Supabase's role layout) is used as it is, not dropped.
  const givenTemplate = process.env.POSTGRES_TEMPLATE_DB ?? "";
  let templateDb = givenTemplate;
  if (url && !givenTemplate) {
    templateDb = `sync_test_template_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl(url) });
    await admin.connect();
    await admin.query(`drop database if exists ${templateDb}`);
    await admin.query(`create database ${templateDb}`);
    await admin.end();
    const db = openPostgres({ connectionString: databaseUrlFor(url, templateDb), max: 2 });
    await migrate(db);
    await db.close();
  }
  project.provide("postgresTemplateDb", templateDb);

  return async () => {
    await rm(file, { force: true });
    if (url && templateDb && !givenTemplate) {
      const admin = new pg.Client({ connectionString: adminUrl(url) });
      await admin.connect();
      await admin.query(`drop database if exists ${templateDb} with (force)`);
      await admin.end();
    }
  };
}
