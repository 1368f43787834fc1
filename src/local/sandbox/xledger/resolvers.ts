/**
 * Root-value resolvers for the fake Xledger schema. A mutation validates every input before storing
 * any, so a rejected `addGLImportItems` or `updateGLImportItems` never leaves a partial change behind.
 */

import { GraphQLError } from "graphql";
import { isCalendarDate, isWallClockDateTime, xledgerWallClock } from "../dates.ts";
import type { ReceivedCounter } from "../state.ts";
import type { GLImportItem, GLImportItemStore } from "./store.ts";

/**
 * A resolver error that serializes with a top-level Xledger `code` (errors.ts `toXledgerError`).
 *
 * @example
 * throw xledgerGraphQLError("BAD_REQUEST.INVALID_VALUE", "amount must be a decimal string");
 */
function xledgerGraphQLError(code: string, message: string, extensions: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

// Xledger returns at most 10,000 records per query (help centre "GraphQL pagination").
const MAX_RECORDS_PER_QUERY = 10_000;
const DECIMAL = /^-?\d{1,15}(\.\d{1,6})?$/;

interface ObjectRefInput {
  code?: string | null;
  dbId?: number | null;
}
interface NodeInput {
  extIdentifier?: string | null;
  postedDate: string;
  account: ObjectRefInput;
  amount?: string | null;
  invoiceAmount?: string | null;
  taxAmount?: string | null;
  currency?: ObjectRefInput | null;
  transactionSource?: ObjectRefInput | null;
  trRegNumber?: number | null;
  jobLevel?: { dbSubId?: number | null; dbId?: number | null } | null;
  text?: string | null;
  yourReference?: string | null;
  invoiceNumber?: string | null;
}
/** `updateGLImportItems` node: `dbId` names the item, every other field given replaces its value. */
interface UpdateNodeInput {
  dbId: number;
  extIdentifier?: string | null;
  postedDate?: string | null;
  account?: ObjectRefInput | null;
  amount?: string | null;
  invoiceAmount?: string | null;
  taxAmount?: string | null;
  currency?: ObjectRefInput | null;
  transactionSource?: ObjectRefInput | null;
  trRegNumber?: number | null;
  text?: string | null;
  yourReference?: string | null;
  invoiceNumber?: string | null;
}
interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  filter?: {
    dbId?: number | null;
    dbId_in?: number[] | null;
    extIdentifier?: string | null;
    extIdentifier_in?: string[] | null;
    modifiedAt_gte?: string | null;
  } | null;
}

/** What the resolvers work on. */
export interface XledgerData {
  store: GLImportItemStore;
  received: ReceivedCounter;
}

/**
 * The root value for graphql-js `execute`: one function per root field.
 *
 * @example
 * graphql({ schema, source, rootValue: xledgerRoot(data) });
 */
export function xledgerRoot(data: XledgerData) {
  return {
    glImportItems: (args: ConnectionArgs) => {
      const since = args.filter?.modifiedAt_gte;
      if (since != null && !isWallClockDateTime(since)) {
        throw xledgerGraphQLError(
          "BAD_REQUEST.INVALID_VALUE",
          `filter.modifiedAt_gte: expected a DateTimeString like "2026-01-31T13:00:00", got ${JSON.stringify(since)}`,
        );
      }
      return connection(select(data.store, args.filter ?? {}), args);
    },
    updateGLImportItems: (args: { inputs: { clientId?: string | null; node: UpdateNodeInput }[] }) =>
      updateItems(data, args.inputs),
    addGLImportItems: (args: { inputs: { clientId?: string | null; node: NodeInput }[] }) => {
      for (const [i, input] of args.inputs.entries()) validateNode(input.node, i);
      const now = xledgerWallClock();
      const stored = args.inputs.map(({ node }) => {
        const item = data.store.insert(toItem(node, now));
        if (item.extIdentifier !== null) data.received.add(item.extIdentifier);
        return item;
      });
      return {
        edges: stored.map((node) => ({ cursor: String(node.dbId), node })),
        pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      };
    },
  };
}

/**
 * `updateGLImportItems(inputs: [{ clientId, node: { dbId, …fields } }])` — the public update mutation
 * (grasp-labs ds-provider-xledger-py-lib `assets/glImportItems/update/query.graphql`: `updateGLImportItems(inputs:
 * [UpdateGLImportItemsInput!]!) { edges { clientId node {…} } }`, its metadata.json lists `dbId` as the
 * one required field and the item's fields as optional; its query builder sends `{clientId, node}`). All
 * inputs are checked before any item changes; an unknown `dbId` or a bad value refuses the whole call.
 * `modifiedAt` moves to now; the received count is untouched (the system did receive the item).
 */
function updateItems(data: XledgerData, inputs: { clientId?: string | null; node: UpdateNodeInput }[]) {
  for (const [i, { node }] of inputs.entries()) {
    const where = { inputIndex: i };
    if (data.store.get(node.dbId) === undefined) {
      throw xledgerGraphQLError(
        "BAD_REQUEST.INVALID_VALUE",
        `inputs[${i}].node.dbId: no GL import item ${node.dbId}`,
        where,
      );
    }
    if (node.postedDate != null && !isCalendarDate(node.postedDate)) {
      throw xledgerGraphQLError(
        "BAD_REQUEST.INVALID_VALUE",
        `inputs[${i}].node.postedDate: invalid date`,
        where,
      );
    }
    if (node.account != null && (node.account.code ?? "") === "" && node.account.dbId == null) {
      throw xledgerGraphQLError(
        "BAD_REQUEST.INVALID_VALUE",
        `inputs[${i}].node.account: code or dbId required`,
        where,
      );
    }
    checkDecimals(node, i);
  }
  const now = xledgerWallClock();
  const edges = inputs.map(({ clientId, node }) => {
    const { dbId, account, currency, transactionSource, ...plain } = node;
    const fields: Partial<Omit<GLImportItem, "dbId">> = { modifiedAt: now };
    for (const [key, value] of Object.entries(plain)) {
      if (value !== undefined) (fields as Record<string, unknown>)[key] = value;
    }
    if (account != null) fields.account = { dbId: account.dbId ?? null, code: account.code ?? null };
    if (currency !== undefined) fields.currency = ref(currency);
    if (transactionSource !== undefined) fields.transactionSource = ref(transactionSource);
    return { clientId: clientId ?? null, node: data.store.update(dbId, fields) };
  });
  return { edges };
}

