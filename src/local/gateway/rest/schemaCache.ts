import type { Queryable } from "../../../db/types.ts";
import { findRelation, findRoutines, type Relation, type Routine } from "./catalog.ts";

/** PostgREST's default `db-channel`: `NOTIFY pgrst, 'reload schema'` reloads its schema cache. */
export const SCHEMA_CACHE_CHANNEL = "pgrst";

/** Routines as read from the catalog, and whether they came from the cache. */
export interface RoutineLookup {
  routines: Routine[];
  cached: boolean;
}

/**
 * The gateway's stand-in for PostgREST's schema cache: the overloads of each called function and
 * the columns and key of each read table, read from the catalog once instead of once per request
 * (a catalog round trip of every RPC and every table request before). Emptied, as PostgREST's is
 * reloaded, on `NOTIFY pgrst` (any payload), which the gateway's DDL event trigger sends after
 * every DDL command (sql/schema-cache.sql, as Supabase's `pgrst_ddl_watch`). Only objects that
 * exist are kept, so its size is bounded by the catalog, not by the names clients ask for; a name
 * that is not there is looked up again on every request, so an object created a moment ago is
 * never refused. RPC callers also re-read with `fresh` before answering that an overload does not
 * match.
 * @example const { routines } = await cache.routines(db, "public", "trigger_integration_sync");
 */
export class SchemaCache {
  readonly #entries = new Map<string, Promise<unknown>>();

  /** The overloads of `schema.name` (`fresh` skips and replaces the cached entry). */
  async routines(q: Queryable, schema: string, name: string, fresh = false): Promise<RoutineLookup> {
    const key = `f\u0000${schema}\u0000${name}`;
    const entry = fresh ? undefined : (this.#entries.get(key) as Promise<Routine[]> | undefined);
    if (entry) return { routines: await entry, cached: true };
    return {
      routines: await this.#load(key, findRoutines(q, schema, name), (r) => r.length > 0),
      cached: false,
    };
  }

  /** The table or view `schema.name` with its columns and primary key; null when there is none. */
  relation(q: Queryable, schema: string, name: string): Promise<Relation | null> {
    const key = `r\u0000${schema}\u0000${name}`;
    const entry = this.#entries.get(key) as Promise<Relation | null> | undefined;
    return entry ?? this.#load(key, findRelation(q, schema, name), (r) => r !== null);
  }

  /** Drops every entry (a `NOTIFY pgrst`, or the listener reconnecting after missing some). */
  clear(): void {
    this.#entries.clear();
  }

  #load<T>(key: string, lookup: Promise<T>, keep: (found: T) => boolean): Promise<T> {
    this.#entries.set(key, lookup);
    // A failed lookup, an object that does not exist, or an entry cleared meanwhile is not kept.
    const forget = () => {
      if (this.#entries.get(key) === lookup) this.#entries.delete(key);
    };
    lookup.then((found) => keep(found) || forget(), forget);
    return lookup;
  }
}
