import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPaths, MigrationError, migrate } from "../../src/db/migrate.ts";
import { openPostgres } from "../../src/db/postgres.ts";
import type { Db } from "../../src/db/types.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";

const migrationFiles = (await readdir(defaultPaths.migrationsDir))
  .filter((f) => /^\d+_.*\.sql$/.test(f))
  .sort();
const migrationNames = migrationFiles.map((f) => f.replace(/^\d+_/, "").replace(/\.sql$/, ""));

/** `db`, counting the transactions opened through it (each is a commit). */
function countingTransactions(db: Db): { db: Db; transactions: number } {
  const counter = {
    transactions: 0,
    db: {
      ...db,
      transaction: (fn) => {
        counter.transactions++;
        return db.transaction(fn);
      },
    } satisfies Db,
  };
  return counter;
}

describe.each(testDbKinds())("migration runner on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());

  it("records every migration the way the Supabase CLI does, with its statements", async () => {
    const { rows } = await db.query<{ version: string; name: string; n: number }>(
      "select version, name, cardinality(statements) as n from supabase_migrations.schema_migrations order by version",
    );
    expect(rows.map((r) => r.name)).toEqual(migrationNames);
    expect(migrationNames.slice(0, 4)).toEqual([
      "core_schema",
      "access_control",
      "sync_engine_core",
      "trigger_rpc",
    ]);
    for (const r of rows) expect(r.n).toBeGreaterThan(1);
  });

  it("is a no-op the second time, and skips the bootstrap where Supabase's objects exist", async () => {
    const result = await migrate(db);
    expect(result).toEqual({ bootstrapped: false, applied: [], alreadyApplied: expect.any(Array) });
    expect(result.alreadyApplied).toHaveLength(migrationFiles.length);
  });

  it("on an up-to-date database opens no transaction: no bootstrap check, none per migration", async () => {
    // Each transaction is a commit: 40 of them (the bootstrap check and one per migration) were
    // most of a warm `sync-scheduler start`'s migrate.
    const counting = countingTransactions(db);
    const result = await migrate(counting.db);
    expect(result).toEqual({ bootstrapped: false, applied: [], alreadyApplied: expect.any(Array) });
    expect(counting.transactions).toBe(0);
  });

  it("checks the bootstrap under the lock once a migration is pending, then applies only that one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "migrations-"));
    for (const file of migrationFiles) await writeFile(join(dir, file), "select 1;");
    await writeFile(join(dir, "20980101000000_pending_one.sql"), "create table public.pending_one (id int);");
    const counting = countingTransactions(db);
    const result = await migrate(counting.db, { migrationsDir: dir });
    expect(result.applied).toEqual(["20980101000000"]);
    expect(result.bootstrapped).toBe(false);
    expect(counting.transactions).toBe(2);
  });

  it("applies the seed idempotently", async () => {
    await migrate(db, { seed: true });
    await migrate(db, { seed: true });
    const { rows } = await db.query<{ email: string }>(
      "select email from auth.users where email like '%@%.test' order by email",
    );
    expect(rows.map((r) => r.email)).toEqual([
      "admin@demo.test",
      "coordinator@demo.test",
      "coordinator@other.test",
      "viewer@demo.test",
    ]);
    const ok = await db.query<{ ok: boolean }>(
      "select encrypted_password = extensions.crypt('demo-password', encrypted_password) as ok from auth.users where email = 'viewer@demo.test'",
    );
    expect(ok.rows[0]?.ok).toBe(true);
  });

  it("rolls a failing migration back whole and names the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "migrations-"));
    await writeFile(join(dir, "20990101000000_good.sql"), "create table public.good_one (id int);");
    await writeFile(
      join(dir, "20990101000001_bad.sql"),
      "create table public.half_done (id int);\nselect * from public.does_not_exist;",
    );
    const error = await migrate(db, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).file).toBe("20990101000001_bad.sql");
    expect((error as MigrationError).code).toBe("42P01");
    expect((error as MigrationError).message).toMatch(
      /20990101000001_bad\.sql: relation "public\.does_not_exist" does not exist/,
    );
    const tables = await db.query<{ t: string | null; h: string | null }>(
      "select to_regclass('public.good_one')::text as t, to_regclass('public.half_done')::text as h",
    );
    expect(tables.rows[0]).toEqual({ t: "good_one", h: null });
    const recorded = await db.query(
      "select version from supabase_migrations.schema_migrations where version like '2099%'",
    );
    expect(recorded.rows).toEqual([{ version: "20990101000000" }]);
  });
});

describe.runIf(testDbKinds().includes("postgres"))("concurrent migration runners on PostgreSQL", () => {
  it("two processes migrating one empty database at once apply each migration exactly once", async () => {
    const t = await openTestDb("postgres");
    try {
      // Start from an empty database: drop what the template brought.
      await t.db.exec(
        "drop schema public cascade; create schema public; drop schema supabase_migrations cascade;",
      );
      await t.db.exec("drop schema sync_engine cascade; drop schema sync_auth cascade;");
      await t.db.exec(
        "drop publication if exists supabase_realtime; drop schema auth cascade; grant usage on schema public to anon, authenticated, service_role;",
      );
      const a = openPostgres({ connectionString: t.url as string, max: 2 });
      const b = openPostgres({ connectionString: t.url as string, max: 2 });
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      await a.close();
      await b.close();
      const applied = [...ra.applied, ...rb.applied];
      expect(applied).toHaveLength(migrationFiles.length);
      expect(new Set(applied).size).toBe(migrationFiles.length);
      expect([ra.bootstrapped, rb.bootstrapped].filter(Boolean)).toHaveLength(1);
      const { rows } = await t.db.query(
        "select count(*)::int as n from supabase_migrations.schema_migrations",
      );
      expect(rows[0]).toEqual({ n: migrationFiles.length });
    } finally {
      await t.close();
    }
  });
});

it("reads its SQL from the repo", () => {
  expect(defaultPaths.migrationsDir).toMatch(/supabase\/migrations$/);
});
