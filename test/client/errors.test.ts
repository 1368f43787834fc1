import { describe, expect, it } from "vitest";
import {
  isSyncError,
  isSyncTriggerError,
  parseDetails,
  RUN_ERROR_CODES,
  SyncError,
  type SyncErrorCode,
  SyncTriggerError,
  syncErrorMessage,
  TRIGGER_ERROR_CODES,
  toSyncError,
  toSyncTriggerError,
} from "../../src/client/index.ts";

describe("SyncTriggerError mapping", () => {
  it("takes the symbolic code from PostgREST's body and parses the JSON-encoded details", () => {
    const busy = toSyncTriggerError(
      {
        code: "sync_already_in_progress",
        message: "A sync to Xledger is already in progress.",
        details: '{"run_id":"r-1"}',
        hint: null,
      },
      409,
    );
    expect(busy).toMatchObject({ name: "SyncTriggerError", code: "sync_already_in_progress", status: 409 });
    expect(busy.details).toEqual({ activeRunId: "r-1" });
    expect(busy.message).toBe("A sync to Xledger is already in progress.");

    const limited = toSyncTriggerError(
      { code: "rate_limited", message: "x", details: '{"retry_after_seconds":42}' },
      429,
    );
    expect(limited.details.retryAfterSeconds).toBe(42);
    expect(limited.userMessage("en")).toBe(
      "A sync was started less than 5 minutes ago. Try again in 42 seconds.",
    );
    expect(limited.userMessage("nb")).toBe(
      "En synkronisering ble startet for mindre enn 5 minutter siden. Prøv igjen om 42 sekunder.",
    );
  });

  it("maps PostgREST's anon refusal (42501/401) and JWT errors to permission_denied, no answer to network_error, the rest to unknown", () => {
    expect(toSyncTriggerError({ code: "42501", message: "permission denied for function" }, 401).code).toBe(
      "permission_denied",
    );
    expect(toSyncTriggerError({ code: "PGRST303", message: "JWT expired" }, 401).code).toBe(
      "permission_denied",
    );
    expect(toSyncTriggerError({ code: "", message: "TypeError: fetch failed" }, 0).code).toBe(
      "network_error",
    );
    expect(toSyncTriggerError({ code: "XX000", message: "boom" }, 500).code).toBe("unknown");
    expect(toSyncTriggerError(null, 502).code).toBe("unknown");
    // A cancel code is not a trigger code: the trigger's union stays docs/architecture.md §4's.
    expect(toSyncTriggerError({ code: "run_not_found" }, 404).code).toBe("unknown");
    expect(toSyncError({ code: "run_not_found" }, 404).code).toBe("run_not_found");
  });

  it("never branches on message text: the same message under another code maps by code", () => {
    const a = toSyncTriggerError({ code: "integration_disabled", message: "rate_limited" }, 409);
    expect(a.code).toBe("integration_disabled");
  });

  it("ignores details it cannot parse", () => {
    expect(parseDetails("not json")).toEqual({});
    expect(parseDetails('["a"]')).toEqual({});
    expect(parseDetails(null)).toEqual({});
    expect(parseDetails('{"allowed":["xledger","dynamics"]}')).toEqual({
      allowedTypes: ["xledger", "dynamics"],
    });
    const at = parseDetails('{"retry_after_seconds":60}', 1_000);
    expect(at.retryAt?.getTime()).toBe(61_000);
  });

  it("has an English and a Norwegian text for every code, all different", () => {
    const codes: SyncErrorCode[] = [...TRIGGER_ERROR_CODES, ...RUN_ERROR_CODES];
    const en = codes.map((c) => syncErrorMessage(c, "en"));
    const nb = codes.map((c) => syncErrorMessage(c, "nb"));
    expect(new Set(en).size).toBe(codes.length);
    expect(new Set(nb).size).toBe(codes.length);
    codes.forEach((code, i) => {
      expect(en[i], code).not.toBe(nb[i]);
      expect(new SyncError(code).userMessage("nb")).toBe(nb[i]);
    });
    expect(syncErrorMessage("rate_limited", "en", { retryAfterSeconds: 299 })).toContain("in 5 minutes");
    expect(syncErrorMessage("rate_limited", "nb", { retryAfterSeconds: 61 })).toContain("om 2 minutter");
    expect(syncErrorMessage("rate_limited", "en", { retryAfterSeconds: 1 })).toContain("in 1 second.");
  });
});

describe("recognising errors across two copies of the package", () => {
  it("isSyncTriggerError and isSyncError accept an error made by a second copy, where instanceof fails", async () => {
    // A distinct module instance, as when an app bundles two versions of the SDK.
    const copy = (await import(
      // @ts-expect-error the query string makes Vite load a second instance of the same file
      "../../src/client/errors.ts?second-copy"
    )) as typeof import("../../src/client/errors.ts");
    expect(copy.SyncTriggerError).not.toBe(SyncTriggerError);
    const foreign = copy.toSyncTriggerError(
      { code: "rate_limited", details: '{"retry_after_seconds":5}' },
      429,
    );
    expect(foreign instanceof SyncTriggerError).toBe(false);
    expect(isSyncTriggerError(foreign)).toBe(true);
    expect(isSyncError(foreign)).toBe(true);
    const plain = copy.toSyncError({ code: "run_not_found" }, 404);
    expect(isSyncError(plain)).toBe(true);
    expect(isSyncTriggerError(plain)).toBe(false);
    expect(isSyncError(new Error("rate_limited"))).toBe(false);
    expect(isSyncTriggerError({ code: "rate_limited" })).toBe(false);
    expect(isSyncTriggerError(null)).toBe(false);
  });
});
