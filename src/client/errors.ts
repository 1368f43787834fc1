import {
  ADMIN_ERROR_CODES,
  RECONCILE_ERROR_CODES,
  RUN_ERROR_CODES,
  type SyncErrorCode,
  type SyncErrorDetails,
  type SyncTriggerErrorCode,
  TRIGGER_ERROR_CODES,
} from "./errorCodes.ts";
import { syncErrorMessage } from "./messages.ts";
import type { Locale, RunStatus } from "./types.ts";

/** The error body supabase-js hands back (`{ error }`): PostgREST's `{code,message,details,hint}`. */
export interface PostgrestErrorLike {
  code?: string | null;
  message?: string | null;
  details?: string | null;
  hint?: string | null;
}

/** What a {@link SyncError} carries besides its code. */
export interface SyncErrorInit {
  /** HTTP status; 0 (the default) when the request got no answer. */
  status?: number;
  /** The server's message (English, for logs); defaults to the code. */
  message?: string;
  details?: SyncErrorDetails;
  hint?: string | null;
  cause?: unknown;
}

/**
 * Any refused or failed SDK call: a `code` to branch on, the HTTP `status` (0 when the request got
 * no answer), parsed `details`, and {@link SyncError.userMessage} for people. `message` is the
 * server's (English, for logs); never branch on it.
 */
export class SyncError extends Error {
  override readonly name: string = "SyncError";
  /**
   * Marks every SyncError, so {@link isSyncError} recognises one made by another copy of this
   * package (an app bundling two versions), where `instanceof` would say no — as auth-js does
   * with `__isAuthError`.
   */
  readonly __isSyncError = true;
  readonly code: SyncErrorCode;
  readonly status: number;
  readonly details: SyncErrorDetails;
  readonly hint: string | null;

  constructor(code: SyncErrorCode, init: SyncErrorInit = {}) {
    super(init.message || code, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.status = init.status ?? 0;
    this.details = init.details ?? {};
    this.hint = init.hint ?? null;
  }

  /**
   * The text to show a user, looked up from the code (never from the server's message).
   * @example toast(error.userMessage("nb")); // "Du har ikke tilgang til å starte en synkronisering."
   */
  userMessage(locale: Locale = "en"): string {
    return syncErrorMessage(this.code, locale, this.details);
  }
}

/** A refused `triggerManualSync`; `code` is one of docs/architecture.md §4's or `network_error` / `unknown`. */
export class SyncTriggerError extends SyncError {
  override readonly name = "SyncTriggerError";
  /** See {@link SyncError.__isSyncError}: recognised by {@link isSyncTriggerError} across copies. */
  readonly __isSyncTriggerError = true;
  declare readonly code: SyncTriggerErrorCode;

