// Over 300 lines: the Xledger protocol in one adapter (send, look-up with its fallback, errors); split per call when it grows again.
/**
 * Xledger adapter: GraphQL over `POST <base>/graphql` with `Authorization: token <token>`.
 * Entries become GL import items (`addGLImportItems`), our reference is `extIdentifier`
 * (see ./documents.ts for why), and lookups page through `glImportItems` Relay connections:
 * by `extIdentifier_in` while the server accepts it, else by `modifiedAt_gte` since the batch was
 * first marked in flight, matched on `extIdentifier` here (docs/export-pipeline.md "Xledger look-up").
 */
import { IntegrationError, isIntegrationError } from "../errors.ts";
import { chunk, lenientJson, parseRetryAfter, send } from "../http.ts";
import type { ActualLine, PostingPeriod, ReconcileContext, ReconcileReader } from "../reconcile.ts";
import type {
  AdapterContext,
  ExportEntry,
  ExportedEntry,
  IntegrationAdapter,
  LookupContext,
  RequestPurpose,
} from "../types.ts";
import { xledgerDateTime } from "./dates.ts";
import {
  ADD_GL_IMPORT_ITEMS,
  GL_IMPORT_ITEMS_BY_EXT_IDENTIFIER,
  GL_IMPORT_ITEMS_MODIFIED_SINCE,
  type GLImportItemInputNode,
  PING,
} from "./documents.ts";
import { type XledgerGraphQLError, xledgerError } from "./errors.ts";
import {
  findXledgerReferences,
  type ReadBackNode,
  readXledgerPeriod,
  type XledgerReadPort,
} from "./reconcile.ts";

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
  /** `jobLevel` of every item; default `{ dbSubId: 1 }` (config `job_level`). */
  jobLevel?: { dbSubId: number } | { dbId: number };
  /** One `trRegNumber` for every item; default: derived from each entry's voucher number. */
  trRegNumber?: number;
  /** The company's base currency; when set, other currencies follow {@link foreignCurrency}. */
  baseCurrency?: string;
  /** `"refuse"` (default) or `"invoice_amount"`; see config `foreign_currency`. */
  foreignCurrency?: "refuse" | "invoice_amount";
  /** Try the `extIdentifier_in` fast path first; default true. A refusal turns it off for this adapter. */
  lookupFastPath?: boolean;
  /** `first` of read-back scans (reconciliation); default and maximum 10 000. */
  reconcilePageSize?: number;
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
// The modifiedAt scan pages at 1,000: ≈ 60 B per {dbId, extIdentifier} node is ≈ 60 KB a page, and each page
// is one billed request, so bigger pages mean fewer of them (a 5,000-item window costs 5 requests).
const SCAN_PAGE_SIZE = 1_000;
// How far before the in-flight mark the scan starts: 15 minutes for clock skew, as the official sample
// subtracts before its modifiedAt_gte sync (graphql-samples ProjectSyncer.cs), plus 1 hour because whether
// Xledger's "CET" follows summer time is not documented; either reading is covered.
const SCAN_MARGIN_MS = 75 * 60_000;
// GraphQL Int (trRegNumber) is 32-bit signed.
const MAX_INT = 2_147_483_647;

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
export class XledgerAdapter implements IntegrationAdapter, ReconcileReader {
  readonly type = "xledger" as const;
  readonly maxBatchSize: number;
  readonly #endpoint: string;
  readonly #token: string;
  readonly #transactionSource: string;
  readonly #timeoutMs: number;
  readonly #pageSize: number;
  readonly #lookupChunkSize: number;
  readonly #now: () => number;
  readonly #jobLevel: { dbSubId: number } | { dbId: number };
  readonly #trRegNumber: number | undefined;
  readonly #baseCurrency: string | undefined;
  readonly #foreignCurrency: "refuse" | "invoice_amount";
  readonly #reconcilePageSize: number;
  #fastPath: boolean;

