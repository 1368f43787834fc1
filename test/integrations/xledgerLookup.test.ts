/**
 * The Xledger adapter's look-up without `extIdentifier_in` (a server refusing it, as the sandbox's
 * `unsupported_filter` fault makes it), what every item carries (`trRegNumber`, `jobLevel`), the
 * foreign-currency guard, request counting by purpose, and error bodies read before the HTTP status.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAdapter } from "../../src/integrations/registry.ts";
import type { IntegrationAdapter, RequestPurpose } from "../../src/integrations/types.ts";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { ctx, entries, integrationError } from "./fixtures.ts";

let sandbox: Sandbox;

function xledger(config: Record<string, unknown> = {}, opts: { pageSize?: number } = {}): IntegrationAdapter {
  const settings = sandboxIntegrationSettings(sandbox.url).xledger;
  return createAdapter("xledger", { ...settings.config, ...config }, settings.credentials, {
    pageSize: opts.pageSize ?? 2,
    timeoutMs: 10_000,
  });
}

/** Items as stored by the fake Xledger, read back over GraphQL like any client would. */
async function storedItems(): Promise<
  {
    extIdentifier: string;
    trRegNumber: number | null;
    jobLevel: unknown;
    amount: string | null;
    invoiceAmount: string | null;
  }[]
> {
  const response = await fetch(`${sandbox.url}/xledger/graphql`, {
    method: "POST",
    headers: { Authorization: `token ${sandboxIntegrationSettings(sandbox.url).xledger.credentials.token}` },
    body: JSON.stringify({
      query:
        "{ glImportItems(first: 1000) { edges { node { extIdentifier trRegNumber jobLevel { dbSubId dbId } amount invoiceAmount } } } }",
    }),
  });
  const body = (await response.json()) as { data: { glImportItems: { edges: { node: never }[] } } };
  return body.data.glImportItems.edges.map((e) => e.node);
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.reset());

