/**
 * The slice of Xledger's GraphQL schema the sandbox serves: GL import items (add, update, Relay lookup) and
 * `__typename` for pings. Type and field names follow what Xledger clients send (official samples and
 * community libraries: `addGLImportItems(inputs:[{node:{…}}])`, `glImportItems(first, after, filter)`,
 * `{ code }` / `{ dbId }` object references, decimal amounts as strings).
 */

export const XLEDGER_SDL = /* GraphQL */ `
  "Decimal number sent as a string, e.g. \\"101.00\\"."
  scalar Decimal
  "Calendar date, YYYY-MM-DD."
  scalar Date
  "ISO 8601 date-time string."
  scalar DateTimeString

  type Query {
    glImportItems(
      first: Int
      after: String
      last: Int
      before: String
      filter: GLImportItemFilter
    ): GLImportItemConnection!
  }

  type Mutation {
    addGLImportItems(inputs: [AddGLImportItemsInput!]!): GLImportItemConnection!
    "Changes imported items by dbId (grasp-labs ds-provider-xledger-py-lib assets/glImportItems/update)."
    updateGLImportItems(inputs: [UpdateGLImportItemsInput!]!): UpdateGLImportItemConnection!
  }

  "Reference to an existing object by code or by dbId."
  input ObjectRefInput {
    code: String
    dbId: Int
  }

  "Job level by sub-id (go-xledger JobLevel{dbSubId}) or by the job's dbId (community importers)."
  input JobLevelInput {
    dbSubId: Int
    dbId: Int
  }

  type JobLevel {
    dbSubId: Int
    dbId: Int
  }

  input AddGLImportItemsInput {
    "Echoed back so callers can match results to inputs."
    clientId: String
    node: AddGLImportItemsInputNode!
  }

  input AddGLImportItemsInputNode {
    "Free identifier from the sending system (the sandbox keys received counts on it)."
    extIdentifier: String
    postedDate: Date!
    account: ObjectRefInput!
    amount: Decimal
    invoiceAmount: Decimal
    taxAmount: Decimal
    currency: ObjectRefInput
    transactionSource: ObjectRefInput
    taxRule: ObjectRefInput
    subledger: ObjectRefInput
    jobLevel: JobLevelInput
    trRegNumber: Int
    text: String
    yourReference: String
    invoiceNumber: String
    invoiceDate: Date
    dueDate: Date
  }

  "One item to change: clientId echoed back, node names the item by dbId and carries the new values."
  input UpdateGLImportItemsInput {
    clientId: String
    node: UpdateGLImportItemsInputNode!
  }

  input UpdateGLImportItemsInputNode {
    dbId: Int!
    extIdentifier: String
    postedDate: Date
    account: ObjectRefInput
    amount: Decimal
    invoiceAmount: Decimal
    taxAmount: Decimal
    currency: ObjectRefInput
    transactionSource: ObjectRefInput
    trRegNumber: Int
    text: String
    yourReference: String
    invoiceNumber: String
  }

  type UpdateGLImportItemEdge {
    clientId: String
    node: GLImportItem!
  }

  type UpdateGLImportItemConnection {
    edges: [UpdateGLImportItemEdge!]!
  }

  input GLImportItemFilter {
    dbId: Int
    dbId_in: [Int!]
    extIdentifier: String
    extIdentifier_in: [String!]
    modifiedAt_gte: DateTimeString
  }

  type ObjectRef {
    dbId: Int
    code: String
  }

  type GLImportItem {
    dbId: Int!
    extIdentifier: String
    postedDate: Date
    account: ObjectRef
    amount: Decimal
    invoiceAmount: Decimal
    taxAmount: Decimal
    currency: ObjectRef
    transactionSource: ObjectRef
    trRegNumber: Int
    jobLevel: JobLevel
    text: String
    yourReference: String
    invoiceNumber: String
    createdAt: DateTimeString
    modifiedAt: DateTimeString
  }

  type GLImportItemEdge {
    cursor: String!
    node: GLImportItem!
  }

  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type GLImportItemConnection {
    edges: [GLImportItemEdge!]!
    pageInfo: PageInfo!
  }
`;

/** The filter fields of `glImportItems`; the `unsupported_filter` fault can take any of them away. */
export const GL_IMPORT_ITEM_FILTER_FIELDS = [
  "dbId",
  "dbId_in",
  "extIdentifier",
  "extIdentifier_in",
  "modifiedAt_gte",
] as const;
export type GLImportItemFilterField = (typeof GL_IMPORT_ITEM_FILTER_FIELDS)[number];

/**
 * The schema's SDL; `without` drops one filter field, which is exactly what a server lacking it looks like:
 * graphql-js then refuses a query using it during validation, before any resolver runs. Plain text, so the
 * sandbox can start without loading graphql-js (engine.ts builds the executable schema on the first query).
 *
 * @example
 * const older = buildSchema(xledgerSdl({ without: "extIdentifier_in" }));
 */
export function xledgerSdl(options: { without?: GLImportItemFilterField } = {}): string {
  const field = options.without;
  if (field === undefined) return XLEDGER_SDL;
  return XLEDGER_SDL.replace(/input GLImportItemFilter \{[^}]*\}/, (block) =>
    block.replace(new RegExp(`\\n\\s*${field}:[^\\n]*`), ""),
  );
}
