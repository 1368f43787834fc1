/**
 * `POST …/api/v2.0/$batch` in JSON format (Microsoft Learn, "Using OData transactional $batch requests",
 * dev-itpro/webservices/use-odata-batch.md): `{"requests":[{id,method,url,headers,body}]}` →
 * `{"responses":[{id,status,headers,body}]}`, in request order. At most 100 operations (BC online's cap,
 * operational-limits-online.md). With `Isolation: snapshot` the batch is one transaction: if any
 * operation fails, every change is rolled back — and, as the Learn page's example response shows, the
 * operations that ran before the failure still answer with their own 2xx status ("none of the changes
 * made by either of the successful inner requests are applied"). A client must therefore treat any
 * failed operation as "nothing happened", never trust a 2xx of that batch.
 *
 * Response ids: the request's `id` is echoed; a request without one gets `"id": null` (the Learn
 * example). `batchResponseIds: "null"` answers `null` for every operation, as BC has been seen to do,
 * so clients are tested mapping by position.
 */
import type { Reply } from "../http.ts";
import { type ApiData, type ApiRequest, handleApi } from "./api.ts";
import { odataError } from "./odataError.ts";
import type { Transaction } from "./store.ts";

// Operational limit of BC online: "$batch max 100 operations".
export const MAX_BATCH_OPERATIONS = 100;

interface BatchOperation {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  headers?: unknown;
  body?: unknown;
}

/**
 * Executes a JSON batch against {@link handleApi}.
 *
 * @example
 * const reply = handleBatch(request, data);
 */
export function handleBatch(
  request: ApiRequest,
  data: ApiData,
  responseIds: "echo" | "null" = "echo",
): Reply {
  if (!(request.headers["content-type"] ?? "").includes("application/json")) {
    return odataError(
      400,
      "BadRequest",
      "Only JSON batch requests (Content-Type: application/json) are supported.",
    );
  }
  const operations = (request.body as { requests?: unknown } | undefined)?.requests;
  if (!Array.isArray(operations)) {
    return odataError(400, "BadRequest", 'The batch request body must be {"requests":[...]}.');
  }
  if (operations.length > MAX_BATCH_OPERATIONS) {
    return odataError(
      400,
      "BadRequest",
      `The batch request contains ${operations.length} operations, which exceeds the maximum of ${MAX_BATCH_OPERATIONS}.`,
    );
  }
  const atomic = (request.headers.isolation ?? "").toLowerCase() === "snapshot";
  const tx: Transaction = { created: [], undo: [] };
  const responses: { id: string | null; status: number; headers: Record<string, string>; body?: unknown }[] =
    [];
  let failed = false;
  for (const raw of operations as BatchOperation[]) {
    const id =
      responseIds === "null" || raw?.id == null ? null : typeof raw.id === "string" ? raw.id : String(raw.id);
    const reply = runOperation(raw, request, data, atomic ? tx : undefined);
    if (reply.status >= 400) failed = true;
    responses.push({ id, status: reply.status, headers: { ...reply.headers }, body: reply.body });
  }
  // Rolled back, but the 2xx answers of the operations that ran stay as they were (see above).
  if (atomic && failed) data.lines.rollback(tx, data.received);
  return { status: 200, headers: { "OData-Version": "4.0" }, body: { responses } };
}

function runOperation(
  op: BatchOperation,
  batch: ApiRequest,
  data: ApiData,
  tx: Transaction | undefined,
): Reply {
  if (typeof op?.method !== "string" || typeof op.url !== "string") {
    return odataError(400, "BadRequest", "Each batch operation needs a method and a url.");
  }
  // Relative URLs are relative to the API root; absolute ones must point into it.
  let target = op.url;
  if (/^https?:\/\//i.test(target)) {
    const root = `${batch.apiRoot}/`;
    if (!target.startsWith(root))
      return odataError(400, "BadRequest", `The url '${target}' is outside this service.`);
    target = target.slice(root.length);
  }
  target = target.replace(/^\//, "");
  const [path = "", search = ""] = target.split("?", 2);
  const headers: Record<string, string> = {};
  if (op.headers !== null && typeof op.headers === "object") {
    for (const [k, v] of Object.entries(op.headers)) if (typeof v === "string") headers[k.toLowerCase()] = v;
  }
  return handleApi(
    {
      method: op.method.toUpperCase(),
      path,
      query: new URLSearchParams(search),
      headers,
      body: op.body,
      apiRoot: batch.apiRoot,
    },
    data,
    tx,
  );
}
