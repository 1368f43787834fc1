import type { JwtClaims } from "../jwt.ts";
import type { Binding, ChangeEvent } from "./changes.ts";
import { parseChangeFilter } from "./filters.ts";

/** A requested `postgres_changes` entry as sent, and its parsed binding. */
export interface RequestedBinding {
  /** Exactly what the client sent: echoed back (plus `id`) in the join reply, in order. */
  raw: Record<string, unknown>;
  binding: Binding;
}

/** A joined channel on one socket. */
export interface Channel {
  topic: string;
  joinRef: string | null;
  role: string;
  claims: JwtClaims;
  token: string;
  bindings: Binding[];
  unsubscribe: () => void;
  expiryTimer: NodeJS.Timeout | null;
}

const EVENTS = new Set(["INSERT", "UPDATE", "DELETE", "*"]);

/**
 * A stable numeric id for a binding, standing in for Realtime's `:erlang.phash2(params)`: FNV-1a
 * over the canonical JSON of the entry, in phash2's 27-bit range.
 * @example bindingId({ event: "UPDATE", schema: "public", table: "sync_run_log" }) // → 0…2^27-1
 */
export function bindingId(raw: Record<string, unknown>): number {
  const canonical = JSON.stringify(
    Object.keys(raw)
      .sort()
      .map((k) => [k, raw[k]]),
  );
  let h = 0x811c9dc5;
  for (let i = 0; i < canonical.length; i++) {
    h ^= canonical.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7ffffff;
}

/**
 * Parses `config.postgres_changes` from a join payload; returns an error text for entries that
 * are not objects with a valid event and schema or carry an unparsable filter.
 * @example parseBindings([{ event: "UPDATE", schema: "public", table: "sync_run_log", filter: "id=eq.…" }])
 */
export function parseBindings(value: unknown, max: number): RequestedBinding[] | string {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return "postgres_changes must be a list";
  if (value.length > max) return `At most ${max} postgres_changes bindings per channel`;
  const out: RequestedBinding[] = [];
  for (const entry of value) {
    if (entry === null || entry === undefined) continue;
    if (typeof entry !== "object" || Array.isArray(entry))
      return "Each postgres_changes entry must be an object";
    const raw = entry as Record<string, unknown>;
    const event = typeof raw.event === "string" ? raw.event.toUpperCase() : "";
    if (!EVENTS.has(event)) return `Invalid event ${JSON.stringify(raw.event)}`;
    const schema = typeof raw.schema === "string" && raw.schema !== "" ? raw.schema : undefined;
    if (!schema) return "postgres_changes entries need a schema";
    if (raw.table !== undefined && typeof raw.table !== "string") return "table must be a string";
    if (raw.filter !== undefined && raw.filter !== null && typeof raw.filter !== "string")
      return "filter must be a string";
    let filter: Binding["filter"];
    if (typeof raw.filter === "string" && raw.filter !== "") {
      const parsed = parseChangeFilter(raw.filter);
      if (typeof parsed === "string") return parsed;
      filter = parsed;
    }
    out.push({
      raw,
      binding: {
        id: bindingId(raw),
        event: event as ChangeEvent | "*",
        schema,
        table: typeof raw.table === "string" ? raw.table : undefined,
        filter,
      },
    });
  }
  return out;
}
