import type { ChangeData } from "./changes.ts";

/** Phoenix serializer versions Realtime speaks (`vsn` query parameter). */
export type Vsn = "1.0.0" | "2.0.0";

/** One Phoenix channel message, whatever its wire encoding. */
export interface PhxMessage {
  join_ref: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

const asRef = (v: unknown): string | null | undefined =>
  v === null || v === undefined
    ? null
    : typeof v === "string"
      ? v
      : typeof v === "number"
        ? String(v)
        : undefined;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Decodes a text frame: vsn 1.0.0 is a JSON object `{topic,event,payload,ref,join_ref}`, vsn 2.0.0
 * a JSON array `[join_ref, ref, topic, event, payload]`. Returns null for anything else (garbage is
 * dropped, never fatal).
 * @example decode('["1","1","realtime:x","phx_join",{}]', "2.0.0")
 */
export function decode(raw: string, vsn: Vsn): PhxMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  let joinRef: unknown;
  let ref: unknown;
  let topic: unknown;
  let event: unknown;
  let payload: unknown;
  if (vsn === "2.0.0") {
    if (!Array.isArray(value) || value.length !== 5) return null;
    [joinRef, ref, topic, event, payload] = value;
  } else {
    if (!isObject(value)) return null;
    ({ join_ref: joinRef, ref, topic, event, payload } = value);
  }
  const jr = asRef(joinRef);
  const r = asRef(ref);
  if (jr === undefined || r === undefined || typeof topic !== "string" || typeof event !== "string")
    return null;
  // Bounds from Realtime/realtime-js: topics and events are short names (the binary protocol caps them at 255).
  if (topic.length > 255 || event.length > 255) return null;
  return { join_ref: jr, ref: r, topic, event, payload: isObject(payload) ? payload : {} };
}

/**
 * Encodes a server message. vsn 1.0.0 sends only `topic,event,payload,ref` (Phoenix V1
 * JSONSerializer drops join_ref); vsn 2.0.0 the five-element array.
 * @example encode({ join_ref: "1", ref: "1", topic: "phoenix", event: "phx_reply", payload: { status: "ok", response: {} } }, "2.0.0")
 */
export function encode(msg: PhxMessage, vsn: Vsn): string {
  if (vsn === "2.0.0") return JSON.stringify([msg.join_ref, msg.ref, msg.topic, msg.event, msg.payload]);
  return JSON.stringify({ topic: msg.topic, event: msg.event, payload: msg.payload, ref: msg.ref });
}

// A change's `data` is shared by every subscriber whose role sees the same columns, and the
// columns list by every change of that (role, table): each is stringified once, not per frame.
// (Frames built as Buffers instead of strings measured slower: ≈ 5 MB of Buffers a 1,000-change
// burst is external memory, whose growth V8 answers with extra collections mid-burst.)
const dataJson = new WeakMap<ChangeData, string>();
const columnsJson = new WeakMap<ChangeData["columns"], string>();

/**
 * Encodes a `postgres_changes` message exactly as {@link encode} would (same bytes; with
 * `recordJson`, that text stands for `record`), from the change's `data` serialized once per
 * ChangeData object (and its columns once per role view).
 * @example encodeChange("realtime:run", [12], data, "2.0.0") === encode({ join_ref: null, ref: null, topic: "realtime:run", event: "postgres_changes", payload: { ids: [12], data } }, "2.0.0")
 */
export function encodeChange(topic: string, ids: number[], data: ChangeData, vsn: Vsn): string {
  let json = dataJson.get(data);
  if (json === undefined) {
    let columns = columnsJson.get(data.columns);
    if (columns === undefined) {
      columns = JSON.stringify(data.columns);
      columnsJson.set(data.columns, columns);
    }
    // recordJson first: reading `record` may parse it (changeFeed.ts).
    const record = data.recordJson ?? (data.record === undefined ? undefined : JSON.stringify(data.record));
    // The keys in ChangeData's order, as JSON.stringify writes them (absent when undefined, as there).
    json = `{"schema":${JSON.stringify(data.schema)},"table":${JSON.stringify(data.table)},"commit_timestamp":${JSON.stringify(data.commit_timestamp)},"type":${JSON.stringify(data.type)},"columns":${columns}${record === undefined ? "" : `,"record":${record}`}${data.old_record === undefined ? "" : `,"old_record":${JSON.stringify(data.old_record)}`},"errors":null}`;
    dataJson.set(data, json);
  }
  const payload = `{"ids":${JSON.stringify(ids)},"data":${json}}`;
  const t = JSON.stringify(topic);
  return vsn === "2.0.0"
    ? `[null,null,${t},"postgres_changes",${payload}]`
    : `{"topic":${t},"event":"postgres_changes","payload":${payload},"ref":null}`;
}
