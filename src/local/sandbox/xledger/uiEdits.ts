/**
 * TEST-ONLY stand-in for a person editing the books in Xledger's web UI: `PATCH` and `DELETE` on
 * `/__sandbox/xledger/glImportItems/{dbId}`. These are NOT Xledger API calls. No public source shows a
 * GraphQL mutation that changes or deletes an imported GL item (Xledger's graphql-samples and the community
 * clients — omniboost/go-xledger, grasp-labs' ds-provider-xledger-py-lib — only add items and read them), so
 * a reconciliation test cannot make such an edit "through the real API"; in Xledger a user would do it in
 * the UI. The control changes the stored item as such an edit would: the fields change, `modifiedAt`
 * moves to now, `dbId` and `extIdentifier` stay; a deleted item is gone from `glImportItems`. The received
 * count (`/__sandbox/state`) is not touched: the system did receive the item.
 */
import { isCalendarDate, xledgerWallClock } from "../dates.ts";
import { json, type Reply, type SandboxRequest, tryParseJson } from "../http.ts";
import type { GLImportItemStore } from "./store.ts";

/** The control path; `{dbId}` follows it. */
export const UI_EDIT_PATH = /^\/__sandbox\/xledger\/glImportItems\/(\d+)$/;

// Same decimal rule as addGLImportItems (./resolvers.ts).
const DECIMAL = /^-?\d{1,15}(\.\d{1,6})?$/;
const EDITABLE = new Set(["amount", "account", "postedDate"]);

/**
 * Answers `PATCH` (body `{"amount"?: "101.00", "account"?: "1920", "postedDate"?: "2026-02-01"}`, at
 * least one) or `DELETE` on one item, or `undefined` when the path is not this control.
 *
 * @example
 * // PATCH /__sandbox/xledger/glImportItems/7000001  {"amount":"99.00"}  → 200 {"item":{…}}
 */
export function handleUiEdit(request: SandboxRequest, store: GLImportItemStore): Reply | undefined {
  const match = UI_EDIT_PATH.exec(request.url.pathname);
  if (match === null) return undefined;
  const dbId = Number(match[1]);
  const problem = (status: number, code: string, message: string) =>
    json(status, { error: { code, message } });
  if (store.get(dbId) === undefined) return problem(404, "not_found", `no GL import item with dbId ${dbId}`);
  if (request.method === "DELETE") {
    store.delete(dbId);
    return json(200, { deleted: dbId });
  }
  if (request.method !== "PATCH") {
    return problem(405, "method_not_allowed", "use PATCH or DELETE on a GL import item");
  }
  const body = tryParseJson(request.body);
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return problem(400, "invalid_edit", "the body must be a JSON object");
  }
  const fields = body as Record<string, unknown>;
  const names = Object.keys(fields);
  const unknown = names.filter((n) => !EDITABLE.has(n));
  if (names.length === 0 || unknown.length > 0) {
    return problem(
      400,
      "invalid_edit",
      `editable fields are amount, account, postedDate${unknown.length > 0 ? `; not ${unknown.join(", ")}` : ""}`,
    );
  }
  const { amount, account, postedDate } = fields;
  if (amount !== undefined && (typeof amount !== "string" || !DECIMAL.test(amount))) {
    return problem(400, "invalid_edit", 'amount must be a decimal string like "101.00"');
  }
  if (account !== undefined && (typeof account !== "string" || account.trim() === "")) {
    return problem(400, "invalid_edit", "account must be a non-empty account code");
  }
  if (postedDate !== undefined && (typeof postedDate !== "string" || !isCalendarDate(postedDate))) {
    return problem(400, "invalid_edit", "postedDate must be a YYYY-MM-DD date");
  }
  const item = store.update(dbId, {
    ...(typeof amount === "string" ? { amount } : {}),
    ...(typeof account === "string" ? { account: { dbId: null, code: account } } : {}),
    ...(typeof postedDate === "string" ? { postedDate } : {}),
    modifiedAt: xledgerWallClock(),
  });
  return json(200, { item });
}
