// Over 300 lines: the Business Central protocol in one adapter (token, $batch by voucher, look-up of journal lines and posted entries); split per call when it grows again.
/**
 * Business Central adapter (API v2.0, OData v4). Entries become journalLines of one journal in one
 * company, one voucher per `documentNumber`; a batch goes out as one JSON `$batch` (≤ 100 operations,
 * `Isolation: snapshot` so it lands all-or-nothing); lookups filter journalLines by our reference, then
 * posted `generalLedgerEntries` by document number, and follow `@odata.nextLink`.
 */
import { IntegrationError } from "../errors.ts";
import { chunk, lenientJson, parseJson, type ReadResponse, send } from "../http.ts";
import type { ActualLine, PostingPeriod, ReconcileContext, ReconcileReader } from "../reconcile.ts";
import type {
  AdapterContext,
  ExportEntry,
  ExportedEntry,
  IntegrationAdapter,
  RequestPurpose,
} from "../types.ts";
import { DEFAULT_BUDGET, RequestBudget, type RequestBudgetOptions } from "./budget.ts";
import { dynamicsError } from "./errors.ts";
import { documentNumberFor, REFERENCE_FIELD, toExternalReference, toJournalLine } from "./journalLine.ts";
import { anyOf, odataString, query } from "./odata.ts";
import {
  type DynamicsReadPort,
  findDynamicsReferences,
  GL_SELECT,
  type GLRow,
  glCents,
  readDynamicsPeriod,
} from "./reconcile.ts";
import { TokenProvider } from "./token.ts";

/** Which journal receives the lines: by id, or by code (resolved once per adapter instance). */
export type JournalRef = { id: string } | { code: string };

/** Everything the Business Central adapter needs; {@link createAdapter} fills it from config + credentials. */
export interface DynamicsAdapterOptions {
  /** API root ending in `/api/v2.0`, e.g. `https://api.businesscentral.dynamics.com/v2.0/<tenant>/<env>/api/v2.0`. */
  apiRoot: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Default `https://api.businesscentral.dynamics.com/.default`. */
  scope?: string;
  companyId: string;
  journal: JournalRef;
  /** The company's local currency; when set, entries in another currency are refused (see journalLine.ts). */
  localCurrency?: string;
  /** "Bal. Account No." put on every line; only when the integration's config names one. */
  balancingAccountNumber?: string;
  /** Per-request deadline; default 30 000 ms. */
  timeoutMs?: number;
  /** `Prefer: odata.maxpagesize` for lookups; default 1 000 (BC online allows up to 20 000). */
  pageSize?: number;
  /** References per lookup request; default 25 (keeps the `$filter` URL under ~2 KB). */
  lookupChunkSize?: number;
  /** `Prefer: odata.maxpagesize` for read-back scans (reconciliation); default 5 000. */
  reconcilePageSize?: number;
  /** Client-side request budget; default 5,000 per 300 s, see budget.ts. */
  budget?: RequestBudgetOptions;
  /** Entries per `export` call the engine should send; default and maximum 100 (the `$batch` cap). */
  maxBatchSize?: number;
  now?: () => number;
}

// BC online rejects a $batch with more than 100 operations (operational-limits-online.md).
const MAX_BATCH_OPERATIONS = 100;
// Same reasoning as Xledger: 150 s Edge Function wall clock leaves room for a batch, a lookup and a retry.
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_PAGE_SIZE = 1_000;
// ~72 URL-encoded characters per `externalDocumentNumber eq '<32 hex>' or` clause × 25 ≈ 1.8 KB of query string,
// under the 2,048 characters that proxies and IIS defaults reliably pass.
const DEFAULT_LOOKUP_CHUNK = 25;
// Read-back scans page at 5,000: a selected journal line or G/L entry is ≈ 250 B of JSON, so ≈ 1.3 MB a page,
// answered well inside the 30 s deadline, and a clean month of 10,000 lines costs 2 requests per collection.
// BC online would serve up to 20,000 (operational-limits-online.md).
const DEFAULT_RECONCILE_PAGE_SIZE = 5_000;

