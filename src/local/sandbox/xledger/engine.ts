/**
 * Everything of the fake Xledger that needs graphql-js, behind one dynamic import (server.ts): graphql-js
 * is 125 modules, ≈ 50 ms of every `sync-scheduler start` (2-core machine) for a sandbox that may never be
 * called. The first query loads it.
 */
import { buildSchema, type GraphQLSchema } from "graphql";
import { type GLImportItemFilterField, xledgerSdl } from "./schema.ts";

export { graphql, parse, validate } from "graphql";
export { xledgerRoot } from "./resolvers.ts";

/**
 * The executable schema (resolvers come from the root value, see resolvers.ts), optionally without one
 * filter field (schema.ts `xledgerSdl`).
 *
 * @example
 * const schema = buildXledgerSchema();
 * const older = buildXledgerSchema({ without: "extIdentifier_in" });
 */
export function buildXledgerSchema(options: { without?: GLImportItemFilterField } = {}): GraphQLSchema {
  return buildSchema(xledgerSdl(options));
}
