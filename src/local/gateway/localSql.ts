import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Db } from "../../db/types.ts";

// Any constant shared by every gateway process: hashtext('sync-scheduler:gateway-local-sql').
const LOCK_KEY = "hashtext('sync-scheduler:gateway-local-sql')";
const FILES = [
  "local-auth.sql",
  "realtime-capture.sql",
  "realtime-visibility.sql",
  "schema-cache.sql",
  // Last: records what the others were applied against (its header says what that covers).
  "local-sql-state.sql",
] as const;

/** The channel the capture trigger notifies (sql/realtime-capture.sql). */
export const CHANGE_CHANNEL = "gateway_realtime";

/**
 * Applies the gateway's local-only SQL (refresh-token tables, change-capture triggers, the
 * schema-cache DDL watch), every file idempotent, in one transaction under an advisory lock so
 * two gateways starting at once serialize. Skipped when the files and what they depend on in the
 * database are unchanged since they were last applied (sql/local-sql-state.sql).
 * Never part of supabase/migrations: a real Supabase project has its own Auth and Realtime.
 * @returns whether the files were applied (false: already up to date)
 * @example await applyLocalSql(db);
 */
export async function applyLocalSql(db: Db): Promise<boolean> {
  const scripts = await Promise.all(
    FILES.map((file) => readFile(new URL(`./sql/${file}`, import.meta.url), "utf8")),
  );
  const hash = createHash("sha256");
  for (const sql of scripts) hash.update(sql).update("\0");
  const filesHash = hash.digest("hex");
  if (await upToDate(db, filesHash)) return false;
  await db.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(${LOCK_KEY})`);
    for (const sql of scripts) await tx.exec(sql);
    await tx.query(
      `insert into gateway_local.local_sql_state (fingerprint)
       values ($1 || ':' || gateway_local.local_sql_inputs())
       on conflict (singleton) do update set fingerprint = excluded.fingerprint, applied_at = now()`,
      [filesHash],
    );
  });
  return true;
}

async function upToDate(db: Db, filesHash: string): Promise<boolean> {
  const { rows: ready } = await db.query<{ ok: boolean }>(
    `select to_regclass('gateway_local.local_sql_state') is not null
        and to_regprocedure('gateway_local.local_sql_inputs()') is not null as ok`,
  );
  if (!ready[0]?.ok) return false;
  const { rows } = await db.query<{ ok: boolean }>(
    `select exists (select from gateway_local.local_sql_state
                    where fingerprint = $1 || ':' || gateway_local.local_sql_inputs()) as ok`,
    [filesHash],
  );
  return rows[0]?.ok === true;
}
