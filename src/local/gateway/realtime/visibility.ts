import { type Db, pgError } from "../../../db/types.ts";
import { STATEMENT_TIMEOUT } from "../requestContext.ts";
import { quoteIdent } from "../rest/catalog.ts";
import type { TableInfo } from "./catalog.ts";
import type { Identity } from "./changes.ts";
import { keyText, tableName } from "./rowKeys.ts";

/** One identity's question: which of these rows (by primary key) may it SELECT? */
export interface VisibilityCheck {
  identity: Identity;
  keys: Array<Record<string, unknown>>;
}

/** One check's answer: the 1-based positions of its visible keys, or why it could not be judged. */
interface Row {
  check_no: number;
  ords: number[] | null;
  error: string | null;
}

/**
 * The statement_timeout the feed's own connections carry (ChangeFeed: `db.sibling`): what Supabase
 * gives `authenticated`, the longest per-role one, so a policy that hangs cannot stall the feed for
 * longer. Set for the session, not in a transaction per call: that transaction was three more
 * round trips a call (and PGlite does not enforce it).
 */
export const CHECK_STATEMENT_TIMEOUT = STATEMENT_TIMEOUT.authenticated ?? "8s";

// The table's check function (sql/realtime-visibility.sql), asked for once per TableInfo: the
// catalog replaces that object when it reads the table again (catalog.ts, 30 s), so a changed
// primary key gets its function written again no later than the feed sees the new key.
const checkFunctions = new WeakMap<TableInfo, Promise<string>>();
const checkFunction = (db: Db, info: TableInfo): Promise<string> => {
  let name = checkFunctions.get(info);
  if (!name) {
    name = db
      .query<{ name: string }>("select gateway_local.visible_keys_function($1::regclass) as name", [
        tableName(info),
      ])
      .then(({ rows }) => `gateway_local.${quoteIdent(rows[0]?.name ?? "")}`);
    checkFunctions.set(info, name);
  }
  return name;
};

// A channel's claims object is replaced, never changed, when its token is: its text is cached.
const claimsTexts = new WeakMap<object, string>();

/** An identity's claims as the JSON text `request.jwt.claims` holds, built once per claims object. */
export function claimsText(claims: object): string {
  let text = claimsTexts.get(claims);
  if (text === undefined) {
    text = JSON.stringify(claims);
    claimsTexts.set(claims, text);
  }
  return text;
}

/**
 * Answers every check for one table in ONE statement (the table's `gateway_local.visible_keys_…`
 * function, sql/realtime-visibility.sql): per identity one read-only query over its keys, planned
 * under its role and claims as PostgREST would run its request, so its RLS policies decide.
 * `result[i][j]` answers checks[i].keys[j]. A check whose policy raises sees nothing (logged),
 * as Realtime reports no row; the other checks are unaffected: the call runs without a
 * subtransaction per check, and only when it fails is it repeated with each check isolated.
 * @example const [[visible]] = await visibleKeys(db, info, [{ identity, keys: [{ id }] }], log);
 */
export async function visibleKeys(
  db: Db,
  info: TableInfo,
  checks: VisibilityCheck[],
  log: (event: object) => void,
): Promise<boolean[][]> {
  const out = checks.map((c) => c.keys.map(() => false));
  // Only checks with keys are sent (an identity without keys would still cost a role switch).
  const asked = checks.flatMap((c, i) => (c.keys.length > 0 ? [i] : []));
  if (asked.length === 0) return out;
  const roles: string[] = [];
  const claims: string[] = [];
  const ends: number[] = [];
  // Column by column: every key's first primary-key column, then every key's second…
  const columns: Array<Array<string | null>> = info.primaryKey.map(() => []);
  for (const c of asked.map((i) => checks[i] as VisibilityCheck)) {
    roles.push(c.identity.role);
    claims.push(claimsText(c.identity.claims));
    for (const k of c.keys)
      info.primaryKey.forEach((col, i) => {
        columns[i]?.push(keyText(k[col.name]));
      });
    ends.push(columns[0]?.length ?? 0);
  }
  const keys = columns.flat();
  // One statement, so its set_config(…, true) calls end with it.
  const call = async (isolate: boolean) =>
    db.query<Row>(`select check_no, ords, error from ${await checkFunction(db, info)}($1, $2, $3, $4, $5)`, [
      roles,
      claims,
      ends,
      keys,
      isolate,
    ]);
  try {
    let rows: Row[];
    try {
      // Fast path: no subtransaction per check (≈ 20 % of the call's cost on PGlite).
      rows = (await call(false)).rows;
    } catch (error) {
      // A check raised (a policy's error, a bad claim): ask again with each check isolated, so
      // only that check sees nothing. A timeout would only time out again: give up at once.
      if (pgError(error)?.code === "57014") throw error;
      rows = (await call(true)).rows;
    }
    for (const r of rows) {
      const i = asked[r.check_no - 1];
      const verdicts = i === undefined ? undefined : out[i];
      if (!verdicts) continue;
      if (r.error === null) for (const ord of r.ords ?? []) verdicts[ord - 1] = true;
      else
        log({ event: "realtime_rls_check_failed", role: checks[i as number]?.identity.role, error: r.error });
    }
  } catch (error) {
    // Asked for again next time: the function may have been dropped, or the table replaced.
    checkFunctions.delete(info);
    log({ event: "realtime_rls_check_failed", error: String(error) });
  }
  return out;
}
