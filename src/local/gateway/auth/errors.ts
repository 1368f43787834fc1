import type { IncomingMessage, ServerResponse } from "node:http";
import { header, sendJson } from "../http.ts";

/** The API version GoTrue speaks when a client sends `X-Supabase-Api-Version` (auth-js always does). */
export const API_VERSION = "2024-01-01";

/** A GoTrue error: HTTP status, machine code (auth-js `error.code`) and message. */
export class AuthError extends Error {
  override readonly name = "AuthError";
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sends a GoTrue error in the shape auth-js parses: `{"code":"<error_code>","message":…}` for
 * API version ≥ 2024-01-01 (with the version echoed in a header), else the legacy
 * `{"code":<status>,"error_code":…,"msg":…}` (supabase/auth `internal/api/errors.go`).
 * @example sendAuthError(req, res, new AuthError(400, "invalid_credentials", "Invalid login credentials"));
 */
export function sendAuthError(req: IncomingMessage, res: ServerResponse, error: AuthError): void {
  const version = header(req, "x-supabase-api-version");
  if (version && version >= API_VERSION) {
    sendJson(
      req,
      res,
      error.status,
      { code: error.errorCode, message: error.message },
      { "X-Supabase-Api-Version": API_VERSION },
    );
  } else {
    sendJson(req, res, error.status, { code: error.status, error_code: error.errorCode, msg: error.message });
  }
}
