import { describe, expect, it } from "vitest";
import {
  RECONCILE_ERROR_CODES,
  type SyncErrorCode,
  syncErrorMessage,
  TRIGGER_ERROR_CODES,
  toSyncError,
} from "../../src/client/index.ts";

// The reconciliation RPCs' codes (docs/reconciliation.md) as the SDK types them and tells people.
describe("reconciliation error codes", () => {
  it("maps every reconciliation code from PostgREST's body, with its details", () => {
    for (const code of RECONCILE_ERROR_CODES)
      expect(toSyncError({ code, message: "x", details: null }, 409, "reconcile").code).toBe(code);
    const busy = toSyncError(
      { code: "reconciliation_already_in_progress", message: "m", details: '{"run_id":"r-1"}' },
      409,
      "reconcile",
    );
    expect(busy.details).toEqual({ activeRunId: "r-1", operation: "reconcile" });
    expect(busy.status).toBe(409);
    const long = toSyncError(
      { code: "invalid_period", details: '{"reason":"too_long","max_days":366}' },
      400,
      "reconcile",
    );
    expect(long.userMessage("en")).toBe("The period is too long: a reconciliation covers at most 366 days.");
    expect(long.userMessage("nb")).toBe("Perioden er for lang: en avstemming dekker høyst 366 dager.");
    // Not a code the SDK knows: unknown, never a guess from the message.
    expect(toSyncError({ code: "finding_gone", message: "finding_not_found" }, 404).code).toBe("unknown");
  });

  it("has an English and a Norwegian text for every reconciliation code, all different", () => {
    const codes: SyncErrorCode[] = [...RECONCILE_ERROR_CODES];
    const en = codes.map((c) => syncErrorMessage(c, "en"));
    const nb = codes.map((c) => syncErrorMessage(c, "nb"));
    expect(new Set(en).size).toBe(codes.length);
    expect(new Set(nb).size).toBe(codes.length);
    codes.forEach((code, i) => {
      expect(en[i], code).not.toBe(nb[i]);
    });
    expect(syncErrorMessage("invalid_note", "en")).toBe("Write a note of 1 to 500 characters.");
    expect(syncErrorMessage("invalid_note", "nb")).toBe("Skriv en merknad på 1 til 500 tegn.");
  });

  it("words the codes it shares with the trigger for a reconciliation, and leaves the trigger's words alone", () => {
    const reconcile = (code: SyncErrorCode, locale: "en" | "nb", retry?: number) =>
      toSyncError(
        {
          code,
          message: "m",
          details: retry === undefined ? null : JSON.stringify({ retry_after_seconds: retry }),
        },
        429,
        "reconcile",
      ).userMessage(locale);
    expect(reconcile("rate_limited", "en", 840)).toBe(
      "A reconciliation of this integration was started less than 15 minutes ago. Try again in 14 minutes.",
    );
    expect(reconcile("rate_limited", "nb", 840)).toBe(
      "En avstemming av denne integrasjonen ble startet for mindre enn 15 minutter siden. Prøv igjen om 14 minutter.",
    );
    expect(reconcile("sync_already_in_progress", "en")).toBe(
      "An export of this integration is running. Reconcile when it has finished.",
    );
    expect(reconcile("permission_denied", "nb")).toContain("starte en avstemming");
    expect(toSyncError({ code: "permission_denied" }, 403, "finding").userMessage("en")).toContain(
      "act on reconciliation findings",
    );
    // Without an operation every trigger code reads as before.
    for (const code of TRIGGER_ERROR_CODES)
      expect(toSyncError({ code }, 409).userMessage("en")).toBe(syncErrorMessage(code, "en"));
    expect(syncErrorMessage("rate_limited", "en", { retryAfterSeconds: 299 })).toBe(
      "A sync was started less than 5 minutes ago. Try again in 5 minutes.",
    );
  });
});
