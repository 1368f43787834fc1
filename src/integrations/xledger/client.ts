/**
 * Xledger adapter: GraphQL over `POST <base>/graphql` with `Authorization: token <token>`.
 * Entries become GL import items (`addGLImportItems`), our reference is `extIdentifier`
 * (see ./documents.ts for why), and lookups page through `glImportItems` Relay connections.
 */
import { IntegrationError } from "../errors.ts";
import { chunk, lenientJson, parseJson, parseRetryAfter, send } from "../http.ts";
import type { AdapterContext, ExportEntry, ExportedEntry, IntegrationAdapter } from "../types.ts";
import {
  ADD_GL_IMPORT_ITEMS,
  GL_IMPORT_ITEMS_BY_EXT_IDENTIFIER,
  type GLImportItemInputNode,
  PING,
} from "./documents.ts";
import { type XledgerGraphQLError, xledgerError } from "./errors.ts";

/** Everything the Xledger adapter needs; {@link createAdapter} fills it from config + credentials. */
export interface XledgerAdapterOptions {
  /** Full GraphQL endpoint, e.g. `https://www.xledger.net/graphql`. */
  endpoint: string;
  /** API token (Administration → System Access → GraphQL → API tokens). */
  token: string;
  /** Xledger transaction source code for imported items; default `"GL"`. */
  transactionSource?: string;
  /** Per-request deadline; default 30 000 ms (see {@link DEFAULT_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Relay page size for lookups; default 500, Xledger's hard cap is 10 000 records per query. */
  pageSize?: number;
  /** References per lookup query (bounds the variables payload); default 500. */
  lookupChunkSize?: number;
  /** Entries per `addGLImportItems` call; default 100. */
  maxBatchSize?: number;
  /** Clock for `resetAt` arithmetic; default `Date.now`. */
  now?: () => number;
}

// 30 s per request: an Edge Function has 150 s wall clock (docs/architecture.md §5), so a batch plus a lookup plus one
// retry still fits, and a healthy Xledger answers a 100-item mutation in well under a second.
const DEFAULT_TIMEOUT_MS = 30_000;
// 100 items per mutation keeps each request around 30 KB (≈300 B per item) — far below any upload limit —
// and bounds how much a lost response can leave in doubt.
const DEFAULT_MAX_BATCH = 100;
const DEFAULT_PAGE_SIZE = 500;
// Xledger answers at most 10 000 records per query (help centre "GraphQL pagination").
const MAX_PAGE_SIZE = 10_000;

interface Connection<N> {
  edges: { cursor?: string; node: N }[];
  pageInfo?: { hasNextPage: boolean; endCursor?: string | null };
}
interface ItemNode {
  dbId: number | string;
  extIdentifier: string | null;
}

/**
 * The Xledger {@link IntegrationAdapter}.
 *
 * @example
 * const xl = new XledgerAdapter({ endpoint: "https://demo.xledger.net/graphql", token });
 * await xl.ping({ signal: AbortSignal.timeout(60_000) });
 */
export class XledgerAdapter implements IntegrationAdapter {
  readonly type = "xledger" as const;
  readonly maxBatchSize: number;
  readonly #endpoint: string;
  readonly #token: string;
  readonly #transactionSource: string;
  readonly #timeoutMs: number;
  readonly #pageSize: number;
  readonly #lookupChunkSize: number;
  readonly #now: () => number;

  constructor(options: XledgerAdapterOptions) {
    this.#endpoint = options.endpoint;
    this.#token = options.token;
    this.#transactionSource = options.transactionSource ?? "GL";
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#pageSize = Math.min(options.pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    this.#lookupChunkSize = options.lookupChunkSize ?? DEFAULT_PAGE_SIZE;
    this.maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH;
    this.#now = options.now ?? Date.now;
  }

  /** `query { __typename }`: proves reachability and a valid token at the cost of one request. */
  async ping(ctx: AdapterContext): Promise<void> {
    const data = await this.#graphql(PING, {}, ctx);
    if (typeof data.__typename !== "string") {
      throw new IntegrationError("server_error", "xledger: ping answered without __typename");
    }
  }