  constructor(code: SyncTriggerErrorCode, init: SyncErrorInit = {}) {
    super(code, init);
  }
}

/**
 * Narrows an unknown rejection to a {@link SyncError}, by its marker property rather than
 * `instanceof`, so an error from another copy of this package counts too.
 * @example catch (e) { if (isSyncError(e)) toast(e.userMessage()); }
 */
export function isSyncError(value: unknown): value is SyncError {
  return typeof value === "object" && value !== null && "__isSyncError" in value;
}

/**
 * Narrows an unknown rejection to a {@link SyncTriggerError} (marker property, see {@link isSyncError}).
 * @example catch (e) { if (isSyncTriggerError(e) && e.code === "rate_limited") … }
 */
export function isSyncTriggerError(value: unknown): value is SyncTriggerError {
  return typeof value === "object" && value !== null && "__isSyncTriggerError" in value;
}

/**
 * Parses PostgREST's `details` text: the RPCs JSON-encode structured details into it
 * (`{"run_id":…}`, `{"retry_after_seconds":N}`, `{"allowed":[…]}`, `{"status":…}`).
 * Anything unparseable yields `{}`; a code is still a code without its details.
 * @example parseDetails('{"retry_after_seconds":299}') // → { retryAfterSeconds: 299, retryAt: Date }
 */
export function parseDetails(details: unknown, now: number = Date.now()): SyncErrorDetails {
  let value: unknown = details;
  if (typeof details === "string") {
    try {
      value = JSON.parse(details);
    } catch {
      return {};
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const v = value as Record<string, unknown>;
  const out: SyncErrorDetails = {};
  if (typeof v.run_id === "string") out.activeRunId = v.run_id;
  const retry =
    typeof v.retry_after_seconds === "string" ? Number(v.retry_after_seconds) : v.retry_after_seconds;
  if (typeof retry === "number" && Number.isFinite(retry) && retry >= 0) {
    out.retryAfterSeconds = retry;
    out.retryAt = new Date(now + retry * 1000);
  }
  if (Array.isArray(v.allowed))
    out.allowedTypes = v.allowed.filter((a): a is string => typeof a === "string");
  if (typeof v.status === "string") out.runStatus = v.status as RunStatus;
  if (typeof v.reason === "string") out.reason = v.reason;
  if (typeof v.max_days === "number" && Number.isFinite(v.max_days)) out.maxDays = v.max_days;
  if (Array.isArray(v.issues))
    out.issues = v.issues
      .filter((i): i is Record<string, unknown> => typeof i === "object" && i !== null)
      .map((i) => ({ path: String(i.path ?? ""), message: String(i.message ?? "") }));
  if (Array.isArray(v.problems))
    out.problems = v.problems.map((p) =>
      typeof p === "object" && p !== null
        ? {
            key: String((p as Record<string, unknown>).key ?? ""),
            problem: String((p as Record<string, unknown>).problem ?? ""),
          }
        : String(p),
    );
  return out;
}

/**
 * The code for a supabase-js `{ error, status }` pair. `status === 0` is supabase-js's "fetch threw"
 * (no answer). PostgREST's own refusal of a role without EXECUTE (`42501`, 401 for anon) and its
 * JWT errors (`PGRST301`/`PGRST302`/`PGRST303`, all 401) mean the caller is not signed in.
 * @example codeFor({ code: "rate_limited" }, 429, TRIGGER_ERROR_CODES) // → "rate_limited"
 */
export function codeFor<C extends SyncErrorCode>(
  error: PostgrestErrorLike | null | undefined,
  status: number,
  known: readonly C[],
): C | "permission_denied" | "network_error" | "unknown" {
  if (status === 0) return "network_error";
  const code = error?.code ?? "";
  if ((known as readonly string[]).includes(code)) return code as C;
  if (code === "42501" || status === 401) return "permission_denied";
  return "unknown";
}

/**
 * Builds the typed error for a failed `trigger_integration_sync` call.
 * @example
 * const { data, error, status } = await supabase.rpc("trigger_integration_sync", args);
 * if (error) throw toSyncTriggerError(error, status);
 */
export function toSyncTriggerError(
  error: PostgrestErrorLike | null | undefined,
  status: number,
): SyncTriggerError {
  const code = codeFor(error, status, TRIGGER_ERROR_CODES);
  return new SyncTriggerError(code, {
    status,
    message: error?.message ?? code,
    details: parseDetails(error?.details),
    hint: error?.hint ?? null,
    cause: error,
  });
}

const ALL_CODES = [
  ...TRIGGER_ERROR_CODES,
  ...RUN_ERROR_CODES,
  ...ADMIN_ERROR_CODES,
  ...RECONCILE_ERROR_CODES,
];

/**
 * Builds the typed error for any other failed SDK call (reads, `cancel_integration_sync`, the
 * reconciliation RPCs). `operation` (reconciliation calls) picks the right words for the codes the
 * reconciliation shares with the trigger; see {@link SyncErrorDetails.operation}.
 * @example if (error) throw toSyncError(error, status);
 */
export function toSyncError(
  error: PostgrestErrorLike | null | undefined,
  status: number,
  operation?: SyncErrorDetails["operation"],
): SyncError {
  const code = codeFor(error, status, ALL_CODES);
  const details = parseDetails(error?.details);
  if (operation) details.operation = operation;
  return new SyncError(code, {
    status,
    message: error?.message ?? code,
    details,
    hint: error?.hint ?? null,
    cause: error,
  });
}
