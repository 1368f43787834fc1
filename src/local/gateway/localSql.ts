import { readFile } from "node:fs/promises";
import type { Db } from "../../db/types.ts";

// Any constant shared by every gateway process: hashtext('sync-scheduler:gateway-local-sql').
const LOCK_KEY = "hashtext('sync-scheduler:gateway-local-sql')";
const FILES = [
  "local-auth.sql",
  "realtime-capture.sql",
  "realtime-visibility.sql",
  "schema-cache.sql",
] as const;

/** The channel the capture trigger notifies (sql/realtime-capture.sql). */
export const CHANGE_CHANNEL = "gateway_realtime";

/**
 * Applies the gateway's local-only SQL (refresh-token tables, change-capture triggers, the
 * schema-cache DDL watch), each file
 * idempotent, under a transaction-scoped advisory lock so two gateways starting at once serialize.
 * Never part of supabase/migrations: a real Supabase project has its own Auth and Realtime.
 * @example await applyLocalSql(db);
 */
export async function applyLocalSql(db: Db): Promise<void> {
  for (const file of FILES) {
    const sql = await readFile(new URL(`./sql/${file}`, import.meta.url), "utf8");
    await db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(${LOCK_KEY})`);
      await tx.exec(sql);
    });
  }
}
