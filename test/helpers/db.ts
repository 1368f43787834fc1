import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import pg from "pg";
import { inject } from "vitest";
import { openPglite } from "../../src/db/pglite.ts";
import { openPostgres } from "../../src/db/postgres.ts";
import type { Db } from "../../src/db/types.ts";
import { adminUrl, databaseUrlFor } from "./pgUrl.ts";

export type TestDbKind = "pglite" | "postgres";

/** PGlite always; PostgreSQL too when DATABASE_URL is set (CI sets it). */
export function testDbKinds(): TestDbKind[] {
  return inject("postgresTemplateDb") ? ["pglite", "postgres"] : ["pglite"];
}

export interface TestDb {
  db: Db;
  kind: TestDbKind;
  /** For tests that need more connections of their own (PostgreSQL only). */
  url?: string;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: a PGlite loaded from the template tarball, or a
 * PostgreSQL database created from the template database. Dropped on close.
 */
export async function openTestDb(kind: TestDbKind, poolSize = 10): Promise<TestDb> {
  if (kind === "pglite") {
    const tar = await readFile(inject("pgliteTemplateFile"));
    const db = await openPglite({ loadDataDir: new Blob([tar]) });
    return { db, kind, close: () => db.close() };
  }
  const base = process.env.DATABASE_URL;
  const template = inject("postgresTemplateDb");
  if (!base || !template) throw new Error("PostgreSQL tests need DATABASE_URL");
  const name = `sync_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: adminUrl(base) });
  await admin.connect();
  await admin.query(`create database ${name} template ${template}`);
  await admin.end();
  const url = databaseUrlFor(base, name);
  const db = openPostgres({ connectionString: url, max: poolSize });
  return {
    db,
    kind,
    url,
    async close() {
      await db.close();
      const a = new pg.Client({ connectionString: adminUrl(base) });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
