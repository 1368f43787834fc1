// Over 300 lines: Business Central's API routes in one table (journals, lines, posting, G/L entries, $batch) over one store; split by resource when it grows again.
/**
 * The OData entity sets of the fake Business Central API v2.0: `companies`, `journals`, `journalLines`
 * (created by POST, changed by PATCH with `If-Match`, removed by DELETE), the journals' bound action
 * `Microsoft.NAV.post`, and the read-only `generalLedgerEntries` it fills; collections read with
 * `$filter`/`$select`/`$top`/`$skip` and server-driven paging. Authentication, throttling and faults
 * happen before a request gets here (./server.ts).
 */
import { isCalendarDate } from "../dates.ts";
import type { Reply } from "../http.ts";
import type { ReceivedCounter } from "../state.ts";
import { checkAccount } from "./chartOfAccounts.ts";
import { type Company, type Journal, SANDBOX_COMPANIES } from "./data.ts";
import { compileFilter, FilterError } from "./filter.ts";
import { type GeneralLedger, GL_ENTRY_PROPERTIES, type GLEntry } from "./ledger.ts";
import { odataError } from "./odataError.ts";
import type { JournalLine, JournalLineStore, Transaction } from "./store.ts";

/** One request to the API, path relative to the API root (`companies(…)/journals`). */
export interface ApiRequest {
  method: string;
  /** Path below the API root without leading slash, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  /** Absolute API root for `@odata.context`, `@odata.nextLink` and `Location` (e.g. `http://h:p/bc/api/v2.0`). */
  apiRoot: string;
}

/** State the API works on. */
export interface ApiData {
  lines: JournalLineStore;
  ledger: GeneralLedger;
  received: ReceivedCounter;
}

// BC online serves at most 20,000 entities per page (operational-limits-online.md); that is also the page
// size when the client sends no `Prefer: odata.maxpagesize`.
const MAX_PAGE_SIZE = 20_000;
// BC journalLine "Description" is Text[100].
const DESCRIPTION_MAX = 100;

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
// A uuid with or without dashes (our reference as the adapter sends it, or as a person might).
const UUID_TEXT = new RegExp(`^(?:[0-9a-fA-F]{32}|${GUID})$`);
const ROUTE = new RegExp(
  `^companies(?:\\((${GUID})\\)(?:/(?:generalLedgerEntries(?:\\((${GUID})\\))?|journals(?:\\((${GUID})\\)(?:/(?:Microsoft\\.NAV\\.post|journalLines(?:\\((${GUID})\\))?))?)?))?)?$`,
);

const WRITABLE: Record<string, "string" | "number"> = {
  accountType: "string",
  accountId: "string",
  accountNumber: "string",
  postingDate: "string",
  documentNumber: "string",
  externalDocumentNumber: "string",
  amount: "number",
  description: "string",
  comment: "string",
  taxCode: "string",
  balanceAccountType: "string",
  balancingAccountId: "string",
  balancingAccountNumber: "string",
};
const EMPTY_GUID = "00000000-0000-0000-0000-000000000000";
// BC's Code field lengths: "Document No." Code[20], "External Document No." Code[35].
const CODE_FIELDS: readonly [string, number][] = [
  ["documentNumber", 20],
  ["externalDocumentNumber", 35],
];

const LINE_PROPERTIES: ReadonlySet<string> = new Set([
  "id",
  "journalId",
  "journalDisplayName",
  "lineNumber",
  "lastModifiedDateTime",
  ...Object.keys(WRITABLE),
]);
// Edm.Date properties of journalLines and generalLedgerEntries ("Posting Date" on both APIV2 pages).
const DATE_PROPERTIES: ReadonlySet<string> = new Set(["postingDate"]);
const PROPERTIES: Record<string, ReadonlySet<string>> = {
  companies: new Set(Object.keys(SANDBOX_COMPANIES[0]?.company ?? {})),
  journals: new Set(Object.keys(SANDBOX_COMPANIES[0]?.journals[0] ?? {})),
  journalLines: LINE_PROPERTIES,
  generalLedgerEntries: GL_ENTRY_PROPERTIES,
};

/**
 * Serves one API request (also used for each operation of a `$batch`).
 *
 * @example
 * const reply = handleApi({ method: "GET", path: "companies", query, headers, body: undefined, apiRoot }, data);
 */
