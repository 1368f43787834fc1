/**
 * Money as integer cents (BigInt), never floats: the one decimal-text → cents conversion and its
 * inverse, shared by the adapters' read-back (readBack.ts) and the reconciliation's comparison
 * (src/engine/reconcile/compare.ts). Amounts are numeric(14,2) in the database; a third decimal is
 * rounded half away from zero, as numeric(14,2) does.
 */

/**
 * Integer cents of a decimal text (`"101"`, `"-12.5"`, `"0.07"`); throws on anything else.
 *
 * @example
 * cents("-12.50"); // -1250n
 */
export function cents(amount: string): bigint {
  const m = /^\s*([+-])?(\d*)(?:\.(\d*))?\s*$/.exec(amount);
  if (m === null || (m[2] === "" && (m[3] ?? "") === ""))
    throw new Error(`not an amount: ${JSON.stringify(amount)}`);
  const sign = m[1] === "-" ? -1n : 1n;
  const fraction = (m[3] ?? "").padEnd(3, "0");
  let value = BigInt(m[2] === "" ? "0" : (m[2] as string)) * 100n + BigInt(fraction.slice(0, 2));
  if (Number(fraction[2]) >= 5) value += 1n;
  return sign * value;
}

/** `-1250n` → `"-12.50"` (a number of cents is taken too). */
export function formatCents(value: bigint | number): string {
  const v = BigInt(value);
  const negative = v < 0n;
  const abs = negative ? -v : v;
  return `${negative ? "-" : ""}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}
