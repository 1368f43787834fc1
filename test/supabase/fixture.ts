import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { openPostgres } from "../../src/db/postgres.ts";
import type { Db } from "../../src/db/types.ts";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";

const repo = resolve(import.meta.dirname, "..", "..");

export const DEMO_ORG = "d0000000-0000-4000-8000-000000000001";
export const COORDINATOR = "a0000000-0000-4000-8000-000000000002";
export const XLEDGER = "e0000000-0000-4000-8000-000000000001";
export const DYNAMICS = "e0000000-0000-4000-8000-000000000002";

/** Why the Supabase suite cannot run here ("" when it can): only the vendored sources may be missing. */
export const skipReason = (): string => inject("supabaseSkipReason");

/** A pooled connection as the project's own login (`postgres`, demoted), and one as `supabase_admin`. */
export function connect(): { db: Db; admin: Db } {
  return {
    db: openPostgres({ connectionString: inject("supabaseDbUrl"), max: 4 }),
    admin: openPostgres({ connectionString: inject("supabaseAdminUrl"), max: 2 }),
  };
}

/** A single connection as another login of the same cluster (e.g. `supabase_auth_admin`). */
export async function clientAs(role: string): Promise<pg.Client> {
  const url = new URL(inject("supabaseDbUrl"));
  url.username = role;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

/**
 * The demo seed (as `postgres`, the way `supabase db push --include-seed` would), both integrations
 * pointed at a fresh in-process sandbox with their credentials stored through
 * sync_engine.set_integration_credentials, and no cron schedule (the test decides when runs happen).
 */
export async function seedWithSandbox(db: Db): Promise<Sandbox> {
  await db.exec(await readFile(join(repo, "supabase", "seed.sql"), "utf8"));
  const sandbox = await startSandbox({ port: 0 });
  const settings = sandboxIntegrationSettings(sandbox.url);
  for (const [id, type] of [
    [XLEDGER, "xledger"],
    [DYNAMICS, "dynamics"],
  ] as const) {
    await db.query(
      "update public.organization_integrations set config = $2, schedule_cron = null, next_run_at = null where id = $1",
      [id, settings[type].config],
    );
    await db.query("select sync_engine.set_integration_credentials($1, $2)", [
      id,
      settings[type].credentials,
    ]);
  }
  return sandbox;
}