  /** Pages through `glImportItems(filter: { extIdentifier_in })` for each chunk of references. */
  async findExported(entries: readonly ExportEntry[], ctx: AdapterContext): Promise<ExportedEntry[]> {
    const wanted = new Set(entries.map((e) => e.id));
    const found = new Map<string, string>();
    for (const refs of chunk([...wanted], this.#lookupChunkSize)) {
      let after: string | null = null;
      for (;;) {
        const data = await this.#graphql(
          GL_IMPORT_ITEMS_BY_EXT_IDENTIFIER,
          { first: this.#pageSize, after, refs },
          ctx,
        );
        const connection = data.glImportItems as Connection<ItemNode> | undefined;
        if (connection === undefined || !Array.isArray(connection.edges)) {
          throw new IntegrationError("server_error", "xledger: glImportItems answered without edges");
        }
        for (const { node } of connection.edges) {
          const ref = node.extIdentifier;
          // First match wins: if an item was somehow imported twice, one external id is enough proof.
          if (ref !== null && wanted.has(ref) && !found.has(ref)) found.set(ref, String(node.dbId));
        }
        const next = connection.pageInfo;
        if (next?.hasNextPage !== true) break;
        const cursor = next.endCursor ?? connection.edges.at(-1)?.cursor ?? null;
        if (cursor === null || cursor === after) {
          throw new IntegrationError("server_error", "xledger: hasNextPage without a new cursor");
        }
        after = cursor;
      }
    }
    return [...found].map(([entryId, externalId]) => ({ entryId, externalId }));
  }

  /** Sends `addGLImportItems` in chunks of {@link maxBatchSize}; returns `dbId`s matched by `extIdentifier`. */
  async export(batch: ExportEntry[], ctx: AdapterContext): Promise<ExportedEntry[]> {
    const out: ExportedEntry[] = [];
    for (const part of chunk(batch, this.maxBatchSize)) {
      const inputs = part.map((entry) => ({ node: this.#toNode(entry) }));
      const data = await this.#graphql(ADD_GL_IMPORT_ITEMS, { inputs }, ctx);
      const connection = data.addGLImportItems as Connection<ItemNode> | undefined;
      const byRef = new Map<string, string>();
      for (const edge of connection?.edges ?? []) {
        if (edge.node.extIdentifier !== null) byRef.set(edge.node.extIdentifier, String(edge.node.dbId));
      }
      for (const entry of part) {
        const externalId = byRef.get(entry.id);
        if (externalId === undefined) {
          // Retryable on purpose: the engine's retry starts with findExported, which settles what did land.
          throw new IntegrationError("server_error", `xledger: no dbId returned for entry ${entry.id}`);
        }
        out.push({ entryId: entry.id, externalId });
      }
    }
    return out;
  }

  #toNode(entry: ExportEntry): GLImportItemInputNode {
    const node: GLImportItemInputNode = {
      extIdentifier: entry.id,
      postedDate: entry.entryDate,
      account: { code: entry.account },
      amount: entry.amount,
      currency: { code: entry.currency },
      transactionSource: { code: this.#transactionSource },
    };
    if (entry.description !== null) node.text = entry.description;
    return node;
  }

  async #graphql(query: string, variables: Record<string, unknown>, ctx: AdapterContext) {
    const response = await send(
      this.#endpoint,
      {
        method: "POST",
        headers: {
          // Xledger wants the literal scheme "token", not "Bearer" (official graphql-samples GraphQLClient.cs).
          Authorization: `token ${this.#token}`,
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: JSON.stringify({ query, variables }),
      },
      { signal: ctx.signal, timeoutMs: this.#timeoutMs, what: "xledger graphql" },
    );
    const status = response.status;
    if (status === 401 || status === 403) {
      throw new IntegrationError("unauthorized", `xledger: HTTP ${status}`, { status });
    }
    if (status === 429) {
      const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"), this.#now());
      throw new IntegrationError("rate_limited", "xledger: HTTP 429", {
        status,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      });
    }
    if (status === 408 || status === 504) {
      throw new IntegrationError("timeout", `xledger: HTTP ${status}`, { status });
    }
    if (status >= 500) {
      const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"), this.#now());
      throw new IntegrationError("server_error", `xledger: HTTP ${status}`, {
        status,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      });
    }
    // Only a 200 is GraphQL; other statuses come from proxies/load balancers and may not be JSON at all.
    if (status !== 200) {
      const errors = (lenientJson(response.text) as { errors?: XledgerGraphQLError[] } | undefined)?.errors;
      if (Array.isArray(errors) && errors.length > 0) throw xledgerError(errors, status, this.#now());
      throw new IntegrationError("bad_request", `xledger: HTTP ${status}`, { status });
    }
    const body = parseJson(response, "xledger") as
      | { data?: Record<string, unknown> | null; errors?: XledgerGraphQLError[] }
      | undefined;
    if (body !== undefined && Array.isArray(body.errors) && body.errors.length > 0) {
      throw xledgerError(body.errors, status, this.#now());
    }
    if (body?.data === undefined || body.data === null) {
      throw new IntegrationError("server_error", "xledger: response has neither data nor errors", { status });
    }
    return body.data;
  }
}
