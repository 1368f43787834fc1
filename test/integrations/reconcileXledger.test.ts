/**
 * The Xledger adapter's read-back against the sandbox: GL import items of a period, a user's edits (the
 * sandbox's test-only stand-in for Xledger's UI), duplicates, look-up by reference with and without
 * `extIdentifier_in`, paging and the request budget.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type ActualLine,
  isReconcileReader,
  type ReconcileContext,
} from "../../src/integrations/reconcile.ts";
import { createAdapter } from "../../src/integrations/registry.ts";
import type { RequestPurpose } from "../../src/integrations/types.ts";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { editXledgerItem, xledgerItemIds } from "../helpers/xledgerUi.ts";
import { entries, integrationError } from "./fixtures.ts";

let sandbox: Sandbox;

function xledger(config: Record<string, unknown> = {}, reconcilePageSize = 3) {
  const settings = sandboxIntegrationSettings(sandbox.url).xledger;
  return createAdapter("xledger", { ...settings.config, ...config }, settings.credentials, {
    reconcilePageSize,
    timeoutMs: 10_000,
  });
}

function counted(extra: Partial<ReconcileContext> = {}) {
  const requests: RequestPurpose[] = [];
  const context: ReconcileContext = {
    signal: new AbortController().signal,
    onRequest: (p) => requests.push(p),
    ...extra,
  };
  return { context, requests };
}

async function collect(lines: AsyncIterable<ActualLine[]>): Promise<ActualLine[]> {
  const out: ActualLine[] = [];
  for await (const page of lines) out.push(...page);
  return out;
}

const JANUARY = { start: "2026-01-01", end: "2026-01-31" };
const byEntry = (lines: readonly ActualLine[]) => new Map(lines.map((l) => [l.entryId, l]));

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.reset());

describe("Xledger read-back", () => {
  it("reads the items of the period by postedDate, with currency, dbId and two-decimal amounts", async () => {
    const adapter = xledger();
    const january = entries(7, { entryDate: "2026-01-31" });
    const february = entries(2, { entryDate: "2026-02-01" });
    await adapter.export([...january, ...february], counted().context);
    const { context, requests } = counted();
    const lines = await collect(adapter.readPeriod(JANUARY, context));
    expect(lines).toHaveLength(7);
    const found = byEntry(lines);
    const dbIds = await xledgerItemIds(sandbox.url, january[0]?.id ?? "");
    expect(found.get(january[0]?.id ?? "")?.externalId).toBe(String(dbIds[0]));
    for (const e of january) {
      expect(found.get(e.id)).toMatchObject({
        state: "journal",
        account: "1010",
        amount: e.amount,
        currency: "NOK",
        postingDate: "2026-01-31",
      });
    }
    // 9 items at 3 per page: 3 requests, each a billed "reconcile" request.
    expect(requests).toEqual(["reconcile", "reconcile", "reconcile"]);
  });

  it("sees an item a user deleted or changed, and a duplicate import as two lines", async () => {
    const adapter = xledger();
    const batch = entries(4, { entryDate: "2026-01-15" });
    await adapter.export(batch, counted().context);
    const [gone, changed, twice] = batch;
    if (gone === undefined || changed === undefined || twice === undefined) throw new Error("fixture");
    await adapter.export([twice], counted().context);
    expect(await editXledgerItem(sandbox.url, gone.id, "delete")).toBe(200);
    expect(await editXledgerItem(sandbox.url, changed.id, { amount: "12.345", account: "1920" })).toBe(200);
    const lines = await collect(adapter.readPeriod(JANUARY, counted().context));
    expect(lines.some((l) => l.entryId === gone.id)).toBe(false);
    expect(lines.find((l) => l.entryId === changed.id)).toMatchObject({ amount: "12.35", account: "1920" });
    expect(lines.filter((l) => l.entryId === twice.id)).toHaveLength(2);
    expect(lines).toHaveLength(4);
    // A date moved out of the period by the user: gone from the period, found by reference.
    expect(await editXledgerItem(sandbox.url, changed.id, { postedDate: "2026-02-02" })).toBe(200);
    expect((await collect(adapter.readPeriod(JANUARY, counted().context))).length).toBe(3);
    const [moved] = await adapter.findByReference([changed.id], counted().context);
    expect(moved).toMatchObject({ entryId: changed.id, postingDate: "2026-02-02" });
  });

  it("reads the amount of an item sent as invoiceAmount in its own currency", async () => {
    const adapter = xledger({ base_currency: "NOK", foreign_currency: "invoice_amount" });
    const [eur] = entries(1, { currency: "EUR", amount: "-10.50", entryDate: "2026-01-02" });
    if (eur === undefined) throw new Error("fixture");
    await adapter.export([eur], counted().context);
    const [line] = await collect(adapter.readPeriod(JANUARY, counted().context));
    expect(line).toMatchObject({ entryId: eur.id, amount: "-10.50", currency: "EUR" });
  });

  it("finds references by extIdentifier_in, and by the scan where the server refuses the filter", async () => {
    const adapter = xledger({}, 2);
    const batch = entries(5, { entryDate: "2025-11-30" });
    await adapter.export(batch, counted().context);
    const wanted = [batch[1]?.id ?? "", (batch[3]?.id ?? "").toUpperCase(), "not-a-uuid"];
    const fast = counted();
    const viaFilter = await adapter.findByReference(wanted, fast.context);
    expect(viaFilter.map((l) => l.entryId).sort()).toEqual([batch[1]?.id, batch[3]?.id].sort());
    expect(fast.requests).toEqual(["reconcile"]);

    sandbox.fault({ target: "xledger", kind: "unsupported_filter", field: "extIdentifier_in", count: 1 });
    const slow = counted();
    const viaScan = await adapter.findByReference(wanted, slow.context);
    expect(viaScan.map((l) => l.entryId).sort()).toEqual([batch[1]?.id, batch[3]?.id].sort());
    // One refused query, then 5 items at 2 per page.
    expect(slow.requests).toHaveLength(4);
    // The refusal is remembered: the next look-up goes straight to the scan.
    const again = counted();
    await adapter.findByReference(wanted, again.context);
    expect(again.requests).toHaveLength(3);
  });

  it("stops with a retryable budget_exhausted before exceeding maxRequests", async () => {
    const adapter = xledger({}, 2);
    await adapter.export(entries(5, { entryDate: "2026-01-15" }), counted().context);
    const { context, requests } = counted({ maxRequests: 2 });
    const error = await integrationError(collect(adapter.readPeriod(JANUARY, context)));
    expect(error.code).toBe("budget_exhausted");
    expect(error.retryable).toBe(true);
    expect(requests).toHaveLength(2);
    expect(await collect(adapter.readPeriod(JANUARY, counted({ maxRequests: 3 }).context))).toHaveLength(5);
  });

  it("is a ReconcileReader, as the Business Central adapter is; a plain adapter double is not", () => {
    const bc = sandboxIntegrationSettings(sandbox.url).dynamics;
    expect(isReconcileReader(xledger())).toBe(true);
    expect(isReconcileReader(createAdapter("dynamics", bc.config, bc.credentials))).toBe(true);
    expect(isReconcileReader({ type: "xledger", ping: async () => {} })).toBe(false);
  });

  it("ignores items of other systems (extIdentifier not a uuid)", async () => {
    const adapter = xledger();
    await adapter.export(entries(1, { entryDate: "2026-01-03" }), counted().context);
    const res = await fetch(`${sandbox.url}/xledger/graphql`, {
      method: "POST",
      headers: {
        Authorization: `token ${sandboxIntegrationSettings(sandbox.url).xledger.credentials.token}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({
        query: `mutation { addGLImportItems(inputs: [{ node: { extIdentifier: "INV-1", postedDate: "2026-01-03", account: { code: "3000" }, amount: "5.00" } }]) { edges { node { dbId } } } }`,
      }),
    });
    expect(res.status).toBe(200);
    expect(await collect(adapter.readPeriod(JANUARY, counted().context))).toHaveLength(1);
  });
});
