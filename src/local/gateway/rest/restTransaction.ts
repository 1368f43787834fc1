import type { Queryable } from "../../../db/types.ts";
import { headersObject } from "../http.ts";
import { withRequestContext } from "../requestContext.ts";
import { quoteIdent } from "./catalog.ts";
import type { RestRequest } from "./types.ts";

/**
 * Runs `fn` in the one transaction PostgREST gives a REST request: the caller's role and claims,
 * its headers, method and path, the exposed schema first on the search path; READ ONLY unless
 * `readOnly` is false (a POSTed VOLATILE function).
 * @example await restTransaction(r, `/${table}`, true, (tx) => tx.query(sql, params));
 */
export function restTransaction<T>(
  r: RestRequest,
  path: string,
  readOnly: boolean,
  fn: (tx: Queryable) => Promise<T>,
): Promise<T> {
  return withRequestContext(
    r.db,
    {
      role: r.identity.role,
      claims: r.identity.claims,
      headers: headersObject(r.req),
      method: r.req.method ?? "GET",
      path,
      searchPath: `${quoteIdent(r.schema)}, extensions`,
      readOnly,
    },
    fn,
  );
}
