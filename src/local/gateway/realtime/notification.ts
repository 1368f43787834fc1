import type { ChangeEvent } from "./changes.ts";

/** What the capture trigger sends (sql/realtime-capture.sql). */
export interface Notification {
  type: ChangeEvent;
  schema: string;
  table: string;
  commit_timestamp: string;
  pk: Record<string, unknown>;
  old_record: Record<string, unknown> | null;
  record?: Record<string, unknown> | null;
  record_omitted?: boolean;
}

/**
 * Reads one capture payload; null when it is not one (the channel is the gateway's own, but a
 * stray `pg_notify` by anyone with a connection must not break the feed).
 * @example parseNotification('{"type":"UPDATE","schema":"public",…}')?.pk
 */
export function parseNotification(text: string): Notification | null {
  try {
    const v = JSON.parse(text) as Partial<Notification>;
    if (
      (v.type === "INSERT" || v.type === "UPDATE" || v.type === "DELETE") &&
      typeof v.schema === "string" &&
      typeof v.table === "string" &&
      typeof v.commit_timestamp === "string" &&
      typeof v.pk === "object" &&
      v.pk !== null
    ) {
      return v as Notification;
    }
  } catch {
    // fall through
  }
  return null;
}
