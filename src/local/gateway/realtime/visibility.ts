import type { Db } from "../../../db/types.ts";
import { withRequestContext } from "../requestContext.ts";
import type { TableInfo } from "./catalog.ts";
import type { Identity } from "./changes.ts";
import { keyList, tableName } from "./rowKeys.ts";

/**
 * Which of `keys` the identity can SELECT right now, under its RLS policies: ONE read-only
 * statement for the whole list, in a transaction set up exactly like a PostgREST request
 * (Realtime's `apply_rls` does the same per `claims_role`). Index i answers keys[i]. A role
 * without SELECT or a policy that raises sees nothing, as Realtime reports no row.
 *
 * One statement per identity and table, not per change: a burst of 1,000 changed rows watched
 * by 100 users costs 100 checks instead of 1,000 (docs/benchmarks.md, section 4).
 * @example const [visible] = await visibleKeys(db, { role: "authenticated", claims }, info, [{ id }], log);
 */
export async function visibleKeys(
  db: Db,
  identity: Identity,
  info: TableInfo,
  keys: Array<Record<string, unknown>>,
  log: (event: object) => void,
): Promise<boolean[]> {
  const out = keys.map(() => false);
  if (keys.length === 0) return out;
  const k = keyList(info, keys);
  try {
    const { rows } = await withRequestContext(
      db,
      { role: identity.role, claims: identity.claims, readOnly: true },
      (tx) =>
        tx.query<{ ord: number }>(
          `select k.ord::int as ord from ${k.from} where exists (select from ${tableName(info)} t where ${k.join})`,
          k.params,
        ),
    );
    for (const r of rows) out[r.ord - 1] = true;
  } catch (error) {
    log({ event: "realtime_rls_check_failed", role: identity.role, error: String(error) });
  }
  return out;
}
