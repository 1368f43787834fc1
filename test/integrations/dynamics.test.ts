/** The Business Central adapter against the fake Business Central over real HTTP on a loopback port. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { documentNumberFor } from "../../src/integrations/dynamics/journalLine.ts";
import { type AdapterOptions, createAdapter } from "../../src/integrations/registry.ts";
import type { IntegrationAdapter } from "../../src/integrations/types.ts";
import {
  SANDBOX_BC_CLIENT_ID,
  SANDBOX_BC_CLIENT_SECRET,
  SANDBOX_BC_COMPANY_ID,
  SANDBOX_BC_JOURNAL_CODE,
  SANDBOX_BC_JOURNAL_ID,
  type Sandbox,
  sandboxIntegrationSettings,
  startSandbox,
} from "../../src/local/sandbox/index.ts";
import { ctx, entries, integrationError } from "./fixtures.ts";

let sandbox: Sandbox;
let adapter: IntegrationAdapter;

/** An adapter on `target` with small pages so lookups always span several of them. */
function dynamics(
  target: Sandbox = sandbox,
  options: AdapterOptions = {},
  config: Record<string, unknown> = {},
  credentials: Record<string, unknown> = {},
): IntegrationAdapter {
  const settings = sandboxIntegrationSettings(target.url).dynamics;
  return createAdapter(
    "dynamics",
    { ...settings.config, ...config },
    { ...settings.credentials, ...credentials },
    { pageSize: 2, timeoutMs: 10_000, ...options },
  );
}