describe("Xledger look-up when extIdentifier_in is refused", () => {
  it("falls back to modifiedAt_gte since the in-flight mark, matches extIdentifier, and remembers the refusal", async () => {
    const adapter = xledger();
    const batch = entries(5);
    const exported = await adapter.export(batch, ctx());
    sandbox.fault({ target: "xledger", kind: "unsupported_filter", field: "extIdentifier_in", count: 5 });
    const before = sandbox.counters().requests.xledger;
    const since = new Date();
    const wanted = [...batch.slice(0, 3), ...entries(1)];
    const found = await adapter.findExported(wanted, { ...ctx(), since });
    expect(new Map(found.map((f) => [f.entryId, f.externalId]))).toEqual(
      new Map(exported.slice(0, 3).map((f) => [f.entryId, f.externalId])),
    );
    // One refused fast-path request, then one page of the scan (5 items < the 1,000-item scan page).
    expect(sandbox.counters().requests.xledger - before).toBe(2);
    expect(sandbox.counters().pendingFaults.xledger).toBe(4);

    // The same adapter goes straight to the scan: the refusal is not paid for twice.
    const again = await adapter.findExported(batch.slice(4), { ...ctx(), since });
    expect(again.map((f) => f.entryId)).toEqual([batch[4]?.id]);
    expect(sandbox.counters().requests.xledger - before).toBe(3);
    expect(sandbox.counters().pendingFaults.xledger).toBe(4);
  });

  it("the scan really filters by modification time: items before since (less the margin) are not seen", async () => {
    const batch = entries(2);
    await xledger().export(batch, ctx());
    const adapter = xledger();
    sandbox.fault({ target: "xledger", kind: "unsupported_filter", field: "extIdentifier_in", count: 1 });
    // 2 h after the items were sent, beyond the 75-minute margin: a correct filter finds nothing.
    const later = new Date(Date.now() + 2 * 3_600_000);
    expect(await adapter.findExported(batch, { ...ctx(), since: later })).toEqual([]);
    // 1 h later is inside the margin (clock skew + summer-time doubt): found.
    const soon = new Date(Date.now() + 3_600_000);
    const found = await adapter.findExported(batch, { ...ctx(), since: soon });
    expect(found).toHaveLength(2);
  });

  it("a look-up with nothing to find sends nothing", async () => {
    const counted: RequestPurpose[] = [];
    expect(await xledger().findExported([], { ...ctx(), onRequest: (p) => counted.push(p) })).toEqual([]);
    expect([counted, sandbox.counters().requests.xledger]).toEqual([[], 0]);
  });

  it("a fault refusing a filter the query does not use leaves it alone", async () => {
    sandbox.fault({ target: "xledger", kind: "unsupported_filter", field: "dbId_in", count: 1 });
    const batch = entries(1);
    await xledger().export(batch, ctx());
    expect(await xledger().findExported(batch, ctx())).toHaveLength(1);
    expect(sandbox.counters().pendingFaults.xledger).toBe(1);
  });

  it("the refusal is a GraphQL validation error naming the field, HTTP 200, nothing executed", async () => {
    sandbox.fault({ target: "xledger", kind: "unsupported_filter", field: "extIdentifier_in", count: 1 });
    const response = await fetch(`${sandbox.url}/xledger/graphql`, {
      method: "POST",
      headers: {
        Authorization: `token ${sandboxIntegrationSettings(sandbox.url).xledger.credentials.token}`,
      },
      body: JSON.stringify({
        query: '{ glImportItems(first: 1, filter: { extIdentifier_in: ["x"] }) { edges { node { dbId } } } }',
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: unknown; errors: { code: string; message: string }[] };
    expect(body.data).toBeUndefined();
    expect(body.errors[0]?.message).toMatch(
      /^Field "extIdentifier_in" is not defined by type "GLImportItemFilter"\./,
    );
    expect(body.errors[0]?.code).toMatch(/^BAD_REQUEST\./);
  });
});

describe("what each Xledger item carries", () => {
  it("sends trRegNumber (the voucher's: its number, else a stable hash; or the configured one) and jobLevel", async () => {
    const numeric = entries(2, { voucherNumber: "20261107" });
    const text = entries(2, { voucherNumber: "2026-000123" });
    await xledger({ job_level: { db_id: 14502 } }).export([...numeric, ...text], ctx());
    const items = new Map((await storedItems()).map((i) => [i.extIdentifier, i]));
    expect(items.get(numeric[0]?.id as string)).toMatchObject({
      trRegNumber: 20261107,
      jobLevel: { dbId: 14502, dbSubId: null },
    });
    // Lines of one voucher share the number; it is an Int, the same on every retry, and not 0.
    const hashed = items.get(text[0]?.id as string)?.trRegNumber;
    expect(items.get(text[1]?.id as string)?.trRegNumber).toBe(hashed);
    expect(Number.isInteger(hashed) && (hashed as number) > 0 && (hashed as number) <= 2_147_483_647).toBe(
      true,
    );
    expect(hashed).not.toBe(20261107);
    sandbox.reset();
    await xledger().export(entries(2, { voucherNumber: "2026-000123" }), ctx());
    expect((await storedItems()).map((i) => i.trRegNumber)).toEqual([hashed, hashed]);

    await xledger({ tr_reg_number: 42 }).export(entries(1), ctx());
    const configured = (await storedItems()).find((i) => i.trRegNumber === 42);
    expect(configured?.jobLevel).toEqual({ dbSubId: 1, dbId: null });
  });

  it("guards foreign currency: refused before any request, or sent as invoiceAmount when configured", async () => {
    const eur = entries(1, { currency: "EUR", amount: "12.50" });
    const refused = await integrationError(xledger({ base_currency: "NOK" }).export(eur, ctx()));
    expect([refused.code, refused.retryable, refused.remoteCode]).toEqual([
      "bad_request",
      false,
      "FOREIGN_CURRENCY_REFUSED",
    ]);
    expect(sandbox.counters().requests.xledger).toBe(0);

    await xledger({ base_currency: "NOK", foreign_currency: "invoice_amount" }).export(eur, ctx());
    const nok = entries(1, { amount: "7.00" });
    await xledger({ base_currency: "NOK" }).export(nok, ctx());
    const items = new Map((await storedItems()).map((i) => [i.extIdentifier, i]));
    expect(items.get(eur[0]?.id as string)).toMatchObject({ amount: null, invoiceAmount: "12.50" });
    expect(items.get(nok[0]?.id as string)).toMatchObject({ amount: "7.00", invoiceAmount: null });
  });

  it("counts every request by purpose, refused ones included", async () => {
    const counted: RequestPurpose[] = [];
    const count = { ...ctx(), onRequest: (p: RequestPurpose) => counted.push(p) };
    const adapter = xledger();
    await adapter.ping(count);
    const batch = entries(3);
    await adapter.export(batch, count);
    sandbox.fault({ target: "xledger", kind: "unsupported_filter", field: "extIdentifier_in", count: 1 });
    await adapter.findExported(batch, { ...count, since: new Date() });
    expect(counted).toEqual(["ping", "export", "lookup", "lookup"]);
    expect(sandbox.counters().requests.xledger).toBe(counted.length);
  });
});

describe("Xledger error bodies come before the HTTP status", () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: string; headers?: Record<string, string> };
  beforeAll(async () => {
    // A stand-in for Xledger behind a proxy that rewrites statuses: only the status and body matter here.
    server = createServer((_req, res) => {
      res.writeHead(answer.status, { "Content-Type": "application/json", ...answer.headers });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const adapter = () =>
    createAdapter(
      "xledger",
      { base_url: url },
      { token: "t" },
      { now: () => Date.parse("2026-03-01T12:00:00Z") },
    );

  it("a credits error answered with 429 keeps its code and resetAt", async () => {
    answer = {
      status: 429,
      body: JSON.stringify({
        errors: [
          {
            code: "BAD_REQUEST.INSUFFICIENT_CREDITS",
            message: "Not enough credits",
            extensions: { resetAt: "2026-03-01T12:10:00Z" },
          },
        ],
      }),
    };
    const error = await integrationError(adapter().ping(ctx()));
    expect([error.code, error.retryAfterSeconds, error.status]).toEqual(["insufficient_credits", 600, 429]);
  });

  it("a burst error answered with 503 is still the burst error", async () => {
    answer = {
      status: 503,
      body: JSON.stringify({
        errors: [{ code: "BAD_REQUEST.BURST_RATE_LIMIT_REACHED", message: "slow down" }],
      }),
    };
    const error = await integrationError(adapter().ping(ctx()));
    expect([error.code, error.retryAfterSeconds]).toEqual(["burst_limit", 5]);
  });

  it("an error the body cannot name defers to the status (a proxy's 502 stays retryable)", async () => {
    answer = {
      status: 502,
      body: JSON.stringify({ errors: [{ message: "Bad gateway" }] }),
      headers: { "Retry-After": "7" },
    };
    const error = await integrationError(adapter().ping(ctx()));
    expect([error.code, error.retryable, error.retryAfterSeconds]).toEqual(["server_error", true, 7]);
  });

  it("a validation error answered with 400 is a non-retryable bad_request", async () => {
    answer = { status: 400, body: JSON.stringify({ errors: [{ message: 'Cannot query field "x"' }] }) };
    const error = await integrationError(adapter().ping(ctx()));
    expect([error.code, error.retryable]).toEqual(["bad_request", false]);
  });
});
