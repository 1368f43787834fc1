import type { JwtClaims } from "../jwt.ts";
import type { ChangeFilter } from "./filters.ts";

export type ChangeEvent = "INSERT" | "UPDATE" | "DELETE";

/** One `postgres_changes` binding of a joined channel, with the id echoed in the join reply. */
export interface Binding {
  id: number;
  event: ChangeEvent | "*";
  schema: string;
  table?: string | undefined;
  filter?: ChangeFilter | undefined;
}

/** The `data` of a Realtime change event (supabase/realtime `Realtime.Adapters.Changes`). */
export interface ChangeData {
  schema: string;
  table: string;
  commit_timestamp: string;
  type: ChangeEvent;
  columns: Array<{ name: string; type: string }>;
  record?: Record<string, unknown>;
  /** `record` as JSON text, when the feed has it as captured: frames carry it as it is. */
  recordJson?: string;
  old_record?: Record<string, unknown>;
  errors: null;
}

/** Who a subscription reads as: the role and claims of the channel's current token. */
export interface Identity {
  role: string;
  claims: JwtClaims;
}

/** A joined channel's interest in changes; identity is read at delivery time (access_token updates it). */
export interface ChangeSubscription {
  identity(): Identity;
  bindings: Binding[];
  deliver(ids: number[], data: ChangeData): void;
}
