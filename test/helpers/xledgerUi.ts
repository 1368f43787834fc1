/**
 * What an accountant does to imported items in Xledger's UI, done against the sandbox through its TEST-ONLY
 * control `PATCH`/`DELETE /__sandbox/xledger/glImportItems/{dbId}` (no public Xledger API mutation edits or
 * deletes an imported item; src/local/sandbox/xledger/uiEdits.ts). The item is found by our reference with
 * the published equality filter `glImportItems(filter: { extIdentifier })`.
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

/** Deletes (`"delete"`) or edits (`{ amount?, account?, postedDate? }`) the item of an entry; returns the status. */
export async function editXledgerItem(
  sandboxUrl: string,
  extIdentifier: string,
  change: "delete" | { amount?: string; account?: string; postedDate?: string },
): Promise<number> {
  const [dbId] = await xledgerItemIds(sandboxUrl, extIdentifier);
  if (dbId === undefined) throw new Error(`no GL import item for ${extIdentifier}`);
  const res = await fetch(`${sandboxUrl}/__sandbox/xledger/glImportItems/${dbId}`, {
    method: change === "delete" ? "DELETE" : "PATCH",
    headers: { "Content-Type": "application/json" },
    ...(change === "delete" ? {} : { body: JSON.stringify(change) }),
  });
  await res.text();
  return res.status;
}
