/**
 * The GraphQL documents the Xledger adapter sends. Variables carry all data (never string interpolation),
 * so entry text can never break or inject into a query.
 *
 * Our reference (the ledger entry id) travels in `extIdentifier`: Xledger's free "external identifier"
 * string on GL import items, meant exactly for the id a foreign system uses (`trRegNumber` is an Int batch
 * number and `text` is the human description, so neither fits a uuid lookup).
 */

/** Cheapest possible authenticated round trip (the community `test_connection` uses the same). */
export const PING = "query Ping { __typename }";

/** Adds GL import items; asks back `extIdentifier` so results are matched by reference, not by position. */
export const ADD_GL_IMPORT_ITEMS = `mutation AddGLImportItems($inputs: [AddGLImportItemsInput!]!) {
  addGLImportItems(inputs: $inputs) {
    edges { node { dbId extIdentifier } }
  }
}`;

/** Relay-paginated lookup of already imported items by our references. */
export const GL_IMPORT_ITEMS_BY_EXT_IDENTIFIER = `query GLImportItemsByExtIdentifier($first: Int!, $after: String, $refs: [String!]!) {
  glImportItems(first: $first, after: $after, filter: { extIdentifier_in: $refs }) {
    edges { cursor node { dbId extIdentifier } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** The `node` of one `AddGLImportItemsInput`, as the adapter fills it. */
export interface GLImportItemInputNode {
  extIdentifier: string;
  postedDate: string;
  account: { code: string };
  /** Xledger amounts are decimal strings (`"101.00"`), never floats. */
  amount: string;
  currency: { code: string };
  transactionSource: { code: string };
  text?: string;
}
