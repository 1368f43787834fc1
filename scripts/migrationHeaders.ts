/**
 * The first line of a migration whose functions a later migration replaced names the replacement,
 * so a reader of an old migration knows it is not what runs:
 *
 *   -- Superseded: sync_engine.claim_runs → 20261129090000_engine_hot_paths.sql; … (live: supabase/schema.sql)
 *
 * Generated with supabase/schema.sql by `npm run schema:dump`; test/db/schema.test.ts fails when a
 * header is missing or stale. Only this comment line is ever rewritten in an old migration.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const migrationsDir = fileURLToPath(new URL("../supabase/migrations/", import.meta.url));
const PREFIX = "-- Superseded: ";
const DEFINES = /create\s+(?:or\s+replace\s+)?function\s+([\w.]+)\s*\(/gi;
const DROPS = /drop\s+function\s+(?:if\s+exists\s+)?([\w.]+)\s*\(/gi;

function migrationFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_.*\.sql$/.test(f))
    .sort();
}

/** For each migration, the header it should carry (null: nothing it defines was replaced later). */
export function expectedHeaders(dir = migrationsDir): Map<string, string | null> {
  const files = migrationFiles(dir);
  const bodies = files.map((f) => stripHeader(readFileSync(join(dir, f), "utf8")));
  const touches = bodies.map((sql) => {
    const names = new Set<string>();
    for (const re of [DEFINES, DROPS])
      for (const m of sql.matchAll(re)) names.add((m[1] ?? "").toLowerCase());
    return names;
  });
  const headers = new Map<string, string | null>();
  files.forEach((file, i) => {
    const defined = [...(bodies[i] ?? "").matchAll(DEFINES)].map((m) => (m[1] ?? "").toLowerCase());
    const replaced = new Map<string, string>();
    for (const name of new Set(defined)) {
      // The last later migration that redefines or drops it is where it lives (or died).
      for (let j = files.length - 1; j > i; j--) {
        if (touches[j]?.has(name)) {
          replaced.set(name, files[j] as string);
          break;
        }
      }
    }
    const parts = [...replaced].sort(([a], [b]) => a.localeCompare(b)).map(([n, f]) => `${n} → ${f}`);
    headers.set(file, parts.length ? `${PREFIX}${parts.join("; ")} (live: supabase/schema.sql)` : null);
  });
  return headers;
}

function stripHeader(sql: string): string {
  return sql.startsWith(PREFIX) ? sql.slice(sql.indexOf("\n") + 1) : sql;
}

/** Files whose first line differs from what it should be. */
export function staleHeaders(dir = migrationsDir): string[] {
  const stale: string[] = [];
  for (const [file, header] of expectedHeaders(dir)) {
    const sql = readFileSync(join(dir, file), "utf8");
    const current = sql.startsWith(PREFIX) ? sql.slice(0, sql.indexOf("\n")) : null;
    if (current !== header) stale.push(file);
  }
  return stale;
}

export function writeHeaders(dir = migrationsDir): string[] {
  const stale = staleHeaders(dir);
  const headers = expectedHeaders(dir);
  for (const file of stale) {
    const path = join(dir, file);
    const body = stripHeader(readFileSync(path, "utf8"));
    const header = headers.get(file);
    writeFileSync(path, header ? `${header}\n${body}` : body);
  }
  return stale;
}
