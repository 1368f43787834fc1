/**
 * OAuth2 client-credentials tokens for Business Central (Microsoft Entra ID, v2.0 endpoint).
 * One provider per adapter instance: the token is cached until 60 s before it expires, concurrent callers
 * share one in-flight request, and {@link TokenProvider.invalidate} drops a token the API rejected.
 */
import { IntegrationError } from "../errors.ts";
import { parseJson, parseRetryAfter, send } from "../http.ts";

/** The only scope Business Central accepts for service-to-service calls. */
export const BUSINESS_CENTRAL_SCOPE = "https://api.businesscentral.dynamics.com/.default";

// Renew 60 s early so a token never expires between being read here and reaching BC (clock skew + a slow
// request under our 30 s deadline fit well inside a minute).
const EXPIRY_MARGIN_MS = 60_000;

/** How to obtain tokens. */
export interface TokenProviderOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  timeoutMs: number;
  now?: () => number;
}

interface CachedToken {
  value: string;
  /** Epoch ms after which we no longer hand it out. */
  useUntil: number;
}

/**
 * Caches and refreshes a client-credentials access token.
 *
 * @example
 * const tokens = new TokenProvider({ tokenUrl, clientId, clientSecret, timeoutMs: 30_000 });
 * const bearer = await tokens.get(signal);
 */
export class TokenProvider {
  readonly #options: TokenProviderOptions;
  readonly #now: () => number;
  #cached: CachedToken | undefined;
  #inflight: Promise<CachedToken> | undefined;

  constructor(options: TokenProviderOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A valid access token, fetched only when none is cached or the cached one is within 60 s of expiry;
   * `onRequest` is called when this call sends a token request.
   */
  async get(signal: AbortSignal, onRequest?: () => void): Promise<string> {
    const cached = this.#cached;
    if (cached !== undefined && this.#now() < cached.useUntil) return cached.value;
    if (this.#inflight === undefined) {
      // Counted once per token request actually sent, not per caller waiting on it.
      onRequest?.();
      this.#inflight = this.#fetch(signal).finally(() => {
        this.#inflight = undefined;
      });
    }
    const fresh = await this.#inflight;
    this.#cached = fresh;
    return fresh.value;
  }

  /** Forgets `token` if it is the cached one (the API answered 401 to it), so the next {@link get} refreshes. */
  invalidate(token: string): void {
    if (this.#cached?.value === token) this.#cached = undefined;
  }

  async #fetch(signal: AbortSignal): Promise<CachedToken> {
    const { tokenUrl, clientId, clientSecret, scope, timeoutMs } = this.#options;
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: clientId,
      client_secret: clientSecret,
      scope: scope ?? BUSINESS_CENTRAL_SCOPE,
    });
    const response = await send(
      tokenUrl,
      {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: form.toString(),
      },
      { signal, timeoutMs, what: "business central token" },
    );
    const status = response.status;
    if (status === 429 || status >= 500) {
      const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"), this.#now());
      throw new IntegrationError(
        status === 429 ? "rate_limited" : "server_error",
        `token endpoint: HTTP ${status}`,
        {
          status,
          ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
        },
      );
    }
    const body = parseJson(response, "token endpoint") as
      | { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown }
      | undefined;
    if (status !== 200 || typeof body?.access_token !== "string") {
      // Entra answers 400/401 with {"error":"invalid_client"|"unauthorized_client"|"invalid_scope",…}:
      // wrong secret, disabled app or wrong scope. Retrying cannot fix any of them.
      const remote = typeof body?.error === "string" ? body.error : undefined;
      const detail = typeof body?.error_description === "string" ? `: ${body.error_description}` : "";
      throw new IntegrationError(
        "unauthorized",
        `token endpoint: HTTP ${status} ${remote ?? ""}${detail}`.trim(),
        {
          status,
          ...(remote === undefined ? {} : { remoteCode: remote }),
        },
      );
    }
    // Entra sends expires_in as a number (older endpoints as a string); 3599 s is its usual value.
    const expiresInSeconds = Number(body.expires_in ?? 3599);
    const lifetimeMs = Number.isFinite(expiresInSeconds) ? expiresInSeconds * 1000 : 0;
    return { value: body.access_token, useUntil: this.#now() + lifetimeMs - EXPIRY_MARGIN_MS };
  }
}
