/** Small OData v4 helpers for the Business Central adapter. */

/**
 * Quotes a string as an OData literal (`'` doubled, per OData ABNF `SQUOTE-in-string`).
 *
 * @example
 * odataString("O'Brien"); // "'O''Brien'"
 */
export function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * `field eq 'a' or field eq 'b' …`. Plain `or` chains rather than `in (…)`: `eq`/`or` is what every BC
 * version documents for `$filter`, and callers keep the chain short enough for URL limits.
 *
 * @example
 * anyOf("documentNumber", ["A", "B"]); // "documentNumber eq 'A' or documentNumber eq 'B'"
 */
export function anyOf(field: string, values: readonly string[]): string {
  return values.map((v) => `${field} eq ${odataString(v)}`).join(" or ");
}

/**
 * Builds `?$k=v&…` with values percent-encoded (spaces as `%20`, never `+`, which OData does not decode).
 *
 * @example
 * query({ $top: "1" }); // "?$top=1"
 */
export function query(params: Record<string, string>): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}