export function handleApi(request: ApiRequest, data: ApiData, tx?: Transaction): Reply {
  const path = decodeURIComponent(request.path);
  const match = ROUTE.exec(path);
  if (match === null) {
    return odataError(
      404,
      "BadRequest_NotFound",
      `No HTTP resource was found that matches the request URI '${request.path}'.`,
    );
  }
  const [, companyId, glEntryId, journalId, lineId] = match;
  const set = path.endsWith("Microsoft.NAV.post")
    ? "post"
    : /\/journalLines(\(|$)/.test(path)
      ? "journalLines"
      : /\/generalLedgerEntries(\(|$)/.test(path)
        ? "generalLedgerEntries"
        : /\/journals(\(|$)/.test(path)
          ? "journals"
          : "companies";
  const isCollection = !path.endsWith(")");
  const allowed =
    request.method === "GET"
      ? set !== "post"
      : set === "post"
        ? request.method === "POST"
        : set === "journalLines" &&
          ((isCollection && request.method === "POST") ||
            (!isCollection && (request.method === "PATCH" || request.method === "DELETE")));
  if (!allowed) {
    return odataError(
      405,
      "BadRequest_MethodNotAllowed",
      `'${request.method}' is not allowed on this resource.`,
    );
  }
  if (companyId === undefined)
    return collection(
      request,
      "companies",
      SANDBOX_COMPANIES.map((c) => c.company),
    );
  const company = SANDBOX_COMPANIES.find((c) => c.company.id.toLowerCase() === companyId.toLowerCase());
  if (company === undefined) {
    return odataError(
      400,
      "Internal_CompanyNotFound",
      `Cannot process the request because the company '${companyId}' cannot be found.`,
    );
  }
  if (set === "companies") return entity(request, "companies", company.company);
  if (set === "generalLedgerEntries") {
    const entries = data.ledger.list(company.company.id);
    if (glEntryId === undefined) return collection(request, "generalLedgerEntries", entries);
    const row = entries.find((e) => e.id.toLowerCase() === glEntryId.toLowerCase());
    if (row === undefined) {
      return odataError(
        404,
        "BadRequest_NotFound",
        `The general ledger entry '${glEntryId}' does not exist.`,
      );
    }
    return entity(request, "generalLedgerEntries", row);
  }
  if (journalId === undefined) return collection(request, "journals", company.journals);
  const journal = company.journals.find((j) => j.id.toLowerCase() === journalId.toLowerCase());
  if (journal === undefined) {
    return odataError(
      404,
      "BadRequest_NotFound",
      `The journal '${journalId}' does not exist in this company.`,
    );
  }
  if (set === "post") return data.ledger.post(company.company.id, journal.id, data.lines);
  if (set === "journals") return entity(request, "journals", journal);
  const lines = data.lines.list(journal.id);
  if (lineId !== undefined) {
    const line = lines.find((l) => l.id.toLowerCase() === lineId.toLowerCase());
    if (line === undefined)
      return odataError(404, "BadRequest_NotFound", `The journal line '${lineId}' does not exist.`);
    if (request.method === "DELETE" || request.method === "PATCH") {
      const precondition = checkIfMatch(request, line);
      if (precondition !== undefined) return precondition;
    }
    if (request.method === "DELETE") {
      data.lines.delete(journal.id, line.id, tx);
      return { status: 204 };
    }
    if (request.method === "PATCH") return patchLine(request, data, journal, line, tx);
    return entity(request, "journalLines", withEtag(line));
  }
  if (request.method === "POST") return createLine(request, data, journal, tx);
  return collection(request, "journalLines", lines.map(withEtag));
}

/**
 * Updates and deletes need `If-Match` with the line's current `@odata.etag` or `*` (Learn, "Update
 * journalLines": "If-Match — Required"). Missing: `BadRequest_InvalidToken`; stale:
 * `Request_EntityChanged` 409 (Learn, "Troubleshooting REST API/OData calls").
 */
function checkIfMatch(request: ApiRequest, line: JournalLine): Reply | undefined {
  const ifMatch = request.headers["if-match"];
  if (ifMatch === undefined || ifMatch.trim() === "") {
    return odataError(
      400,
      "BadRequest_InvalidToken",
      "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.",
    );
  }
  if (ifMatch.trim() !== "*" && ifMatch.trim() !== etag(line)) {
    return odataError(409, "Request_EntityChanged", "Another user has already changed the record.");
  }
  return undefined;
}

type LineFields = Omit<
  JournalLine,
  "id" | "journalId" | "journalDisplayName" | "lineNumber" | "lastModifiedDateTime"
>;

/** Validates a POST/PATCH body over `base` (the defaults, or the line being patched). */
function lineFields(body: unknown, base: LineFields): LineFields | Reply {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return odataError(400, "BadRequest", "The request body must be a JSON object.");
  }
  const fields = body as Record<string, unknown>;
  for (const [name, value] of Object.entries(fields)) {
    const type = WRITABLE[name];
    if (type === undefined) {
      return odataError(
        400,
        "BadRequest",
        `The property '${name}' does not exist on type 'Microsoft.NAV.journalLine'.`,
      );
    }
    if (typeof value !== type) {
      return odataError(
        400,
        "BadRequest",
        `Cannot convert the literal '${String(value)}' to the expected type 'Edm.${type === "number" ? "Decimal" : "String"}'.`,
      );
    }
  }
  const str = (name: keyof LineFields) =>
    typeof fields[name] === "string" ? (fields[name] as string) : (base[name] as string);
  const postingDate = str("postingDate");
  if (!isCalendarDate(postingDate)) {
    return odataError(
      400,
      "BadRequest",
      `Cannot convert the literal '${postingDate}' to the expected type 'Edm.Date'.`,
    );
  }
  const description = str("description");
  if (description.length > DESCRIPTION_MAX) {
    return odataError(
      400,
      "Application_StringExceededLength",
      `The length of the string is ${description.length}, but it must be less than or equal to ${DESCRIPTION_MAX} characters. Value: ${description}`,
    );
  }
  // "Document No." is Code[20] and "External Document No." Code[35] in BC; longer values are refused,
  // and BC stores Code fields upper-cased (so clients must match case-insensitively).
  for (const [name, max] of CODE_FIELDS) {
    const value = str(name as keyof LineFields);
    if (value.length > max) {
      return odataError(
        400,
        "Application_StringExceededLength",
        `The length of the string is ${value.length}, but it must be less than or equal to ${max} characters. Value: ${value}`,
      );
    }
  }
  const accountType = str("accountType");
  const accountNumber = str("accountNumber").toUpperCase();
  const accountProblem = checkAccount(accountType, accountNumber, "accountNumber", "Account No.");
  if (accountProblem !== undefined) return accountProblem;
  const balanceAccountType = str("balanceAccountType");
  const balancingAccountNumber = str("balancingAccountNumber").toUpperCase();
  const balanceProblem = checkAccount(
    balanceAccountType,
    balancingAccountNumber,
    "balancingAccountNumber",
    "Bal. Account No.",
  );
  if (balanceProblem !== undefined) return balanceProblem;
  return {
    accountType,
    accountId: str("accountId") || EMPTY_GUID,
    accountNumber,
    postingDate,
    documentNumber: str("documentNumber").toUpperCase(),
    externalDocumentNumber: str("externalDocumentNumber").toUpperCase(),
    amount: typeof fields.amount === "number" ? fields.amount : base.amount,
    description,
    comment: str("comment"),
    taxCode: str("taxCode"),
    balanceAccountType,
    balancingAccountId: str("balancingAccountId") || EMPTY_GUID,
    balancingAccountNumber,
  };
}

const NEW_LINE: LineFields = {
  accountType: "G/L Account",
  accountId: EMPTY_GUID,
  accountNumber: "",
  postingDate: "",
  documentNumber: "",
  externalDocumentNumber: "",
  amount: 0,
  description: "",
  comment: "",
  taxCode: "",
  balanceAccountType: "G/L Account",
  balancingAccountId: EMPTY_GUID,
  balancingAccountNumber: "",
};

function createLine(
  request: ApiRequest,
  data: ApiData,
  journal: Journal,
  tx: Transaction | undefined,
): Reply {
  const fields = lineFields(request.body, {
    ...NEW_LINE,
    postingDate: new Date().toISOString().slice(0, 10),
  });
  if ("status" in fields) return fields;
  const line = data.lines.create(
    journal.id,
    journal.displayName,
    fields,
    ourReference(fields.externalDocumentNumber, fields.documentNumber),
    data.received,
    tx,
  );
  const location = `${request.apiRoot}/${request.path}(${line.id})`;
  return {
    status: 201,
    headers: { Location: location, ETag: etag(line) },
    body: { "@odata.context": `${request.apiRoot}/$metadata#journalLines/$entity`, ...withEtag(line) },
  };
}

function patchLine(
  request: ApiRequest,
  data: ApiData,
  journal: Journal,
  line: JournalLine,
  tx: Transaction | undefined,
): Reply {
  const fields = lineFields(request.body, line);
  if ("status" in fields) return fields;
  const updated = data.lines.update(journal.id, line.id, fields, tx) ?? line;
  return {
    status: 200,
    headers: { ETag: etag(updated) },
    body: { "@odata.context": `${request.apiRoot}/$metadata#journalLines/$entity`, ...withEtag(updated) },
  };
}

/**
 * "Our reference" for `/__sandbox/state` (docs/architecture.md §9: the ledger entry id as canonical lower-case uuid text):
 * the adapter sends it as 32 upper-case hex digits in `externalDocumentNumber`; a dashed uuid is accepted
 * too, and a line without one falls back to `documentNumber`. Anything else counts under its own text.
 */
export function ourReference(externalDocumentNumber: string, documentNumber: string): string {
  const raw = externalDocumentNumber.trim() || documentNumber.trim();
  if (!UUID_TEXT.test(raw)) return raw;
  const h = raw.replaceAll("-", "").toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

type Row = Company | Journal | GLEntry | (JournalLine & { "@odata.etag": string });

function entity(request: ApiRequest, set: string, row: Row): Reply {
  const selected = select(request.query.get("$select"), row);
  if ("error" in selected) return selected.error;
  return {
    status: 200,
    body: { "@odata.context": `${request.apiRoot}/$metadata#${set}/$entity`, ...selected.row },
  };
}

function collection(request: ApiRequest, set: string, rows: readonly Row[]): Reply {
  for (const key of request.query.keys()) {
    if (
      key.startsWith("$") &&
      !["$filter", "$select", "$top", "$skip", "$skiptoken", "$orderby"].includes(key)
    ) {
      return odataError(400, "BadRequest", `The query parameter '${key}' is not supported.`);
    }
  }
  let list: readonly Row[] = rows;
  const filterText = request.query.get("$filter");
  if (filterText !== null) {
    try {
      const keep = compileFilter(filterText, PROPERTIES[set] ?? new Set(), DATE_PROPERTIES);
      list = list.filter((r) => keep(r as unknown as Record<string, unknown>));
    } catch (error) {
      if (error instanceof FilterError) return odataError(400, "BadRequest", error.message);
      throw error;
    }
  }
  const skip = count(request.query.get("$skip"));
  const top = count(request.query.get("$top"));
  const offset = count(request.query.get("$skiptoken"));
  if (skip === "bad" || top === "bad" || offset === "bad") {
    return odataError(400, "BadRequest", "$top, $skip and $skiptoken must be non-negative integers.");
  }
  list = list.slice(skip ?? 0);
  if (top !== undefined) list = list.slice(0, top);
  const preferred = /odata\.maxpagesize=(\d+)/.exec(request.headers.prefer ?? "")?.[1];
  const pageSize = Math.min(
    preferred === undefined ? MAX_PAGE_SIZE : Math.max(1, Number(preferred)),
    MAX_PAGE_SIZE,
  );
  const start = offset ?? 0;
  const page: Record<string, unknown>[] = [];
  for (const row of list.slice(start, start + pageSize)) {
    const selected = select(request.query.get("$select"), row);
    if ("error" in selected) return selected.error;
    page.push(selected.row);
  }
  const body: Record<string, unknown> = {
    "@odata.context": `${request.apiRoot}/$metadata#${set}`,
    value: page,
  };
  const headers: Record<string, string> = {};
  if (preferred !== undefined) headers["Preference-Applied"] = `odata.maxpagesize=${pageSize}`;
  if (start + pageSize < list.length) {
    const nextQuery = new URLSearchParams(request.query);
    nextQuery.set("$skiptoken", String(start + pageSize));
    const encoded = [...nextQuery].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
    body["@odata.nextLink"] = `${request.apiRoot}/${request.path}?${encoded}`;
  }
  return { status: 200, headers, body };
}

function select(text: string | null, row: Row): { row: Record<string, unknown> } | { error: Reply } {
  const record = row as unknown as Record<string, unknown>;
  if (text === null) return { row: { ...record } };
  const out: Record<string, unknown> = {};
  if ("@odata.etag" in record) out["@odata.etag"] = record["@odata.etag"];
  for (const name of text.split(",").map((s) => s.trim())) {
    if (!(name in record)) {
      return {
        error: odataError(
          400,
          "BadRequest",
          `Could not find a property named '${name}' on type 'Microsoft.NAV.entity'.`,
        ),
      };
    }
    out[name] = record[name];
  }
  return { row: out };
}

function count(value: string | null): number | undefined | "bad" {
  if (value === null) return undefined;
  return /^\d+$/.test(value) ? Number(value) : "bad";
}

function etag(line: JournalLine): string {
  return `W/"${Buffer.from(`${line.id};${line.lastModifiedDateTime}`).toString("base64")}"`;
}

function withEtag(line: JournalLine): JournalLine & { "@odata.etag": string } {
  return { "@odata.etag": etag(line), ...line };
}
