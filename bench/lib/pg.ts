import { randomUUID } from "node:crypto";
import { cpus, totalmem } from "node:os";
import pg from "pg";
import { migrate } from "../../src/db/migrate.ts";
import { openPostgres } from "../../src/db/postgres.ts";

/** The server the suite runs against: DATABASE_URL, else the machine's local PostgreSQL. */
export const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export function databaseUrl(name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: databaseUrl("postgres") });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const created = new Set<string>();

/** A fresh database named `bench_<label>_<random>`, optionally cloned from a template; dropped by dropAll(). */
export async function createDatabase(
  label: string,
  template?: string,
): Promise<{ name: string; url: string }> {
  const name = `bench_${label}_${randomUUID().replaceAll("-", "").slice(0, 8)}`;
  await admin((c) => c.query(`create database ${name}${template ? ` template ${template}` : ""}`));
  created.add(name);
  return { name, url: databaseUrl(name) };
}

/**
 * Drops a bench database, after giving its clients up to 3 s to disconnect on their own: WITH
 * (FORCE) terminates the rest, and a library pool without an 'error' listener would crash the
 * process on that.
 */
export async function dropDatabase(name: string): Promise<void> {
  await admin(async (c) => {
    for (let i = 0; i < 60; i++) {
      const { rows } = await c.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where datname = $1",
        [name],
      );
      if ((rows[0]?.n ?? 0) === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await c.query(`drop database if exists ${name} with (force)`);
  });
  created.delete(name);
}

/** Drops every database this process created (also on failure). */
export async function dropAll(): Promise<void> {
  for (const name of [...created]) await dropDatabase(name).catch(() => {});
}

/** A migrated database of ours to clone rounds from (CREATE DATABASE … TEMPLATE ≈ 0.2 s vs migrate ≈ 1 s). */
export async function ourTemplate(): Promise<string> {
  const { name, url } = await createDatabase("tpl_ours");
  const db = openPostgres({ connectionString: url, max: 2 });
  await migrate(db);
  await db.close();
  return name;
}

export interface Environment {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  postgres: string;
  fsync: string;
  synchronousCommit: string;
  sharedBuffers: string;
  maxConnections: string;
  pglite: string;
}

export async function environment(pgliteVersion: string): Promise<Environment> {
  const settings = await admin(async (c) => {
    const { rows } = await c.query<{ name: string; setting: string }>(
      `select name, current_setting(name) as setting from pg_settings
       where name in ('server_version', 'fsync', 'synchronous_commit', 'shared_buffers', 'max_connections')`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  });
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: settings.server_version ?? "?",
    fsync: settings.fsync ?? "?",
    synchronousCommit: settings.synchronous_commit ?? "?",
    sharedBuffers: settings.shared_buffers ?? "?",
    maxConnections: settings.max_connections ?? "?",
    pglite: pgliteVersion,
  };
}
