import type { Queryable } from "../../db/types.ts";
import { findRoutines, type Routine } from "./catalog.ts";

/** PostgREST's default `db-channel`: `NOTIFY pgrst, 'reload schema'` reloads its schema cache. */
export const SCHEMA_CACHE_CHANNEL = "pgrst";

/** Routines as read from the catalog, and whether they came from the cache. */
export interface RoutineLookup {
  routines: Routine[];
  cached: boolean;
}

/**
 * The gateway's stand-in for PostgREST's schema cache, for functions: the overloads of each
 * called `schema.name`, read from pg_proc once instead of once per request (one of six round trips
 * of an RPC before). Emptied, as PostgREST's is reloaded, on `NOTIFY pgrst` (any payload), which
 * the gateway's DDL event trigger sends after every DDL command (sql/schema-cache.sql, as
 * Supabase's `pgrst_ddl_watch`). Only functions that exist are kept, so its size is bounded by the
 * catalog, not by the names clients ask for; callers re-read with `fresh` before answering that a
 * function or overload does not exist, so a function created a moment ago is never refused.
 * @example const { routines } = await cache.routines(db, "public", "trigger_integration_sync");
 */
export class SchemaCache {
  private readonly entries = new Map<string, Promise<Routine[]>>();

  /** The overloads of `schema.name` (`fresh` skips and replaces the cached entry). */
  async routines(q: Queryable, schema: string, name: string, fresh = false): Promise<RoutineLookup> {
    const key = `${schema}\u0000${name}`;
    const entry = fresh ? undefined : this.entries.get(key);
    if (entry) return { routines: await entry, cached: true };
    const lookup = findRoutines(q, schema, name);
    this.entries.set(key, lookup);
    // A failed lookup, a function that does not exist, or an entry cleared meanwhile is not kept.
    const forget = () => {
      if (this.entries.get(key) === lookup) this.entries.delete(key);
    };
    lookup.then((found) => found.length === 0 && forget(), forget);
    return { routines: await lookup, cached: false };
  }

  /** Drops every entry (a `NOTIFY pgrst`, or the listener reconnecting after missing some). */
  clear(): void {
    this.entries.clear();
  }
}
