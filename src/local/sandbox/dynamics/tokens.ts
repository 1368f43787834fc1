/**
 * Fake Microsoft Entra token endpoint (`POST /bc/oauth2/v2.0/token`, client credentials) and the
 * registry of the tokens it issued. Tokens are opaque random strings that expire after `ttlSeconds`.
 */
import { randomBytes } from "node:crypto";
import type { Reply, SandboxRequest } from "../http.ts";
import { SANDBOX_BC_CLIENT_ID, SANDBOX_BC_CLIENT_SECRET } from "./data.ts";

const SCOPE = "https://api.businesscentral.dynamics.com/.default";

// Entra issues app tokens valid for 60–90 min and reports expires_in 3599; tests shorten it.
export const DEFAULT_TOKEN_TTL_SECONDS = 3599;

/**
 * Issues and checks bearer tokens.
 *
 * @example
 * const tokens = new TokenRegistry(3599);
 * const reply = tokens.handle(request); // the token endpoint
 * tokens.clientOf("eyJ…"); // "sandbox-client" or undefined when unknown/expired
 */
export class TokenRegistry {
  readonly #ttlSeconds: number;
  #issued = new Map<string, { clientId: string; expiresAt: number }>();
  /** Tokens issued since start/reset (tests assert caching with it). */
  issuedCount = 0;

  constructor(ttlSeconds: number = DEFAULT_TOKEN_TTL_SECONDS) {
    this.#ttlSeconds = ttlSeconds;
  }

  /** The client a still-valid token belongs to. */
  clientOf(token: string): string | undefined {
    const entry = this.#issued.get(token);
    if (entry === undefined) return undefined;
    if (Date.now() >= entry.expiresAt) {
      this.#issued.delete(token);
      return undefined;
    }
    return entry.clientId;
  }

  /** Makes every issued token invalid (as if they all expired or were revoked). */
  revokeAll(): void {
    this.#issued.clear();
  }

  reset(): void {
    this.revokeAll();
    this.issuedCount = 0;
  }

  /** Answers `POST …/oauth2/v2.0/token` like Entra's v2.0 endpoint. */
  handle(request: SandboxRequest): Reply {
    if (request.method !== "POST")
      return aadError(405, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.");
    if (!(request.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded")) {
      return aadError(
        400,
        "invalid_request",
        "AADSTS900144: The request body must be application/x-www-form-urlencoded.",
      );
    }
    const form = new URLSearchParams(request.body);
    if (form.get("grant_type") !== "client_credentials") {
      return aadError(
        400,
        "unsupported_grant_type",
        "AADSTS70003: The app requested an unsupported grant type.",
      );
    }
    const clientId = form.get("client_id");
    if (clientId !== SANDBOX_BC_CLIENT_ID) {
      return aadError(
        400,
        "unauthorized_client",
        `AADSTS700016: Application with identifier '${clientId ?? ""}' was not found in the directory.`,
      );
    }
    if (form.get("client_secret") !== SANDBOX_BC_CLIENT_SECRET) {
      return aadError(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
    }
    if (form.get("scope") !== SCOPE) {
      return aadError(
        400,
        "invalid_scope",
        `AADSTS1002012: The provided value for scope ${form.get("scope") ?? ""} is not valid.`,
      );
    }
    const token = randomBytes(24).toString("base64url");
    this.#issued.set(token, { clientId, expiresAt: Date.now() + this.#ttlSeconds * 1000 });
    this.issuedCount += 1;
    return {
      status: 200,
      headers: { "Cache-Control": "no-store" },
      body: {
        token_type: "Bearer",
        expires_in: this.#ttlSeconds,
        ext_expires_in: this.#ttlSeconds,
        access_token: token,
      },
    };
  }
}

function aadError(status: number, error: string, description: string): Reply {
  return {
    status,
    body: {
      error,
      error_description: description,
      error_codes: [Number(description.slice(6, description.indexOf(":")))],
    },
  };
}
