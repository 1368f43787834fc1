/**
 * What an accountant does to imported items in Xledger, done against the sandbox: a change through Xledger's
 * public `updateGLImportItems` mutation; a deletion through the sandbox's TEST-ONLY control
 * `DELETE /__sandbox/xledger/glImportItems/{dbId}`, standing in for the UI (no public delete mutation;
 * src/local/sandbox/xledger/uiEdits.ts). The item is found by our reference with the published equality
 * filter `glImportItems(filter: { extIdentifier })`.
 */
import { SANDBOX_XLEDGER_TOKEN } from "../../src/local/sandbox/index.ts";

/** The `dbId`s of the items carrying this `extIdentifier`, in `dbId` order. */
export async function xledgerItemIds(sandboxUrl: string, extIdentifier: string): Promise<number[]> {
  const res = await fetch(`${sandboxUrl}/xledger/graphql`, {
    method: "POST",
    headers: { Authorization: `token ${SANDBOX_XLEDGER_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      query:
        "query($ref: String) { glImportItems(first: 100, filter: { extIdentifier: $ref }) { edges { node { dbId } } } }",
      variables: { ref: extIdentifier },
    }),
  });
  const body = (await res.json()) as { data: { glImportItems: { edges: { node: { dbId: number } }[] } } };
  return body.data.glImportItems.edges.map((e) => e.node.dbId);
}

/**
 * Deletes (`"delete"`, the UI stand-in) or changes (`{ amount?, account?, postedDate? }`, through
 * `updateGLImportItems`) the first item of an entry; returns the HTTP status (200 when done).
 */
export async function editXledgerItem(
  sandboxUrl: string,
  extIdentifier: string,
  change: "delete" | { amount?: string; account?: string; postedDate?: string },
): Promise<number> {
  const [dbId] = await xledgerItemIds(sandboxUrl, extIdentifier);
  if (dbId === undefined) throw new Error(`no GL import item for ${extIdentifier}`);
  if (change === "delete") {
    const res = await fetch(`${sandboxUrl}/__sandbox/xledger/glImportItems/${dbId}`, { method: "DELETE" });
    await res.text();
    return res.status;
  }
  const { account, ...rest } = change;
  const node = { dbId, ...rest, ...(account === undefined ? {} : { account: { code: account } }) };
  const res = await fetch(`${sandboxUrl}/xledger/graphql`, {
    method: "POST",
    headers: { Authorization: `token ${SANDBOX_XLEDGER_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      query:
        "mutation($inputs: [UpdateGLImportItemsInput!]!) { updateGLImportItems(inputs: $inputs) { edges { clientId node { dbId } } } }",
      variables: { inputs: [{ clientId: "0", node }] },
    }),
  });
  const body = (await res.json()) as { errors?: { message: string }[] };
  if (body.errors !== undefined) throw new Error(`updateGLImportItems refused: ${body.errors[0]?.message}`);
  return res.status;
}
