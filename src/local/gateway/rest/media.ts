/** How a GET result is to be shaped, from the Accept header. */
export interface ResultMedia {
  /** `application/vnd.pgrst.object+json`: exactly one row, as an object (PGRST116 otherwise). */
  single: boolean;
  /** `;nulls=stripped`: drop null-valued keys (supabase-js `stripNulls()`). */
  stripNulls: boolean;
}

const JSON_TYPES = new Set(["*/*", "application/*", "application/json", "application/vnd.pgrst.array+json"]);

/**
 * Picks the first acceptable media type in an Accept header; null when none can be produced
 * (PostgREST answers that with PGRST107, 406). CSV, GeoJSON and plans are not produced here.
 * @example parseAccept("application/vnd.pgrst.object+json;nulls=stripped") // → { single: true, stripNulls: true }
 */
export function parseAccept(accept: string | undefined): ResultMedia | null {
  if (!accept || accept.trim() === "") return { single: false, stripNulls: false };
  for (const item of accept.split(",")) {
    const [type = "", ...params] = item.split(";").map((s) => s.trim().toLowerCase());
    const stripNulls = params.includes("nulls=stripped");
    if (type === "application/vnd.pgrst.object+json" || type === "application/vnd.pgrst.object") {
      return { single: true, stripNulls };
    }
    if (JSON_TYPES.has(type)) return { single: false, stripNulls };
  }
  return null;
}

/** True when the client asked for a single object (`.single()` / `.maybeSingle()`). */
export function wantsSingleObject(accept: string | undefined): boolean {
  return parseAccept(accept)?.single ?? false;
}
