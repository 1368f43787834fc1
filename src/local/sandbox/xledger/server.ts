/**
 * Fake Xledger: `POST /xledger/graphql` with `Authorization: token <token>`, executed by graphql-js
 * against ./schema.ts. Every answer — errors included — is HTTP 200, as with the real API.
 */
import type { GraphQLSchema } from "graphql";
import type { Fault } from "../faults.ts";
import { type Reply, type SandboxRequest, tryParseJson } from "../http.ts";
import { ReceivedCounter } from "../state.ts";
import {
  burstLimitError,
  concurrencyLimitError,
  errorReply,
  insufficientCreditsError,
  toXledgerError,
} from "./errors.ts";
import type { GLImportItemFilterField } from "./schema.ts";
import { GLImportItemStore } from "./store.ts";

type Engine = typeof import("./engine.ts");
interface Executor {
  engine: Engine;
  schema: GraphQLSchema;
  root: ReturnType<Engine["xledgerRoot"]>;
}

/** The one API token the sandbox accepts (docs/architecture.md §9). */
export const SANDBOX_XLEDGER_TOKEN = "sandbox-xledger-token";

/** The message real Xledger sends for a missing or malformed Authorization header (community client tests). */
const BAD_FORMAT = 'Bad format for API Token. Expected header: "Authorization: token <your-token>"';

/**
 * One fake Xledger instance (state lives here, the HTTP server is shared).
 *
 * @example
 * const xl = new XledgerSandbox();
 * const reply = await xl.handle(request);
 */
export class XledgerSandbox {
  readonly received = new ReceivedCounter();
  readonly store = new GLImportItemStore();
  /** graphql-js, the schema and the root value, made on the first query (engine.ts says why). */
  #executor: Promise<Executor> | undefined;
  /** Filter fields the next N queries using them are refused for (the `unsupported_filter` fault). */
  readonly #refusals = new Map<GLImportItemFilterField, { schema?: GraphQLSchema; left: number }>();

  /**
   * Answers the next `count` queries that use `field` in a `glImportItems` filter as a server without that
   * field would: a GraphQL validation error, nothing executed. Queries not using it are not affected and do
   * not use up the count.
   */
  refuseFilter(field: GLImportItemFilterField, count: number): void {
    const current = this.#refusals.get(field);
    if (current !== undefined) current.left += count;
    else this.#refusals.set(field, { left: count });
  }

  /** Queries still to be refused, summed over fields. */
  refusalsPending(): number {
    let n = 0;
    for (const r of this.#refusals.values()) n += r.left;
    return n;
  }

  /** Answers one request to `/xledger/graphql`. */
  async handle(request: SandboxRequest): Promise<Reply> {
    if (request.method !== "POST") {
      return { status: 405, headers: { Allow: "POST" }, body: { errors: [{ message: "Use POST." }] } };
    }
    const auth = /^token\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
    if (auth === null) return errorReply({ message: BAD_FORMAT });
    if (auth[1] !== SANDBOX_XLEDGER_TOKEN) {
      return errorReply({
        code: "UNAUTHORIZED.INVALID_TOKEN",
        message: "The API token is not valid (unknown, revoked or wiped by a demo refresh).",
        extensions: { code: "UNAUTHORIZED.INVALID_TOKEN" },
      });
    }
    const body = tryParseJson(request.body) as
      | { query?: unknown; variables?: unknown; operationName?: unknown }
      | undefined;
    if (typeof body?.query !== "string") {
      return errorReply({
        code: "BAD_REQUEST.INVALID_REQUEST",
        message: 'Expected a JSON body {"query": "...", "variables": {...}}.',
        extensions: { code: "BAD_REQUEST.INVALID_REQUEST" },
      });
    }
    const variables =
      body.variables !== null && typeof body.variables === "object"
        ? (body.variables as Record<string, unknown>)
        : undefined;
    const executor = await this.#executorLoaded();
    const refused = this.#refusal(executor, body.query);
    if (refused !== undefined) return refused;
    const result = await executor.engine.graphql({
      schema: executor.schema,
      source: body.query,
      rootValue: executor.root,
      variableValues: variables ?? null,
      operationName: typeof body.operationName === "string" ? body.operationName : null,
    });
    const out: Record<string, unknown> = { data: result.data ?? null };
    if (result.errors !== undefined) out.errors = result.errors.map(toXledgerError);
    return { status: 200, body: out };
  }

  /**
   * The validation answer of a server lacking a refused filter field, if `source` uses one. graphql-js writes
   * the message (`Field "extIdentifier_in" is not defined by type "GLImportItemFilter".`), the wording every
   * spec-following server uses; HTTP 200 with `errors` and a top-level `code` as Xledger answers errors
   * (official sample GraphQLClient.cs reads `err["code"]`). No public source shows the code Xledger gives a
   * validation error; the adapter does not depend on it (any non-retryable refusal makes it fall back).
   */
  #refusal({ engine }: Executor, source: string): Reply | undefined {
    if (this.#refusals.size === 0) return undefined;
    let document: ReturnType<Engine["parse"]>;
    try {
      document = engine.parse(source);
    } catch {
      return undefined;
    }
    for (const [field, refusal] of this.#refusals) {
      if (refusal.left <= 0) continue;
      refusal.schema ??= engine.buildXledgerSchema({ without: field });
      const errors = engine
        .validate(refusal.schema, document)
        .filter((e) => e.message.includes(`"${field}"`));
      if (errors.length === 0) continue;
      refusal.left -= 1;
      if (refusal.left <= 0) this.#refusals.delete(field);
      return { status: 200, body: { errors: errors.map(toXledgerError) } };
    }
    return undefined;
  }

  #executorLoaded(): Promise<Executor> {
    this.#executor ??= import("./engine.ts").then((engine) => ({
      engine,
      schema: engine.buildXledgerSchema(),
      root: engine.xledgerRoot({ store: this.store, received: this.received }),
    }));
    return this.#executor;
  }

  /** The answer for an answering fault (`status`, `rate_limit`, `burst_limit`, `concurrency_limit`, `credits`). */
  faultReply(fault: Fault): Reply {
    switch (fault.kind) {
      case "status":
        return {
          status: fault.status,
          headers: fault.retry_after === undefined ? {} : { "Retry-After": String(fault.retry_after) },
          body: `Injected HTTP ${fault.status} (sandbox fault)`,
        };
      // Xledger has no 429/Retry-After: its rate limit is the burst error, so `retry_after` has no effect here.
      case "rate_limit":
      case "burst_limit":
        return errorReply(burstLimitError());
      case "concurrency_limit":
        return errorReply(concurrencyLimitError());
      case "credits":
        return errorReply(insufficientCreditsError(fault.reset_at));
      default:
        throw new Error(`fault ${fault.kind} has no reply`);
    }
  }

  reset(): void {
    this.received.clear();
    this.store.clear();
    this.#refusals.clear();
  }
}
