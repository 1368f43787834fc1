/**
 * Business Central adapter (API v2.0, OData v4). Entries become journalLines of one journal in one
 * company; a batch goes out as one JSON `$batch` (≤ 100 operations, `Isolation: snapshot` so it lands
 * all-or-nothing); lookups filter journalLines by our reference and follow `@odata.nextLink`.
 */
import { IntegrationError } from "../errors.ts";
import { chunk, lenientJson, parseJson, type ReadResponse, send } from "../http.ts";
import type { AdapterContext, ExportEntry, ExportedEntry, IntegrationAdapter } from "../types.ts";
import { DEFAULT_BUDGET, RequestBudget, type RequestBudgetOptions } from "./budget.ts";
import { dynamicsError } from "./errors.ts";
import { REFERENCE_FIELD, toExternalReference, toJournalLine } from "./journalLine.ts";
import { anyOf, odataString, query } from "./odata.ts";
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
  /** Per-request deadline; default 30 000 ms. */
  timeoutMs?: number;
  /** `Prefer: odata.maxpagesize` for lookups; default 1 000 (BC online allows up to 20 000). */
  pageSize?: number;
  /** References per lookup request; default 25 (keeps the `$filter` URL under ~2 KB). */
  lookupChunkSize?: number;
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

interface BatchResponse {
  responses?: { id?: string | null; status?: number; headers?: Record<string, string>; body?: unknown }[];
}
interface LinePage {
  value?: { id?: unknown; [REFERENCE_FIELD]?: unknown }[];
  "@odata.nextLink"?: string;
}

/**
 * The Business Central {@link IntegrationAdapter}.
 *
 * @example
 * const bc = new DynamicsAdapter({ apiRoot, tokenUrl, clientId, clientSecret, companyId, journal: { code: "GENERAL" } });
 * const done = await bc.export(entries, { signal });
 */
export class DynamicsAdapter implements IntegrationAdapter {
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
    await this.#call("GET", `${this.#options.apiRoot}/companies${query({ $top: "1" })}`, undefined, ctx);
  }

  /** Looks our references up among the journal's lines, following server-driven paging. */
  async findExported(references: string[], ctx: AdapterContext): Promise<ExportedEntry[]> {
    // "External Document No." is a Code field, which BC stores upper-cased: filter and match on the
    // upper-case 32-hex form and answer with the reference exactly as the engine gave it. A reference that
    // is not a uuid can never have been exported (toJournalLine refuses it), so it is not looked up.
    const wanted = new Map<string, string>();
    for (const ref of references) {
      const stored = toExternalReference(ref);
      if (stored !== undefined) wanted.set(stored, ref);
    }
    if (wanted.size === 0) return [];
    const found = new Map<string, string>();
    const lines = `${await this.#journalPath(ctx)}/journalLines`;
    const pageSize = this.#options.pageSize ?? DEFAULT_PAGE_SIZE;
    for (const refs of chunk([...wanted.keys()], this.#options.lookupChunkSize ?? DEFAULT_LOOKUP_CHUNK)) {
      let url: string | undefined =
        `${lines}${query({ $filter: anyOf(REFERENCE_FIELD, refs), $select: `id,${REFERENCE_FIELD}` })}`;
      while (url !== undefined) {
        const response = await this.#call("GET", url, undefined, ctx, {
          Prefer: `odata.maxpagesize=${pageSize}`,
        });
        const page = parseJson(response, "business central") as LinePage | undefined;
        if (!Array.isArray(page?.value)) {
          throw new IntegrationError("server_error", "business central: journalLines answered without value");
        }
        for (const line of page.value) {
          const stored = line[REFERENCE_FIELD];
          const ref = typeof stored === "string" ? wanted.get(stored.trim().toUpperCase()) : undefined;
          if (ref !== undefined && typeof line.id === "string" && !found.has(ref)) found.set(ref, line.id);
        }
        url = page["@odata.nextLink"];
      }
    }
    return [...found].map(([entryId, externalId]) => ({ entryId, externalId }));
  }

  /** Creates one journalLine per entry through `$batch`, at most 100 operations per request. */
  async export(batch: ExportEntry[], ctx: AdapterContext): Promise<ExportedEntry[]> {
    if (batch.length === 0) return [];
    const local = this.#options.localCurrency;
    // Convert (and so validate) everything before sending anything: a bad entry must not leave half a batch.
    const bodies = batch.map((entry) => toJournalLine(entry, local));
    const relativeLines = `${this.#companySegment()}/journals(${await this.#journalIdFor(ctx)})/journalLines`;
    const out: ExportedEntry[] = [];
    for (const [partIndex, part] of chunk(bodies, MAX_BATCH_OPERATIONS).entries()) {
      const requests = part.map((body, i) => ({
        id: String(i),
        method: "POST",
        url: relativeLines,
        headers: { "Content-Type": "application/json" },
        body,
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
      );
      const results = parseJson(response, "business central $batch") as BatchResponse | undefined;
      const byId = new Map((results?.responses ?? []).map((r) => [String(r.id), r]));
      const subs = part.map((_, i) => byId.get(String(i)));
      // With snapshot isolation one failure rolls back the whole batch and BC marks the innocent operations
      // as failed dependencies (424); report the operation that actually failed.
      const failures = subs.filter(
        (sub) => sub !== undefined && typeof sub.status === "number" && sub.status >= 400,
      );
      const cause = failures.find((sub) => sub?.status !== 424) ?? failures[0];
      if (cause !== undefined) {
        throw dynamicsError(cause.status ?? 500, new Headers(cause.headers ?? {}), cause.body, this.#now());
      }
      for (const [i, sub] of subs.entries()) {
        const id = (sub?.body as { id?: unknown } | undefined)?.id;
        const entry = batch[partIndex * MAX_BATCH_OPERATIONS + i];
        if (typeof id !== "string" || entry === undefined) {
          throw new IntegrationError(
            "server_error",
            `business central $batch: operation ${i} returned no id`,
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

  async #journalPath(ctx: AdapterContext): Promise<string> {
    return `${this.#options.apiRoot}/${this.#companySegment()}/journals(${await this.#journalIdFor(ctx)})`;
  }

  async #journalIdFor(ctx: AdapterContext): Promise<string> {
    if (this.#journalId !== undefined) return this.#journalId;
    const journal = this.#options.journal;
    const code = "code" in journal ? journal.code : "";
    const url = `${this.#options.apiRoot}/${this.#companySegment()}/journals${query({
      $filter: `code eq ${odataString(code)}`,
      $select: "id,code",
    })}`;
    const response = await this.#call("GET", url, undefined, ctx);
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
  ): Promise<ReadResponse> {
    for (let attempt = 1; ; attempt++) {
      this.#budget.take();
      const token = await this.#tokens.get(ctx.signal);
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