/** A bearer token straight from the sandbox's token endpoint, to read journal lines as BC stored them. */
async function sandboxBearer(): Promise<string> {
  const res = await fetch(`${sandbox.url}/bc/oauth2/v2.0/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: SANDBOX_BC_CLIENT_ID,
      client_secret: SANDBOX_BC_CLIENT_SECRET,
      scope: "https://api.businesscentral.dynamics.com/.default",
    }),
  });
  return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
  // A fresh adapter per test: token cache and budget never leak between tests.
  adapter = dynamics();
});

describe("Business Central adapter", () => {
  it("pings with GET companies?$top=1", async () => {
    await adapter.ping(ctx());
    expect(sandbox.counters().requests.dynamics).toBe(1);
  });

  it("caches the access token across calls", async () => {
    await adapter.ping(ctx());
    await adapter.ping(ctx());
    await adapter.findExported(entries(1), ctx());
    expect(sandbox.counters().tokensIssued).toBe(1);
  });

  it("does not use a token within 60 s of its expiry", async () => {
    const shortLived = await startSandbox({ port: 0, dynamics: { tokenTtlSeconds: 30 } });
    try {
      const bc = dynamics(shortLived);
      await bc.ping(ctx());
      await bc.ping(ctx());
      expect(shortLived.counters().tokensIssued).toBe(2);
    } finally {
      await shortLived.close();
    }
  });

  it("refreshes the token once when the API answers 401, then succeeds", async () => {
    await adapter.ping(ctx());
    sandbox.revokeTokens();
    await adapter.ping(ctx());
    expect(sandbox.counters().tokensIssued).toBe(2);
    expect(sandbox.counters().requests.dynamics).toBe(3);
  });

  it("gives up with unauthorized when a fresh token is rejected too", async () => {
    sandbox.fault({ target: "dynamics", kind: "status", status: 401, count: 2 });
    const error = await integrationError(adapter.ping(ctx()));
    expect([error.code, error.retryable, error.status]).toEqual(["unauthorized", false, 401]);
    expect(sandbox.counters().tokensIssued).toBe(2);
  });

  it("maps a wrong client secret to a non-retryable unauthorized error", async () => {
    const error = await integrationError(dynamics(sandbox, {}, {}, { client_secret: "nope" }).ping(ctx()));
    expect([error.code, error.retryable, error.remoteCode]).toEqual([
      "unauthorized",
      false,
      "invalid_client",
    ]);
  });

  it("exports journal lines with our reference in externalDocumentNumber and a Code[20] documentNumber", async () => {
    const batch = entries(3);
    const exported = await adapter.export(batch, ctx());
    expect(exported.map((e) => e.entryId)).toEqual(batch.map((e) => e.id));
    expect(new Set(exported.map((e) => e.externalId)).size).toBe(3);
    expect(sandbox.state().dynamics.received).toEqual(Object.fromEntries(batch.map((e) => [e.id, 1])));
    const res = await fetch(
      `${sandbox.url}/bc/api/v2.0/companies(${SANDBOX_BC_COMPANY_ID})/journals(${SANDBOX_BC_JOURNAL_ID})/journalLines`,
      { headers: { Authorization: await sandboxBearer() } },
    );
    const lines = (
      (await res.json()) as { value: { documentNumber: string; externalDocumentNumber: string }[] }
    ).value;
    expect(lines.map((l) => l.externalDocumentNumber)).toEqual(
      batch.map((e) => e.id.replaceAll("-", "").toUpperCase()),
    );
    for (const [i, l] of lines.entries()) {
      expect(l.documentNumber).toMatch(/^SYNC-[0-9A-F]{15}$/);
      expect(l.documentNumber).toBe(documentNumberFor(batch[i]?.voucherNumber ?? ""));
    }
    // One documentNumber per voucher: lines 0 and 1 share a voucher, line 2 starts the next.
    expect(lines[0]?.documentNumber).toBe(lines[1]?.documentNumber);
    expect(lines[2]?.documentNumber).not.toBe(lines[0]?.documentNumber);
  });

  it("finds references whatever their case, answering with the reference as asked", async () => {
    const batch = entries(2);
    await adapter.export(batch, ctx());
    const asked = batch.map((e) => e.id.toUpperCase());
    const found = await adapter.findExported(
      [...batch.map((e) => ({ ...e, id: e.id.toUpperCase() })), ...entries(1, { id: "not-a-uuid" })],
      ctx(),
    );
    expect(found.map((f) => f.entryId).sort()).toEqual([...asked].sort());
  });

  it("refuses an entry whose id is not a uuid before sending anything", async () => {
    const error = await integrationError(adapter.export(entries(1, { id: "entry-1" }), ctx()));
    expect([error.code, error.retryable]).toEqual(["invalid_voucher", false]);
    expect(sandbox.counters().requests.dynamics).toBe(0);
  });

  it("chunks more than 100 entries into $batch requests of at most 100 operations", async () => {
    expect(adapter.maxBatchSize).toBe(100);
    const batch = entries(250);
    const exported = await adapter.export(batch, ctx());
    expect(exported.map((e) => e.entryId)).toEqual(batch.map((e) => e.id));
    // 250 = 100 + 100 + 50 → three $batch requests, none rejected by the sandbox's 100 cap.
    expect(sandbox.counters().requests.dynamics).toBe(3);
    expect(Object.keys(sandbox.state().dynamics.received)).toHaveLength(250);
  });

  it("resolves the journal by code when no journal id is configured", async () => {
    const byCode = dynamics(sandbox, {}, { journal_id: undefined, journal_code: SANDBOX_BC_JOURNAL_CODE });
    const batch = entries(2);
    await byCode.export(batch, ctx());
    expect((await adapter.findExported(batch, ctx())).length).toBe(2);
  });

  it("reports an unknown journal code as not_found", async () => {
    const missing = dynamics(sandbox, {}, { journal_id: undefined, journal_code: "NOPE" });
    const error = await integrationError(missing.export(entries(1), ctx()));
    expect([error.code, error.retryable]).toEqual(["not_found", false]);
  });

  it("finds exported entries across server-driven pages, matching BC's upper-cased external document numbers", async () => {
    const batch = entries(5);
    const exported = await adapter.export(batch, ctx());
    const before = sandbox.counters().requests.dynamics;
    const found = await adapter.findExported(batch, ctx());
    expect(sandbox.counters().requests.dynamics - before).toBe(3); // 5 lines at maxpagesize 2
    expect(new Map(found.map((f) => [f.entryId, f.externalId]))).toEqual(
      new Map(exported.map((f) => [f.entryId, f.externalId])),
    );
  });

  it("looks references up in chunks so the $filter URL stays short", async () => {
    const batch = entries(30);
    await adapter.export(batch, ctx());
    const before = sandbox.counters().requests.dynamics;
    const bigPages = dynamics(sandbox, { pageSize: 1_000 });
    const found = await bigPages.findExported(batch, ctx());
    expect(found).toHaveLength(30);
    expect(sandbox.counters().requests.dynamics - before).toBe(2); // 25 + 5 references
  });

  it("refuses entries in a foreign currency before sending anything", async () => {
    const nok = dynamics(sandbox, {}, { local_currency: "NOK" });
    const error = await integrationError(
      nok.export([...entries(1), ...entries(1, { currency: "EUR" })], ctx()),
    );
    expect([error.code, error.retryable]).toEqual(["invalid_voucher", false]);
    expect(sandbox.counters().requests.dynamics).toBe(0);
  });

  it("gets nothing half-done when one line of a batch is invalid (snapshot isolation)", async () => {
    const batch = [...entries(2), ...entries(1, { entryDate: "2026-13-01" })];
    const error = await integrationError(adapter.export(batch, ctx()));
    expect([error.code, error.retryable, error.status]).toEqual(["bad_request", false, 400]);
    expect(sandbox.state().dynamics.received).toEqual({});
  });

  describe("faults and throttling", () => {
    it("429 with Retry-After → retryable rate_limited carrying the delay", async () => {
      sandbox.fault({ target: "dynamics", kind: "rate_limit", retry_after: 42 });
      const error = await integrationError(adapter.ping(ctx()));
      expect([error.code, error.retryable, error.retryAfterSeconds, error.status]).toEqual([
        "rate_limited",
        true,
        42,
        429,
      ]);
    });

    it("503 with Retry-After → retryable with the delay; other 5xx retryable without a hint", async () => {
      sandbox.fault({ target: "dynamics", kind: "status", status: 503, retry_after: 7 });
      sandbox.fault({ target: "dynamics", kind: "status", status: 500 });
      const unavailable = await integrationError(adapter.ping(ctx()));
      expect([unavailable.code, unavailable.retryable, unavailable.retryAfterSeconds]).toEqual([
        "server_error",
        true,
        7,
      ]);
      const failed = await integrationError(adapter.ping(ctx()));
      expect([failed.code, failed.retryable, failed.retryAfterSeconds]).toEqual([
        "server_error",
        true,
        undefined,
      ]);
    });

    it.each([
      [400, "bad_request", false],
      [403, "forbidden", false],
      [404, "not_found", false],
      [408, "timeout", true],
      [504, "timeout", true],
    ])("HTTP %i maps to %s", async (status, code, retryable) => {
      sandbox.fault({ target: "dynamics", kind: "status", status });
      const error = await integrationError(adapter.ping(ctx()));
      expect([error.code, error.retryable]).toEqual([code, retryable]);
    });

    it("latency beyond the deadline is a retryable timeout; within it, only slow", async () => {
      sandbox.fault({ target: "dynamics", kind: "latency", ms: 20 });
      await adapter.ping(ctx());
      sandbox.fault({ target: "dynamics", kind: "latency", ms: 5_000 });
      const error = await integrationError(dynamics(sandbox, { timeoutMs: 100 }).ping(ctx()));
      expect([error.code, error.retryable]).toEqual(["timeout", true]);
    });

    it("a reset connection is a retryable network error and applies nothing", async () => {
      sandbox.fault({ target: "dynamics", kind: "reset" });
      const error = await integrationError(adapter.export(entries(2), ctx()));
      expect([error.code, error.retryable]).toEqual(["network", true]);
      expect(sandbox.state().dynamics.received).toEqual({});
    });

    it("a lost response still applied the batch; findExported proves it, so nothing is sent twice", async () => {
      const batch = entries(3);
      sandbox.fault({ target: "dynamics", kind: "lost_response" });
      const error = await integrationError(adapter.export(batch, ctx()));
      expect([error.code, error.retryable]).toEqual(["network", true]);
      const found = await adapter.findExported(batch, ctx());
      expect(found.map((f) => f.entryId).sort()).toEqual(batch.map((e) => e.id).sort());
      const remaining = batch.filter((e) => !found.some((f) => f.entryId === e.id));
      if (remaining.length > 0) await adapter.export(remaining, ctx());
      expect(sandbox.state().dynamics.received).toEqual(Object.fromEntries(batch.map((e) => [e.id, 1])));
    });

    it("without that lookup a re-send would duplicate — the sandbox counts it twice", async () => {
      const batch = entries(1);
      sandbox.fault({ target: "dynamics", kind: "lost_response" });
      await integrationError(adapter.export(batch, ctx()));
      await adapter.export(batch, ctx());
      expect(sandbox.state().dynamics.received).toEqual({ [batch[0]?.id as string]: 2 });
    });

    it("the sandbox's sliding-window limit surfaces as rate_limited with a delay", async () => {
      const limited = await startSandbox({
        port: 0,
        dynamics: { rateLimit: { requests: 2, windowSeconds: 300 } },
      });
      try {
        const bc = dynamics(limited);
        await bc.ping(ctx());
        await bc.ping(ctx());
        const error = await integrationError(bc.ping(ctx()));
        expect(error.code).toBe("rate_limited");
        expect(error.retryAfterSeconds).toBeGreaterThan(0);
      } finally {
        await limited.close();
      }
    });

    it("the client-side budget refuses before sending and says when a slot frees", async () => {
      let now = Date.parse("2026-03-01T12:00:00Z");
      const bc = dynamics(sandbox, { budget: { limit: 2, windowSeconds: 300 }, now: () => now });
      await bc.ping(ctx());
      now += 100_000;
      await bc.ping(ctx());
      const error = await integrationError(bc.ping(ctx()));
      expect([error.code, error.retryable, error.retryAfterSeconds]).toEqual(["rate_limited", true, 200]);
      expect(sandbox.counters().requests.dynamics).toBe(2);
      now += 200_000; // the first request leaves the window
      await bc.ping(ctx());
    });
  });
});

describe("Business Central adapter with nothing to do", () => {
  it("sends no request for an empty batch or an empty lookup", async () => {
    const byCode = dynamics(sandbox, {}, { journal_id: undefined, journal_code: SANDBOX_BC_JOURNAL_CODE });
    expect(await byCode.export([], ctx())).toEqual([]);
    expect(await byCode.findExported([], ctx())).toEqual([]);
    expect(sandbox.counters().requests.dynamics).toBe(0);
  });
});
