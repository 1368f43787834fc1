/**
 * Fake Business Central: Entra-style token endpoint plus the API v2.0 root, with bearer-token checks and
 * BC's per-client sliding-window throttle in front of the entity sets and `$batch`.
 */
import type { Fault } from "../faults.ts";
import { type Reply, type SandboxRequest, tryParseJson } from "../http.ts";
import { ReceivedCounter } from "../state.ts";
import { handleApi } from "./api.ts";
import { handleBatch } from "./batch.ts";
import { GeneralLedger } from "./ledger.ts";
import { odataError } from "./odataError.ts";
import { BC_RATE_LIMIT, type RateLimit, SlidingWindowLimiter } from "./rateLimiter.ts";
import { JournalLineStore } from "./store.ts";
import { DEFAULT_TOKEN_TTL_SECONDS, TokenRegistry } from "./tokens.ts";

/** Tunables for tests; defaults are Business Central online's. */
export interface DynamicsSandboxOptions {
  /** Lifetime of issued tokens (`expires_in`); default 3599 s. */
  tokenTtlSeconds?: number;
  /** Server-side throttle; default 6,000 requests per 300 s per client. */
  rateLimit?: RateLimit;
  /** `$batch` response ids: `"echo"` (default) echoes each request's id, `"null"` answers null for all. */
  batchResponseIds?: "echo" | "null";
}

/** Matches `/bc/oauth2/v2.0/token` and the tenant form `/bc/<tenant>/oauth2/v2.0/token`. */
export const TOKEN_PATH = /^\/bc(?:\/[^/]+)?\/oauth2\/v2\.0\/token$/;
/**
 * Matches the API root in its short form `/bc/api/v2.0` and in BC online's forms
 * `/bc/v2.0/<environment>/api/v2.0` and `/bc/v2.0/<tenant>/<environment>/api/v2.0`.
 */
export const API_PATH = /^(\/bc(?:\/v2\.0\/[^/]+(?:\/[^/]+)?)?\/api\/v2\.0)(?:\/(.*))?$/;

/**
 * One fake Business Central instance.
 *
 * @example
 * const bc = new DynamicsSandbox({ tokenTtlSeconds: 3599 });
 * const reply = bc.handleApi(request);
 */
export class DynamicsSandbox {
  readonly received = new ReceivedCounter();
  readonly lines = new JournalLineStore();
  readonly ledger = new GeneralLedger();
  readonly #batchResponseIds: "echo" | "null";
  readonly tokens: TokenRegistry;
  readonly #limiter: SlidingWindowLimiter;

  constructor(options: DynamicsSandboxOptions = {}) {
    this.tokens = new TokenRegistry(options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS);
    this.#limiter = new SlidingWindowLimiter(options.rateLimit ?? BC_RATE_LIMIT);
    this.#batchResponseIds = options.batchResponseIds ?? "echo";
  }

  /** The token endpoint (never faulted: in production it is a different service, Entra ID). */
  handleToken(request: SandboxRequest): Reply {
    return this.tokens.handle(request);
  }

  /** A request under the API root: authenticate, throttle, then serve. */
  handleApi(request: SandboxRequest): Reply {
    const match = API_PATH.exec(request.url.pathname);
    if (match === null) return odataError(404, "BadRequest_NotFound", "Not an API v2.0 URL.");
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
    const client = bearer === undefined ? undefined : this.tokens.clientOf(bearer);
    if (client === undefined) {
      return odataError(
        401,
        "Authentication_InvalidCredentials",
        "The server has rejected the client credentials.",
        {
          "WWW-Authenticate":
            'Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"',
        },
      );
    }
    const wait = this.#limiter.admit(client);
    if (wait !== undefined) {
      return odataError(429, "TooManyRequests", "Too many requests reached. Actual (6000). Maximum (6000).", {
        "Retry-After": String(wait),
      });
    }
    let body: unknown;
    if (request.body.trim() !== "") {
      body = tryParseJson(request.body);
      if (body === undefined) return odataError(400, "BadRequest", "The request body is not valid JSON.");
    }
    const apiRequest = {
      method: request.method,
      path: match[2] ?? "",
      query: request.url.searchParams,
      headers: request.headers,
      body,
      apiRoot: `${request.url.origin}${match[1] ?? ""}`,
    };
    const data = { lines: this.lines, ledger: this.ledger, received: this.received };
    if (apiRequest.path === "$batch") {
      if (request.method !== "POST")
        return odataError(405, "BadRequest_MethodNotAllowed", "$batch needs POST.");
      return handleBatch(apiRequest, data, this.#batchResponseIds);
    }
    return handleApi(apiRequest, data);
  }

  /** The answer for an answering fault (`status`, `rate_limit`). */
  faultReply(fault: Fault): Reply {
    switch (fault.kind) {
      case "status": {
        const headers: Record<string, string> =
          fault.retry_after === undefined ? {} : { "Retry-After": String(fault.retry_after) };
        return odataError(
          fault.status,
          statusCode(fault.status),
          `Injected HTTP ${fault.status} (sandbox fault).`,
          headers,
        );
      }
      case "rate_limit":
        return odataError(429, "TooManyRequests", "Too many requests reached (sandbox fault).", {
          "Retry-After": String(fault.retry_after),
        });
      default:
        throw new Error(`fault ${fault.kind} has no Business Central reply`);
    }
  }

  reset(): void {
    this.received.clear();
    this.lines.clear();
    this.ledger.clear();
    this.tokens.reset();
    this.#limiter.reset();
  }
}

function statusCode(status: number): string {
  if (status === 401) return "Authentication_InvalidCredentials";
  if (status === 503) return "ServiceUnavailable";
  if (status === 504) return "GatewayTimeout";
  return status >= 500 ? "InternalServerError" : "BadRequest";
}