interface BatchResponse {
  responses?: BatchOperationResponse[];
}
interface BatchOperationResponse {
  id?: string | null;
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}
interface Page<T> {
  value?: T[];
  "@odata.nextLink"?: string;
}
interface LineRow {
  id?: unknown;
  [REFERENCE_FIELD]?: unknown;
}

/**
 * The Business Central {@link IntegrationAdapter}.
 *
 * @example
 * const bc = new DynamicsAdapter({ apiRoot, tokenUrl, clientId, clientSecret, companyId, journal: { code: "GENERAL" } });
 * const done = await bc.export(entries, { signal });
 */
export class DynamicsAdapter implements IntegrationAdapter, ReconcileReader {
  readonly type = "dynamics" as const;
  readonly maxBatchSize: number;
  readonly #options: DynamicsAdapterOptions;
  readonly #tokens: TokenProvider;
  readonly #budget: RequestBudget;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #journalId: string | undefined;

  constructor(options: DynamicsAdapterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBatchSize = Math.min(options.maxBatchSize ?? MAX_BATCH_OPERATIONS, MAX_BATCH_OPERATIONS);
    this.#tokens = new TokenProvider({
      tokenUrl: options.tokenUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      ...(options.scope === undefined ? {} : { scope: options.scope }),
      timeoutMs: this.#timeoutMs,
      now: this.#now,
    });
    this.#budget = new RequestBudget({ ...(options.budget ?? DEFAULT_BUDGET), now: this.#now });
    if ("id" in options.journal) this.#journalId = options.journal.id;
  }

  /** `GET companies?$top=1`: one cheap request proving token, permissions and environment. */
  async ping(ctx: AdapterContext): Promise<void> {
    await this.#call(
      "GET",
      `${this.#options.apiRoot}/companies${query({ $top: "1" })}`,
      undefined,
      ctx,
      {},
      "ping",
    );
  }

  /**
   * Looks entries up where an exported line can be: still in the journal (by our reference in
   * `externalDocumentNumber`), or — when the journal was posted since — among the G/L entries, which keep
   * only the voucher's `documentNumber`. Follows server-driven paging in both.
   */
  async findExported(entries: readonly ExportEntry[], ctx: AdapterContext): Promise<ExportedEntry[]> {
    // "External Document No." is a Code field, which BC stores upper-cased: filter and match on the
    // upper-case 32-hex form and answer with the reference exactly as the engine gave it. A reference that
    // is not a uuid can never have been exported (toJournalLine refuses it), so it is not looked up.
    const wanted = new Map<string, ExportEntry>();
    for (const entry of entries) {
      const stored = toExternalReference(entry.id);
      if (stored !== undefined) wanted.set(stored, entry);
    }
    if (wanted.size === 0) return [];
    const found = new Map<string, string>();
    const lines = `${await this.#journalPath(ctx)}/journalLines`;
    const chunkSize = this.#options.lookupChunkSize ?? DEFAULT_LOOKUP_CHUNK;
    for (const refs of chunk([...wanted.keys()], chunkSize)) {
      const url = `${lines}${query({ $filter: anyOf(REFERENCE_FIELD, refs), $select: `id,${REFERENCE_FIELD}` })}`;
      for await (const line of this.#pages<LineRow>(url, ctx)) {
        const stored = line[REFERENCE_FIELD];
        const entry = typeof stored === "string" ? wanted.get(stored.trim().toUpperCase()) : undefined;
        if (entry !== undefined && typeof line.id === "string" && !found.has(entry.id))
          found.set(entry.id, line.id);
      }
    }
    const missing = [...wanted.values()].filter((e) => !found.has(e.id));
    if (missing.length > 0) {
      for (const [entryId, externalId] of await this.#findPosted(missing, ctx))
        found.set(entryId, externalId);
    }
    return [...found].map(([entryId, externalId]) => ({ entryId, externalId }));
  }

  /**
   * Entries whose voucher was posted: `generalLedgerEntries` filtered by the vouchers' document numbers.
   * Posting books a balanced document whole, so one G/L entry with the number means the voucher went out.
   * Each line's external id is the G/L entry with its account and signed amount (in entry-number order,
   * each used once); a line without one — edited in the journal before posting — gets
   * `posted:<documentNumber>`, still proof enough not to send it again.
   */
  async #findPosted(entries: readonly ExportEntry[], ctx: AdapterContext): Promise<Map<string, string>> {
    const byDocument = new Map<string, ExportEntry[]>();
    for (const entry of entries) {
      const doc = documentNumberFor(entry.voucherNumber);
      byDocument.set(doc, [...(byDocument.get(doc) ?? []), entry]);
    }
    const posted = new Map<string, GLRow[]>();
    const root = `${this.#options.apiRoot}/${this.#companySegment()}/generalLedgerEntries`;
    for (const docs of chunk([...byDocument.keys()], this.#options.lookupChunkSize ?? DEFAULT_LOOKUP_CHUNK)) {
      const url = `${root}${query({
        $filter: anyOf("documentNumber", docs),
        $select: GL_SELECT,
      })}`;
      for await (const row of this.#pages<GLRow>(url, ctx)) {
        if (typeof row.documentNumber !== "string") continue;
        const doc = row.documentNumber.trim().toUpperCase();
        if (byDocument.has(doc)) posted.set(doc, [...(posted.get(doc) ?? []), row]);
      }
    }
    const out = new Map<string, string>();
    for (const [doc, rows] of posted) {
      const unused = [...rows].sort((a, b) => Number(a.entryNumber) - Number(b.entryNumber));
      for (const entry of byDocument.get(doc) ?? []) {
        const cents = Math.round(Number(entry.amount) * 100);
        const account = entry.account.trim().toUpperCase();
        const at = unused.findIndex(
          (r) =>
            typeof r.accountNumber === "string" &&
            r.accountNumber.toUpperCase() === account &&
            glCents(r) === cents,
        );
        const match = at >= 0 ? unused.splice(at, 1)[0] : undefined;
        out.set(entry.id, typeof match?.id === "string" ? match.id : `posted:${doc}`);
      }
    }
    return out;
  }

  /** Every row of a collection, following `@odata.nextLink`. */
  async *#pages<T>(first: string, ctx: AdapterContext): AsyncGenerator<T> {
    const pageSize = this.#options.pageSize ?? DEFAULT_PAGE_SIZE;
    for await (const page of this.#pageArrays<T>(first, ctx, pageSize, "lookup")) yield* page;
  }

  /** The pages of a collection, one request each, following `@odata.nextLink`. */
  async *#pageArrays<T>(
    first: string,
    ctx: AdapterContext,
    pageSize: number,
    purpose: RequestPurpose,
  ): AsyncGenerator<T[]> {
    let url: string | undefined = first;
    while (url !== undefined) {
      const response = await this.#call(
        "GET",
        url,
        undefined,
        ctx,
        { Prefer: `odata.maxpagesize=${pageSize}` },
        purpose,
      );
      const page = parseJson(response, "business central") as Page<T> | undefined;
      if (!Array.isArray(page?.value)) {
        throw new IntegrationError("server_error", "business central: a collection answered without value");
      }
      yield page.value;
      const next = page["@odata.nextLink"];
      if (next !== undefined && next === url) {
        throw new IntegrationError(
          "server_error",
          "business central: @odata.nextLink points at the same page",
        );
      }
      url = next;
    }
  }

  /**
   * Lines with our reference posted in `period`: journal lines, then posted G/L entries given their entry
   * ids back through `ctx.expected` (./reconcile.ts). Each page one request, counted as "reconcile".
   */
  readPeriod(period: PostingPeriod, ctx: ReconcileContext): AsyncIterable<ActualLine[]> {
    return readDynamicsPeriod(this.#readPort(), period, ctx);
  }

  /** The lines for these references wherever they are (./reconcile.ts). */
  findByReference(entryIds: readonly string[], ctx: ReconcileContext): Promise<ActualLine[]> {
    return findDynamicsReferences(this.#readPort(), entryIds, ctx);
  }

  #readPort(): DynamicsReadPort {
    return {
      pages: <T>(url: string, ctx: AdapterContext, pageSize: number) =>
        this.#pageArrays<T>(url, ctx, pageSize, "reconcile"),
      journalLinesUrl: async (ctx) => `${await this.#journalPath(ctx, "reconcile")}/journalLines`,
      glEntriesUrl: `${this.#options.apiRoot}/${this.#companySegment()}/generalLedgerEntries`,
      pageSize: this.#options.reconcilePageSize ?? DEFAULT_RECONCILE_PAGE_SIZE,
      lookupChunkSize: this.#options.lookupChunkSize ?? DEFAULT_LOOKUP_CHUNK,
      balancingAccountNumber: this.#options.balancingAccountNumber,
    };
  }

  /**
   * Creates one journalLine per entry through `$batch` under `Isolation: snapshot`, whole vouchers per
   * request (at most 100 operations). Every line is converted — and so validated — before anything is
   * sent; a voucher BC refuses comes back as `bad_request` naming it, and nothing of that request stays.
   */
  async export(batch: ExportEntry[], ctx: AdapterContext): Promise<ExportedEntry[]> {
    if (batch.length === 0) return [];
    const settings = {
      localCurrency: this.#options.localCurrency,
      balancingAccountNumber: this.#options.balancingAccountNumber,
    };
    const bodies = batch.map((entry) => toJournalLine(entry, settings));
    const relativeLines = `${this.#companySegment()}/journals(${await this.#journalIdFor(ctx)})/journalLines`;
    const out: ExportedEntry[] = [];
    for (const part of voucherChunks(batch, MAX_BATCH_OPERATIONS)) {
      const requests = part.map((i, n) => ({
        id: String(n),
        method: "POST",
        url: relativeLines,
        headers: { "Content-Type": "application/json" },
        body: bodies[i],
      }));
      const response = await this.#call(
        "POST",
        `${this.#options.apiRoot}/$batch`,
        JSON.stringify({ requests }),
        ctx,
        {
          "Content-Type": "application/json",
          // Snapshot isolation makes BC run the batch as one transaction: all lines or none, so a failure
          // never leaves an unknown subset behind (use-odata-batch.md).
          Isolation: "snapshot",
        },
        "export",
      );
      const results = parseJson(response, "business central $batch") as BatchResponse | undefined;
      const subs = matchResponses(results?.responses, part.length);
      // Under snapshot isolation one failed operation rolls the whole batch back, yet BC still reports the
      // operations that ran before it with their 2xx (use-odata-batch.md, the example response): any
      // failure means nothing was created. Report the first real failure, not a dependency (424).
      const failures = subs.filter((sub) => typeof sub.status === "number" && sub.status >= 400);
      const cause = failures.find((sub) => sub.status !== 424) ?? failures[0];
      if (cause !== undefined) {
        const error = dynamicsError(
          cause.status ?? 500,
          new Headers(cause.headers ?? {}),
          cause.body,
          this.#now(),
        );
        const at = subs.indexOf(cause);
        const entry = batch[part[at] ?? -1];
        if (error.code === "bad_request" && entry !== undefined) {
          throw new IntegrationError("bad_request", error.message, {
            status: error.status ?? 400,
            ...(error.remoteCode === undefined ? {} : { remoteCode: error.remoteCode }),
            voucher: entry.voucherNumber,
          });
        }
        throw error;
      }
      for (const [n, sub] of subs.entries()) {
        const id = (sub.body as { id?: unknown } | undefined)?.id;
        const entry = batch[part[n] ?? -1];
        if (typeof id !== "string" || entry === undefined) {
          throw new IntegrationError(
            "server_error",
            `business central $batch: operation ${n} returned no id`,
          );
        }
        out.push({ entryId: entry.id, externalId: id });
      }
    }
    return out;
  }

  #companySegment(): string {
    return `companies(${this.#options.companyId})`;
  }

  async #journalPath(ctx: AdapterContext, purpose: RequestPurpose = "lookup"): Promise<string> {
    return `${this.#options.apiRoot}/${this.#companySegment()}/journals(${await this.#journalIdFor(ctx, purpose)})`;
  }

  async #journalIdFor(ctx: AdapterContext, purpose: RequestPurpose = "lookup"): Promise<string> {
    if (this.#journalId !== undefined) return this.#journalId;
    const journal = this.#options.journal;
    const code = "code" in journal ? journal.code : "";
    const url = `${this.#options.apiRoot}/${this.#companySegment()}/journals${query({
      $filter: `code eq ${odataString(code)}`,
      $select: "id,code",
    })}`;
    const response = await this.#call("GET", url, undefined, ctx, {}, purpose);
    const page = parseJson(response, "business central") as { value?: { id?: unknown }[] } | undefined;
    const id = page?.value?.[0]?.id;
    if (typeof id !== "string") {
      throw new IntegrationError("not_found", `business central: no journal with code ${code}`, {
        status: response.status,
      });
    }
    this.#journalId = id;
    return id;
  }

  /** One authenticated request: budget, bearer token, one refresh-and-retry on 401, errors mapped. */
  async #call(
    method: string,
    url: string,
    body: string | undefined,
    ctx: AdapterContext,
    headers: Record<string, string> = {},
    purpose: RequestPurpose = "lookup",
  ): Promise<ReadResponse> {
    for (let attempt = 1; ; attempt++) {
      this.#budget.take();
      const token = await this.#tokens.get(ctx.signal, () => ctx.onRequest?.("token"));
      ctx.onRequest?.(purpose);
      const response = await send(
        url,
        {
          method,
          headers: { Authorization: `Bearer ${token}`, Accept: "application/json", ...headers },
          ...(body === undefined ? {} : { body }),
        },
        { signal: ctx.signal, timeoutMs: this.#timeoutMs, what: `business central ${method}` },
      );
      if (response.status < 400) return response;
      // A 401 to a token we still believed valid means it was revoked or the clocks disagree: refresh once.
      // A second 401 with a fresh token is a real permission problem.
      if (response.status === 401 && attempt === 1) {
        this.#tokens.invalidate(token);
        continue;
      }
      throw dynamicsError(response.status, response.headers, lenientJson(response.text), this.#now());
    }
  }
}

/**
 * Batch indexes in chunks of at most `max`, never splitting a voucher (a voucher of more than `max`
 * lines goes alone; BC then refuses the request and the engine sets the voucher aside).
 */
function voucherChunks(batch: readonly ExportEntry[], max: number): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < batch.length; ) {
    let end = i + 1;
    while (end < batch.length && batch[end]?.voucherNumber === batch[i]?.voucherNumber) end++;
    if (current.length > 0 && current.length + (end - i) > max) {
      chunks.push(current);
      current = [];
    }
    for (let k = i; k < end; k++) current.push(k);
    i = end;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The operation responses in request order. BC echoes each request's `id` when the request had one and
 * answers `"id": null` otherwise (use-odata-batch.md shows `null`); with ids the answer is matched by id,
 * without them by position — JSON batch responses come in request order.
 */
function matchResponses(
  responses: BatchOperationResponse[] | undefined,
  expected: number,
): BatchOperationResponse[] {
  if (!Array.isArray(responses) || responses.length !== expected) {
    throw new IntegrationError(
      "server_error",
      `business central $batch: ${Array.isArray(responses) ? responses.length : "no"} responses for ${expected} operations`,
    );
  }
  if (responses.every((r) => r.id === null || r.id === undefined)) return responses;
  const byId = new Map(responses.map((r) => [String(r.id), r]));
  return Array.from({ length: expected }, (_, n) => {
    const sub = byId.get(String(n));
    if (sub === undefined) {
      throw new IntegrationError("server_error", `business central $batch: no response for operation ${n}`);
    }
    return sub;
  });
}
