import type { ChangeEvent } from "./changes.ts";

/** What the capture trigger sends (sql/realtime-capture.sql): its header, and the new row's JSON text. */
export interface Notification {
  type: ChangeEvent;
  schema: string;
  table: string;
  commit_timestamp: string;
  pk: Record<string, unknown>;
  old_record: Record<string, unknown> | null;
  /** The new row as the trigger's row_to_json wrote it; null for DELETEs and rows too large for NOTIFY. */
  recordJson: string | null;
  record_omitted?: boolean;
}

/**
 * Reads one capture payload — a JSON header, a newline, then the new row's JSON text, which is
 * kept as text (parsed only when a filter or a role's column list needs it); null when it is not
 * one (the channel is the gateway's own, but a stray `pg_notify` by anyone with a connection must
 * not break the feed).
 * @example parseNotification('{"type":"UPDATE","schema":"public",…}\n{"id":…}')?.pk
 */
export function parseNotification(text: string): Notification | null {
  const newline = text.indexOf("\n");
  if (newline < 0) return null;
  try {
    const v = JSON.parse(text.slice(0, newline)) as Partial<Notification>;
    if (
      (v.type === "INSERT" || v.type === "UPDATE" || v.type === "DELETE") &&
      typeof v.schema === "string" &&
      typeof v.table === "string" &&
      typeof v.commit_timestamp === "string" &&
      typeof v.pk === "object" &&
      v.pk !== null &&
      !Array.isArray(v.pk)
    ) {
      const n = v as Notification;
      const rest = text.slice(newline + 1);
      // Only the shape is checked here (a row is an object; anything else is read again by key).
      // The text is not parsed: it goes into frames as it is, and NewRow reads a row that is not
      // JSON as empty. Whoever can NOTIFY on the channel can already forge a whole change, so this
      // guards against accidents, not against a database user.
      n.recordJson = v.type !== "DELETE" && rest.startsWith("{") && rest.endsWith("}") ? rest : null;
      return n;
    }
  } catch {
    // fall through
  }
  return null;
}

/**
 * The new row of a change (INSERT/UPDATE): key columns are read from the captured key, the rest
 * from the row's JSON text, parsed on first use — a binding filtered on the key (`id=eq.<run>`,
 * what `watchRun` subscribes) and a role that may read every column never parse it. `json` is the
 * text as captured (null for a row re-read by key, which is given parsed).
 * @example new NewRow(n.pk, n.recordJson).get("id")
 */
export class NewRow {
  #row: Record<string, unknown> | null;

  constructor(
    readonly pk: Record<string, unknown>,
    readonly json: string | null,
    row: Record<string, unknown> | null = null,
  ) {
    this.#row = row;
  }

  get(column: string): unknown {
    return column in this.pk ? this.pk[column] : this.row()[column];
  }

  row(): Record<string, unknown> {
    if (this.#row === null) {
      try {
        this.#row = JSON.parse(this.json ?? "{}") as Record<string, unknown>;
      } catch {
        // Checked for shape only (parseNotification): a broken row is read as empty.
        this.#row = {};
      }
    }
    return this.#row;
  }
}