  constructor(options: XledgerAdapterOptions) {
    this.#endpoint = options.endpoint;
    this.#token = options.token;
    this.#transactionSource = options.transactionSource ?? "GL";
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#pageSize = Math.min(options.pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    this.#lookupChunkSize = options.lookupChunkSize ?? DEFAULT_PAGE_SIZE;
    this.maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH;
    this.#now = options.now ?? Date.now;
    this.#jobLevel = options.jobLevel ?? { dbSubId: 1 };
    this.#trRegNumber = options.trRegNumber;
    this.#baseCurrency = options.baseCurrency;
    this.#foreignCurrency = options.foreignCurrency ?? "refuse";
    this.#fastPath = options.lookupFastPath ?? true;
    // Each page is one billed request, so read-back scans take Xledger's cap of 10,000 records per query
    // (≈ 200 B per selected item: ≈ 2 MB a page).
    this.#reconcilePageSize = Math.min(options.reconcilePageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  }

  /** `query { __typename }`: proves reachability and a valid token at the cost of one request. */
  async ping(ctx: AdapterContext): Promise<void> {
    const data = await this.#graphql(PING, {}, ctx, "ping");
    if (typeof data.__typename !== "string") {
      throw new IntegrationError("server_error", "xledger: ping answered without __typename");
    }
  }

  /**
   * Which references exist in Xledger. Tries `glImportItems(filter: { extIdentifier_in })` (one request per
   * chunk when the server has that filter); a server that refuses it with any non-retryable error gets the
   * published filter instead — every item modified since `ctx.since` (less a margin), all pages, matched on
   * `extIdentifier` here, stopping once every reference is found. The refusal is remembered for this adapter,
   * so a run pays for it at most once, and never fails because of it.
   */
  async findExported(entries: readonly ExportEntry[], ctx: LookupContext): Promise<ExportedEntry[]> {
    const wanted = new Set(entries.map((e) => e.id));
    if (wanted.size === 0) return [];
    if (this.#fastPath) {
      try {
        return await this.#findByExtIdentifier(wanted, ctx);
      } catch (error) {
        if (!isIntegrationError(error) || error.retryable) throw error;
        this.#fastPath = false;
      }
    }
    return await this.#findByModifiedSince(wanted, ctx);
  }

  async #findByExtIdentifier(wanted: Set<string>, ctx: LookupContext): Promise<ExportedEntry[]> {
    const found = new Map<string, string>();
    for (const refs of chunk([...wanted], this.#lookupChunkSize)) {
      await this.#pages(GL_IMPORT_ITEMS_BY_EXT_IDENTIFIER, { refs }, this.#pageSize, ctx, (node) => {
        collect(node, wanted, found);
        return false;
      });
    }
    return entriesOf(found);
  }

  async #findByModifiedSince(wanted: Set<string>, ctx: LookupContext): Promise<ExportedEntry[]> {
    const found = new Map<string, string>();
    const since =
      ctx.since === undefined ? null : xledgerDateTime(new Date(ctx.since.getTime() - SCAN_MARGIN_MS));
    await this.#pages(
      GL_IMPORT_ITEMS_MODIFIED_SINCE,
      { since },
      Math.max(this.#pageSize, SCAN_PAGE_SIZE),
      ctx,
      (node) => {
        collect(node, wanted, found);
        // Every page is a billed request: stop as soon as nothing is left to find.
        return found.size === wanted.size;
      },
    );
    return entriesOf(found);
  }

  /** Walks a Relay connection page by page; `onNode` returning true stops the walk. */
  async #pages(
    query: string,
    variables: Record<string, unknown>,
    pageSize: number,
    ctx: AdapterContext,
    onNode: (node: ItemNode) => boolean,
  ): Promise<void> {
    for await (const nodes of this.#connectionPages<ItemNode>(query, variables, pageSize, ctx, "lookup")) {
      for (const node of nodes) if (onNode(node)) return;
    }
  }

  /** The pages of a `glImportItems` Relay connection, one request each (`first`/`after`). */
  async *#connectionPages<N>(
    query: string,
    variables: Record<string, unknown>,
    pageSize: number,
    ctx: AdapterContext,
    purpose: RequestPurpose,
  ): AsyncGenerator<N[]> {
    let after: string | null = null;
    for (;;) {
      const data = await this.#graphql(
        query,
        { ...variables, first: Math.min(pageSize, MAX_PAGE_SIZE), after },
        ctx,
        purpose,
      );
      const connection = data.glImportItems as Connection<N> | undefined;
      if (connection === undefined || !Array.isArray(connection.edges)) {
        throw new IntegrationError("server_error", "xledger: glImportItems answered without edges");
      }
      yield connection.edges.map((edge) => edge.node);
      const next = connection.pageInfo;
      if (next?.hasNextPage !== true) return;
      const cursor = next.endCursor ?? connection.edges.at(-1)?.cursor ?? null;
      if (cursor === null || cursor === after) {
        throw new IntegrationError("server_error", "xledger: hasNextPage without a new cursor");
      }
      after = cursor;
    }
  }

  /**
   * GL import items with our reference posted in `period` (./reconcile.ts): a scan of every item, 10,000 per
   * request, counted as "reconcile".
   */
  readPeriod(period: PostingPeriod, ctx: ReconcileContext): AsyncIterable<ActualLine[]> {
    return readXledgerPeriod(this.#readPort(), period, ctx);
  }

  /** The items for these references, by `extIdentifier_in` or, where refused, by the scan (./reconcile.ts). */
  findByReference(entryIds: readonly string[], ctx: ReconcileContext): Promise<ActualLine[]> {
    return findXledgerReferences(this.#readPort(), entryIds, ctx);
  }

  #readPort(): XledgerReadPort {
    return {
      pages: (query, variables, pageSize, ctx) =>
        this.#connectionPages<ReadBackNode>(query, variables, pageSize, ctx, "reconcile"),
      pageSize: this.#reconcilePageSize,
      lookupChunkSize: this.#lookupChunkSize,
      fastPath: () => this.#fastPath,
      refuseFastPath: () => {
        this.#fastPath = false;
      },
      baseCurrency: this.#baseCurrency,
    };
  }

  /** Sends `addGLImportItems` in chunks of {@link maxBatchSize}; returns `dbId`s matched by `extIdentifier`. */
  async export(batch: ExportEntry[], ctx: AdapterContext): Promise<ExportedEntry[]> {
    const out: ExportedEntry[] = [];
    for (const part of chunk(batch, this.maxBatchSize)) {
      const inputs = part.map((entry) => ({ node: this.#toNode(entry) }));
      const data = await this.#graphql(ADD_GL_IMPORT_ITEMS, { inputs }, ctx, "export");
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

  /** Builds one item; throws a non-retryable `bad_request` (nothing sent) for an entry Xledger cannot take as is. */
  #toNode(entry: ExportEntry): GLImportItemInputNode {
    const node: GLImportItemInputNode = {
      extIdentifier: entry.id,
      postedDate: entry.entryDate,
      account: { code: entry.account },
      currency: { code: entry.currency },
      transactionSource: { code: this.#transactionSource },
      trRegNumber: this.#registrationNumber(entry),
      jobLevel: this.#jobLevel,
    };
    if (this.#baseCurrency === undefined || entry.currency === this.#baseCurrency) {
      node.amount = entry.amount;
    } else if (this.#foreignCurrency === "invoice_amount") {
      node.invoiceAmount = entry.amount;
    } else {
      // `amount` is the base-currency amount; sending a foreign amount there books it at the wrong value.
      throw new IntegrationError(
        "bad_request",
        `xledger: entry ${entry.id} is in ${entry.currency}, not the base currency ${this.#baseCurrency}; set foreign_currency to "invoice_amount" to send it as invoiceAmount`,
        { retryable: false, remoteCode: "FOREIGN_CURRENCY_REFUSED" },
      );
    }
    if (entry.description !== null) node.text = entry.description;
    return node;
  }

  /**
   * The voucher's registration number, the same for every line of the voucher: config `tr_reg_number` when
   * set (one number for everything, as community importers send a batch number); else the voucher number
   * itself when it is an Int ("20260131"); else a stable 31-bit FNV-1a hash of it, never 0 (voucher numbers
   * are free text, e.g. "2026-000123" or an entry id; `trRegNumber` is a GraphQL Int).
   */
  #registrationNumber(entry: ExportEntry): number {
    if (this.#trRegNumber !== undefined) return this.#trRegNumber;
    const voucher = entry.voucherNumber;
    if (/^\d{1,10}$/.test(voucher)) {
      const n = Number(voucher);
      if (n >= 1 && n <= MAX_INT) return n;
    }
    return voucherHash(voucher);
  }

  async #graphql(
    query: string,
    variables: Record<string, unknown>,
    ctx: AdapterContext,
    purpose: RequestPurpose,
  ): Promise<Record<string, unknown>> {
    ctx.onRequest?.(purpose);
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
    const body = lenientJson(response.text) as
      | { data?: Record<string, unknown> | null; errors?: XledgerGraphQLError[] }
      | undefined;
    // The GraphQL body first, whatever the status: the official client reads `errors` without looking at the
    // status (graphql-samples GraphQLClient.cs), so a throttle answered with 429 or 503 keeps its code and
    // `extensions.resetAt`. Only an error the body cannot name defers to the status below.
    const errors = body !== null && typeof body === "object" ? body.errors : undefined;
    if (Array.isArray(errors) && errors.length > 0) {
      const error = xledgerError(errors, status, this.#now());
      if (error.code !== "bad_request" || status === 200 || status === 400) throw error;
    }
    const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"), this.#now());
    const wait = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };
    if (status === 401 || status === 403) {
      throw new IntegrationError("unauthorized", `xledger: HTTP ${status}`, { status });
    }
    if (status === 429) throw new IntegrationError("rate_limited", "xledger: HTTP 429", { status, ...wait });
    if (status === 408 || status === 504) {
      throw new IntegrationError("timeout", `xledger: HTTP ${status}`, { status });
    }
    if (status >= 500)
      throw new IntegrationError("server_error", `xledger: HTTP ${status}`, { status, ...wait });
    if (status !== 200) throw new IntegrationError("bad_request", `xledger: HTTP ${status}`, { status });
    if (body === undefined && response.text !== "") {
      throw new IntegrationError("server_error", "xledger: HTTP 200 with a body that is not JSON", {
        status,
      });
    }
    if (body?.data === undefined || body.data === null) {
      throw new IntegrationError("server_error", "xledger: response has neither data nor errors", { status });
    }
    return body.data;
  }
}

/** FNV-1a over the UTF-16 code units, folded to 1 … 2^31 − 1. */
function voucherHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % MAX_INT) + 1;
}

function collect(node: ItemNode, wanted: ReadonlySet<string>, found: Map<string, string>): void {
  const ref = node.extIdentifier;
  // First match wins: if an item was somehow imported twice, one external id is enough proof.
  if (ref !== null && wanted.has(ref) && !found.has(ref)) found.set(ref, String(node.dbId));
}

function entriesOf(found: ReadonlyMap<string, string>): ExportedEntry[] {
  return [...found].map(([entryId, externalId]) => ({ entryId, externalId }));
}
