import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { splitSql } from "./splitSql.ts";
import { type Db, pgError, type Queryable } from "./types.ts";

// Two levels up from src/db (a checkout) and from dist/db (the package): the package root.
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Where the runner finds its SQL by default (the repo's own files; the package ships the same paths). */
export const defaultPaths = {
  migrationsDir: join(repoRoot, "supabase", "migrations"),
  // Next to this module: `npm run build` copies src/**/*.sql into dist/ beside the compiled JS.
  bootstrapFile: fileURLToPath(new URL("./bootstrap/supabase-compat.sql", import.meta.url)),
  seedFile: join(repoRoot, "supabase", "seed.sql"),
};

// Any constant works as long as every runner uses the same one; this is hashtext('sync-scheduler:migrate').
const MIGRATION_LOCK_KEY = "hashtext('sync-scheduler:migrate')";
// The Supabase CLI's file pattern (supabase/cli, `^([0-9]+)_(.*)\.sql$`).
const MIGRATION_FILE = /^([0-9]+)_(.*)\.sql$/;

/** A migration that failed; it was rolled back as a whole. */
export class MigrationError extends Error {
  override readonly name = "MigrationError";
  constructor(
    readonly file: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

export interface MigrateOptions {
  migrationsDir?: string;
  bootstrapFile?: string;
  /** Also apply supabase/seed.sql (idempotent) after the migrations. Default false. */
  seed?: boolean;
  seedFile?: string;
  log?: (event: { event: string; [key: string]: unknown }) => void;
}

export interface MigrateResult {
  bootstrapped: boolean;
  applied: string[];
  alreadyApplied: string[];
}

async function locked<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    // Transaction-scoped: two runners at once serialize per step, and a crash releases it.
    await tx.query(`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    return fn(tx);
  });
}

async function runScript(tx: Queryable, file: string, sql: string): Promise<void> {
  try {
    await tx.exec(sql);
  } catch (error) {
    const e = pgError(error);
    const where = e?.detail ? ` (${e.detail})` : "";
    throw new MigrationError(basename(file), e?.code, `${e?.message ?? String(error)}${where}`);
  }
}

/** True when the Supabase objects the migrations rely on are all present (a real Supabase project). */
async function hasSupabaseBase(tx: Queryable): Promise<boolean> {
  const { rows } = await tx.query<{ ok: boolean }>(`
    select to_regclass('auth.users') is not null
       and to_regprocedure('auth.uid()') is not null
       and to_regprocedure('auth.jwt()') is not null
       and (select count(*) from pg_roles where rolname in ('anon', 'authenticated', 'service_role')) = 3
       and exists (select from pg_publication where pubname = 'supabase_realtime') as ok`);
  return rows[0]?.ok === true;
}

/** The versions in `supabase_migrations.schema_migrations`, or null when the table is missing. */
async function recordedVersions(db: Db): Promise<Set<string> | null> {
  const { rows: table } = await db.query<{ ok: boolean }>(
    "select to_regclass('supabase_migrations.schema_migrations') is not null as ok",
  );
  if (!table[0]?.ok) return null;
  const { rows } = await db.query<{ version: string }>(
    "select version from supabase_migrations.schema_migrations",
  );
  return new Set(rows.map((r) => r.version));
}

/**
 * Creates the migrations table the Supabase CLI uses and applies the bootstrap file where
 * Supabase's own objects are missing (PGlite, a bare PostgreSQL); true when it applied it.
 */
async function bootstrap(db: Db, bootstrapFile: string): Promise<boolean> {
  return locked(db, async (tx) => {
    // Same table as `supabase db push` creates, so `supabase migration list` agrees with us.
    await tx.exec(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (
        version text not null primary key,
        statements text[],
        name text,
        created_by text,
        idempotency_key text unique,
        rollback text[]
      );`);
    if (await hasSupabaseBase(tx)) return false;
    await runScript(tx, bootstrapFile, await readFile(bootstrapFile, "utf8"));
    return true;
  });
}

/**
 * Applies the Supabase-compatible bootstrap (only where Supabase's own objects are missing),
 * then every migration not yet recorded in `supabase_migrations.schema_migrations`, each in its
 * own transaction, recorded the way the Supabase CLI records them. Safe to run twice and from
 * several processes at once.
 * @example await migrate(db, { seed: true });
 */
export async function migrate(db: Db, options: MigrateOptions = {}): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const migrationsDir = options.migrationsDir ?? defaultPaths.migrationsDir;
  const bootstrapFile = options.bootstrapFile ?? defaultPaths.bootstrapFile;

  const files = (await readdir(migrationsDir)).filter((f) => MIGRATION_FILE.test(f)).sort();
  const versionOf = (file: string) => MIGRATION_FILE.exec(file)?.[1] ?? "";
  // The versions recorded already, read once: an up-to-date database (every warm start) then
  // opens no transaction at all. Each one is a commit to PGlite's files; one per migration file
  // took 58–185 ms in process, and the bootstrap check's lock, DDL and catalog reads another
  // ≈ 80 ms of a warm `sync-scheduler start` on PGlite (2-core machine). A version missing here is
  // looked up again under the lock before it is applied, so runners started at once still apply
  // each migration once.
  const recorded = await recordedVersions(db);
  const upToDate = recorded !== null && files.every((file) => recorded.has(versionOf(file)));
  const bootstrapped = upToDate ? false : await bootstrap(db, bootstrapFile);
  if (bootstrapped) log({ event: "bootstrap_applied", file: basename(bootstrapFile) });

  const applied: string[] = [];
  const alreadyApplied: string[] = [];
  for (const file of files) {
    const [, version = "", name = ""] = MIGRATION_FILE.exec(file) ?? [];
    if (recorded?.has(version)) {
      alreadyApplied.push(version);
      continue;
    }
    const sql = await readFile(join(migrationsDir, file), "utf8");
    const didApply = await locked(db, async (tx) => {
      const { rows } = await tx.query(
        "select 1 from supabase_migrations.schema_migrations where version = $1",
        [version],
      );
      if (rows.length > 0) return false;
      await runScript(tx, file, sql);
      await tx.query(
        "insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)",
        [version, name, splitSql(sql)],
      );
      return true;
    });
    (didApply ? applied : alreadyApplied).push(version);
    if (didApply) log({ event: "migration_applied", version, name });
  }

  if (options.seed) await applySeed(db, options);
  return { bootstrapped, applied, alreadyApplied };
}

/**
 * Applies supabase/seed.sql (idempotent: every insert is `on conflict do nothing`), under the
 * migration lock. {@link migrate} calls it with `seed: true`.
 * @example await applySeed(db, { log: console.log });
 */
export async function applySeed(
  db: Db,
  options: Pick<MigrateOptions, "seedFile" | "log"> = {},
): Promise<void> {
  const seedFile = options.seedFile ?? defaultPaths.seedFile;
  await locked(db, async (tx) => runScript(tx, seedFile, await readFile(seedFile, "utf8")));
  options.log?.({ event: "seed_applied", file: basename(seedFile) });
}
