/**
 * TEST-ONLY stand-in for a person deleting an imported item in Xledger's web UI:
 * `DELETE /__sandbox/xledger/glImportItems/{dbId}`. This is NOT an Xledger API call. Xledger's public API
 * changes an imported item (`updateGLImportItems`, modelled in ./resolvers.ts) but no public source shows a
 * mutation that deletes one (Xledger's graphql-samples; the community clients — grasp-labs'
 * ds-provider-xledger-py-lib has create/read/update for glImportItems and delete only for other objects,
 * omniboost/go-xledger only adds and reads), so a reconciliation test cannot delete through the real API;
 * in Xledger a user would do it in the UI. The deleted item is gone from `glImportItems`; the received count
 * (`/__sandbox/state`) is not touched: the system did receive it.
 */
import { json, type Reply, type SandboxRequest } from "../http.ts";
import type { GLImportItemStore } from "./store.ts";

/** The control path; `{dbId}` follows it. */
export const UI_EDIT_PATH = /^\/__sandbox\/xledger\/glImportItems\/(\d+)$/;

/**
 * Answers `DELETE` on one item, or `undefined` when the path is not this control.
 *
 * @example
 * // DELETE /__sandbox/xledger/glImportItems/7000001 → 200 {"deleted":7000001}
 */
export function handleUiEdit(request: SandboxRequest, store: GLImportItemStore): Reply | undefined {
  const match = UI_EDIT_PATH.exec(request.url.pathname);
  if (match === null) return undefined;
  const dbId = Number(match[1]);
  if (request.method !== "DELETE") {
    return json(
      405,
      {
        error: {
          code: "method_not_allowed",
          message: "only DELETE: change an item through Xledger's own updateGLImportItems mutation",
        },
      },
      { Allow: "DELETE" },
    );
  }
  if (!store.delete(dbId)) {
    return json(404, { error: { code: "not_found", message: `no GL import item with dbId ${dbId}` } });
  }
  return json(200, { deleted: dbId });
}
