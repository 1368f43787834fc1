/**
 * Xledger-shaped GraphQL errors: HTTP 200, `{"errors":[{"code":"BAD_REQUEST.…","message":"…","extensions":{…}}]}`
 * with `code` as a top-level field of each error (Xledger's official sample, https://github.com/xledger/graphql-samples, GraphQL/GraphQLClient.cs).
 */
import type { GraphQLError } from "graphql";
import type { Reply } from "../http.ts";

/** One error object as Xledger writes it. */
export interface XledgerErrorObject {
  code?: string;
  message: string;
  locations?: readonly { line: number; column: number }[];
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

/**
 * Converts graphql-js errors to Xledger's shape. Parse/validation errors (no code of their own) get
 * `BAD_REQUEST.GRAPHQL_VALIDATION_FAILED`.
 *
 * @example
 * const errors = result.errors?.map(toXledgerError);
 */
export function toXledgerError(error: GraphQLError): XledgerErrorObject {
  const own = error.extensions.code;
  const code = typeof own === "string" ? own : "BAD_REQUEST.GRAPHQL_VALIDATION_FAILED";
  const out: XledgerErrorObject = { code, message: error.message, extensions: { ...error.extensions, code } };
  if (error.locations !== undefined) out.locations = error.locations;
  if (error.path !== undefined) out.path = error.path;
  return out;
}

/**
 * A complete HTTP 200 reply carrying one Xledger error.
 *
 * @example
 * return errorReply({ code: "BAD_REQUEST.BURST_RATE_LIMIT_REACHED", message: "…" });
 */
export function errorReply(error: XledgerErrorObject): Reply {
  return { status: 200, body: { data: null, errors: [error] } };
}

/** The three throttling answers Xledger documents, as the sandbox sends them. */
export const burstLimitError = (): XledgerErrorObject => ({
  code: "BAD_REQUEST.BURST_RATE_LIMIT_REACHED",
  message: "Burst rate limit reached. Slow down and try again in a few seconds.",
  extensions: { code: "BAD_REQUEST.BURST_RATE_LIMIT_REACHED" },
});

export const concurrencyLimitError = (): XledgerErrorObject => ({
  code: "BAD_REQUEST.CONCURRENCY_LIMIT_REACHED",
  message: "Too many concurrent requests for this API token.",
  extensions: { code: "BAD_REQUEST.CONCURRENCY_LIMIT_REACHED" },
});

export const insufficientCreditsError = (resetAt: string | undefined): XledgerErrorObject => ({
  code: "BAD_REQUEST.INSUFFICIENT_CREDITS",
  message: "Not enough credits to run this request.",
  extensions: { code: "BAD_REQUEST.INSUFFICIENT_CREDITS", ...(resetAt === undefined ? {} : { resetAt }) },
});
