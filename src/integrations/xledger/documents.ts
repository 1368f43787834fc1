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

/**
 * Fast path: Relay-paginated lookup of already imported items by our references. No public source shows an
 * `extIdentifier_in` filter on `glImportItems` (the published ones are `dbId_in`, `modifiedAt_gte` and plain
 * equality), so a refusal of it falls back to {@link GL_IMPORT_ITEMS_MODIFIED_SINCE} (see ./client.ts).
 */
export const GL_IMPORT_ITEMS_BY_EXT_IDENTIFIER = `query GLImportItemsByExtIdentifier($first: Int!, $after: String, $refs: [String!]!) {
  glImportItems(first: $first, after: $after, filter: { extIdentifier_in: $refs }) {
    edges { cursor node { dbId extIdentifier } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/**
 * The look-up every server answers: items modified since a moment, paged with `first`/`after`, matched on
 * `extIdentifier` by the caller. The filter and its `DateTimeString` type are the ones the official sample
 * uses for incremental sync (xledger/graphql-samples `Webhooks-CSharp/GraphQL/Queries.cs`,
 * `projects(first: 10000, after: $after, filter: { modifiedAt_gte: $since })`).
 */
export const GL_IMPORT_ITEMS_MODIFIED_SINCE = `query GLImportItemsModifiedSince($first: Int!, $after: String, $since: DateTimeString) {
  glImportItems(first: $first, after: $after, filter: { modifiedAt_gte: $since }) {
    edges { cursor node { dbId extIdentifier } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/**
 * The `node` of one `AddGLImportItemsInput`, as the adapter fills it. `trRegNumber` (Int) and `jobLevel`
 * are sent because every public example sends them: the reference mutation in grasp-labs'
 * ds-provider-xledger-py-lib notes (`trRegNumber`, `jobLevel:{dbSubId:1}`), omniboost/go-xledger
 * `GLImportItemInput` (`TrRegNumber int`, `JobLevel{DBSubId}`), and community importers
 * (`jobLevel: { dbId: … }`, `trRegNumber: <batch number>`).
 */
export interface GLImportItemInputNode {
  extIdentifier: string;
  postedDate: string;
  account: { code: string };
  /** Amount in the company's base currency. Xledger amounts are decimal strings (`"101.00"`), never floats. */
  amount?: string;
  /** Amount in `currency` when that is not the base currency (go-xledger `InvoiceAmount`). */
  invoiceAmount?: string;
  currency: { code: string };
  transactionSource: { code: string };
  /** The voucher's registration number: lines of one voucher share it. */
  trRegNumber: number;
  jobLevel: { dbSubId: number } | { dbId: number };
  text?: string;
}

/**
 * Read-back (reconciliation): every GL import item, all pages, with the fields a comparison needs. No filter:
 * the published `glImportItems` filters are `dbId_in`, `modifiedAt_gte` and plain equality (none on
 * `postedDate`), and an item of a period may have been imported or edited at any time, so the period is
 * applied to `postedDate` by the adapter (docs/export-pipeline.md "Reading back").
 */
export const GL_IMPORT_ITEMS_READ_BACK = `query GLImportItemsReadBack($first: Int!, $after: String) {
  glImportItems(first: $first, after: $after) {
    edges { cursor node { dbId extIdentifier postedDate account { code } amount invoiceAmount currency { code } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Read-back of given references: {@link GL_IMPORT_ITEMS_BY_EXT_IDENTIFIER} with the comparison's fields. */
export const GL_IMPORT_ITEMS_READ_BACK_BY_EXT_IDENTIFIER = `query GLImportItemsReadBackByExtIdentifier($first: Int!, $after: String, $refs: [String!]!) {
  glImportItems(first: $first, after: $after, filter: { extIdentifier_in: $refs }) {
    edges { cursor node { dbId extIdentifier postedDate account { code } amount invoiceAmount currency { code } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
