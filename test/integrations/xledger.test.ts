/** The Xledger adapter against the fake Xledger over real HTTP on a loopback port. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAdapter } from "../../src/integrations/registry.ts";
import type { IntegrationAdapter } from "../../src/integrations/types.ts";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { ctx, entries, integrationError } from "./fixtures.ts";

let sandbox: Sandbox;
let adapter: IntegrationAdapter;
const NOW = Date.parse("2026-03-01T12:00:00Z");

/** An adapter on the sandbox with small pages so lookups always span several of them. */
function xledger(overrides: { token?: string; timeoutMs?: number } = {}): IntegrationAdapter {
  const { config, credentials } = sandboxIntegrationSettings(sandbox.url).xledger;
  return createAdapter(
    "xledger",
    config,
    { ...credentials, ...(overrides.token === undefined ? {} : { token: overrides.token }) },
    { pageSize: 2, timeoutMs: overrides.timeoutMs ?? 10_000, now: () => NOW },
  );
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  adapter = xledger();
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.reset());

describe("Xledger adapter", () => {
  it("pings with query { __typename }", async () => {
    await adapter.ping(ctx());
    expect(sandbox.counters().requests.xledger).toBe(1);
  });

  it("maps a rejected token to a non-retryable unauthorized error", async () => {
    const error = await integrationError(xledger({ token: "wrong" }).ping(ctx()));
    expect([error.code, error.retryable, error.remoteCode]).toEqual([
      "unauthorized",
      false,
      "UNAUTHORIZED.INVALID_TOKEN",
    ]);
    const malformed = await integrationError(xledger({ token: "has spaces" }).ping(ctx()));
    expect([malformed.code, malformed.retryable]).toEqual(["unauthorized", false]);
    expect(malformed.message.toLowerCase()).toContain("bad format for api token");
  });

  it("exports a batch as GL import items and returns their dbIds", async () => {
    const batch = entries(3);
    const exported = await adapter.export(batch, ctx());
    expect(exported.map((e) => e.entryId)).toEqual(batch.map((e) => e.id));
    expect(new Set(exported.map((e) => e.externalId)).size).toBe(3);
    expect(sandbox.state().xledger.received).toEqual(Object.fromEntries(batch.map((e) => [e.id, 1])));
  });

  it("splits an export larger than maxBatchSize into several mutations", async () => {
    expect(adapter.maxBatchSize).toBe(100);
    const batch = entries(150);
    const exported = await adapter.export(batch, ctx());
    expect(exported).toHaveLength(150);
    expect(sandbox.counters().requests.xledger).toBe(2);
  });

  it("finds exported entries through several Relay pages and omits unknown references", async () => {
    const batch = entries(5);
    const exported = await adapter.export(batch, ctx());
    const before = sandbox.counters().requests.xledger;
    const found = await adapter.findExported([...batch, ...entries(1)], ctx());
    // 5 matches at page size 2 = 3 pages.
    expect(sandbox.counters().requests.xledger - before).toBe(3);
    expect(new Map(found.map((f) => [f.entryId, f.externalId]))).toEqual(
      new Map(exported.map((f) => [f.entryId, f.externalId])),
    );
  });

  it("returns nothing for references that were never exported", async () => {
    expect(await adapter.findExported(entries(2), ctx())).toEqual([]);
  });

  describe("faults", () => {
    it("latency within the deadline is only slow", async () => {
      sandbox.fault({ target: "xledger", kind: "latency", ms: 20 });
      await adapter.ping(ctx());
    });

    it("latency beyond the deadline is a retryable timeout", async () => {
      sandbox.fault({ target: "xledger", kind: "latency", ms: 5_000 });
      const error = await integrationError(xledger({ timeoutMs: 100 }).ping(ctx()));
      expect([error.code, error.retryable]).toEqual(["timeout", true]);
    });

    it.each([
      [503, "server_error", true],
      [502, "server_error", true],
      [504, "timeout", true],
      [400, "bad_request", false],
    ])("HTTP %i from a proxy maps to %s", async (status, code, retryable) => {
      sandbox.fault({ target: "xledger", kind: "status", status });
      const error = await integrationError(adapter.ping(ctx()));
      expect([error.code, error.retryable, error.status]).toEqual([code, retryable, status]);
    });

    it("burst limit → retry after 5 s (rate_limit fault is Xledger's burst error)", async () => {
      sandbox.fault({ target: "xledger", kind: "burst_limit" });
      sandbox.fault({ target: "xledger", kind: "rate_limit", retry_after: 60 });
      for (let i = 0; i < 2; i++) {
        const error = await integrationError(adapter.ping(ctx()));
        expect([error.code, error.retryable, error.retryAfterSeconds, error.remoteCode]).toEqual([
          "burst_limit",
          true,
          5,
          "BAD_REQUEST.BURST_RATE_LIMIT_REACHED",
        ]);
      }
    });

    it("concurrency limit → retry after 1 s", async () => {
      sandbox.fault({ target: "xledger", kind: "concurrency_limit" });
      const error = await integrationError(adapter.ping(ctx()));
      expect([error.code, error.retryAfterSeconds]).toEqual(["concurrency_limit", 1]);
    });

    it("insufficient credits → retry at extensions.resetAt, else after 20 min", async () => {
      sandbox.fault({ target: "xledger", kind: "credits", reset_at: "2026-03-01T12:07:30Z" });
      sandbox.fault({ target: "xledger", kind: "credits" });
      const withReset = await integrationError(adapter.ping(ctx()));
      expect([withReset.code, withReset.retryable, withReset.retryAfterSeconds]).toEqual([
        "insufficient_credits",
        true,
        450,
      ]);
      const withoutReset = await integrationError(adapter.ping(ctx()));
      expect(withoutReset.retryAfterSeconds).toBe(1200);
    });

    it("a reset connection is a retryable network error and applies nothing", async () => {
      sandbox.fault({ target: "xledger", kind: "reset" });
      const error = await integrationError(adapter.export(entries(2), ctx()));
      expect([error.code, error.retryable]).toEqual(["network", true]);
      expect(sandbox.state().xledger.received).toEqual({});
    });

    it("a lost response still applied the export; findExported proves it, so nothing is sent twice", async () => {
      const batch = entries(3);
      sandbox.fault({ target: "xledger", kind: "lost_response" });
      const error = await integrationError(adapter.export(batch, ctx()));
      expect([error.code, error.retryable]).toEqual(["network", true]);
      // What the engine does before re-sending: ask which entries already exist.
      const found = await adapter.findExported(batch, ctx());
      expect(found.map((f) => f.entryId).sort()).toEqual(batch.map((e) => e.id).sort());
      const remaining = batch.filter((e) => !found.some((f) => f.entryId === e.id));
      if (remaining.length > 0) await adapter.export(remaining, ctx());
      expect(sandbox.state().xledger.received).toEqual(Object.fromEntries(batch.map((e) => [e.id, 1])));
    });

    it("a fault with count N hits exactly the next N requests", async () => {
      sandbox.fault({ target: "xledger", kind: "status", status: 500, count: 2 });
      for (let i = 0; i < 2; i++)
        expect((await integrationError(adapter.ping(ctx()))).code).toBe("server_error");
      await adapter.ping(ctx());
    });

    it("a caller abort is reported as aborted, not as a remote failure", async () => {
      const controller = new AbortController();
      controller.abort();
      const error = await integrationError(adapter.ping({ signal: controller.signal }));
      expect(error.code).toBe("aborted");
    });
  });
});