function validateNode(node: NodeInput, index: number): void {
  const where = { inputIndex: index };
  if (!isCalendarDate(node.postedDate)) {
    throw xledgerGraphQLError(
      "BAD_REQUEST.INVALID_VALUE",
      `inputs[${index}].node.postedDate: invalid date`,
      where,
    );
  }
  if ((node.account.code ?? "") === "" && node.account.dbId == null) {
    throw xledgerGraphQLError(
      "BAD_REQUEST.INVALID_VALUE",
      `inputs[${index}].node.account: code or dbId required`,
      where,
    );
  }
  checkDecimals(node, index);
  if (node.amount == null && node.invoiceAmount == null) {
    throw xledgerGraphQLError(
      "BAD_REQUEST.INVALID_VALUE",
      `inputs[${index}].node: amount or invoiceAmount required`,
      where,
    );
  }
}

/** The decimal fields of an add or update input: text like `"101.00"` when given (one rule for both mutations). */
function checkDecimals(node: Pick<NodeInput, "amount" | "invoiceAmount" | "taxAmount">, index: number): void {
  for (const field of ["amount", "invoiceAmount", "taxAmount"] as const) {
    const value = node[field];
    if (value != null && (typeof value !== "string" || !DECIMAL.test(value))) {
      throw xledgerGraphQLError(
        "BAD_REQUEST.INVALID_VALUE",
        `inputs[${index}].node.${field}: expected a decimal string like "101.00"`,
        { inputIndex: index },
      );
    }
  }
}

function ref(input: ObjectRefInput | null | undefined) {
  return input == null ? null : { dbId: input.dbId ?? null, code: input.code ?? null };
}

function toItem(node: NodeInput, now: string): Omit<GLImportItem, "dbId"> {
  return {
    extIdentifier: node.extIdentifier ?? null,
    postedDate: node.postedDate,
    account: { dbId: node.account.dbId ?? null, code: node.account.code ?? null },
    amount: node.amount ?? null,
    invoiceAmount: node.invoiceAmount ?? null,
    taxAmount: node.taxAmount ?? null,
    currency: ref(node.currency),
    transactionSource: ref(node.transactionSource),
    trRegNumber: node.trRegNumber ?? null,
    jobLevel:
      node.jobLevel == null
        ? null
        : { dbSubId: node.jobLevel.dbSubId ?? null, dbId: node.jobLevel.dbId ?? null },
    text: node.text ?? null,
    yourReference: node.yourReference ?? null,
    invoiceNumber: node.invoiceNumber ?? null,
    createdAt: now,
    modifiedAt: now,
  };
}

function select(store: GLImportItemStore, filter: NonNullable<ConnectionArgs["filter"]>): GLImportItem[] {
  const refs = [
    ...(filter.extIdentifier_in ?? []),
    ...(filter.extIdentifier != null ? [filter.extIdentifier] : []),
  ];
  const byRef = filter.extIdentifier_in != null || filter.extIdentifier != null;
  let items: readonly GLImportItem[] = byRef ? store.byExtIdentifiers(refs) : store.all();
  const ids = filter.dbId_in ?? (filter.dbId != null ? [filter.dbId] : null);
  if (ids !== null) items = items.filter((i) => ids.includes(i.dbId));
  // Both sides are Central European wall-clock `yyyy-MM-ddTHH:mm:ss`, so text order is time order.
  const since = filter.modifiedAt_gte;
  if (since != null) items = items.filter((i) => i.modifiedAt >= since);
  return [...items];
}

/** Relay slicing over `dbId` order; cursors are the `dbId` as text (as in real Xledger). */
function connection(items: GLImportItem[], args: ConnectionArgs) {
  for (const arg of ["first", "last"] as const) {
    const n = args[arg];
    if (n != null && (n < 0 || n > MAX_RECORDS_PER_QUERY)) {
      throw xledgerGraphQLError(
        "BAD_REQUEST.INVALID_VALUE",
        `${arg} must be between 0 and ${MAX_RECORDS_PER_QUERY} (the limit of records per query)`,
      );
    }
  }
  const after = args.after == null ? null : cursorValue(args.after);
  const before = args.before == null ? null : cursorValue(args.before);
  let window = items.filter(
    (i) => (after === null || i.dbId > after) && (before === null || i.dbId < before),
  );
  let hasNextPage = false;
  let hasPreviousPage = false;
  const first = args.first ?? (args.last == null ? MAX_RECORDS_PER_QUERY : null);
  if (first != null && window.length > first) {
    window = window.slice(0, first);
    hasNextPage = true;
  }
  if (args.last != null && window.length > args.last) {
    window = window.slice(window.length - args.last);
    hasPreviousPage = true;
  }
  const edges = window.map((node) => ({ cursor: String(node.dbId), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

function cursorValue(cursor: string): number {
  const n = Number(cursor);
  if (!Number.isInteger(n))
    throw xledgerGraphQLError("BAD_REQUEST.INVALID_VALUE", `invalid cursor ${cursor}`);
  return n;
}
