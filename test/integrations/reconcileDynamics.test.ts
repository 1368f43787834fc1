/**
 * The Business Central adapter's read-back against the sandbox: journal lines and posted G/L entries of a
 * period, edits made through BC's own verbs (DELETE/PATCH with If-Match, posting), look-up by reference,
 * paging and the request budget.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ActualLine, ReconcileContext } from "../../src/integrations/reconcile.ts";
import { createAdapter } from "../../src/integrations/registry.ts";
import type { ExportEntry, RequestPurpose } from "../../src/integrations/types.ts";
import { type Sandbox, sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { editJournalLine, GL_ENTRIES, postJournal, readCollection } from "../helpers/bcJournal.ts";
import { entries, integrationError } from "./fixtures.ts";

let sandbox: Sandbox;

function dynamics(config: Record<string, unknown> = {}, reconcilePageSize = 3) {
  const settings = sandboxIntegrationSettings(sandbox.url).dynamics;
  return createAdapter("dynamics", { ...settings.config, ...config }, settings.credentials, {
    pageSize: 2,
    reconcilePageSize,
    timeoutMs: 10_000,
  });
}

/** `n` balanced vouchers of two lines each, dated `date`. */
function vouchers(n: number, date: string): ExportEntry[] {
  const lines = entries(2 * n, { entryDate: date });
  for (let i = 1; i < lines.length; i += 2) {
    const first = lines[i - 1];
    const second = lines[i];
    if (first && second) {
      second.amount = `-${first.amount}`;
      second.account = "2010";
    }
  }
  return lines;
}

/** A context that records every request by purpose. */
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

describe("Business Central read-back", () => {
  it("reads the journal lines of the period with canonical ids, two-decimal amounts and dates", async () => {
    const adapter = dynamics();
    const january = vouchers(4, "2026-01-15");
    const february = vouchers(1, "2026-02-01");
    await adapter.export([...january, ...february], counted().context);
    const { context, requests } = counted();
    const lines = await collect(adapter.readPeriod(JANUARY, context));
    expect(lines).toHaveLength(january.length);
    const found = byEntry(lines);
    for (const entry of january) {
      expect(found.get(entry.id)).toMatchObject({
        entryId: entry.id,
        state: "journal",
        account: entry.account,
        amount: entry.amount,
        currency: null,
        postingDate: "2026-01-15",
      });
    }
    expect(lines.every((l) => /^[0-9a-f-]{36}$/.test(l.entryId))).toBe(true);
    // 8 lines at 3 per page = 3 journal pages, plus 1 (empty) G/L page; nothing but "reconcile".
    expect(requests.filter((p) => p === "reconcile")).toHaveLength(4);
    expect(requests.every((p) => p === "reconcile" || p === "token")).toBe(true);
  });

  it("sees a line deleted and a line changed through DELETE/PATCH with If-Match", async () => {
    const adapter = dynamics();
    const batch = vouchers(3, "2026-01-20");
    await adapter.export(batch, counted().context);
    const [gone, changed] = [batch[0], batch[2]];
    if (gone === undefined || changed === undefined) throw new Error("fixture");
    expect(await editJournalLine(sandbox.url, gone.id, "delete")).toBe(204);
    expect(await editJournalLine(sandbox.url, changed.id, { amount: 999.5, accountNumber: "3010" })).toBe(
      200,
    );
    const found = byEntry(await collect(adapter.readPeriod(JANUARY, counted().context)));
    expect(found.has(gone.id)).toBe(false);
    expect(found.get(changed.id)).toMatchObject({ amount: "999.50", account: "3010" });
    expect(found.size).toBe(batch.length - 1);
  });

  it("gives posted G/L entries their entry ids back through the expected vouchers", async () => {
    const adapter = dynamics();
    const batch = vouchers(5, "2026-01-10");
    await adapter.export(batch, counted().context);
    expect((await postJournal(sandbox.url)).status).toBe(204);
    const glIds = new Set((await readCollection(sandbox.url, GL_ENTRIES)).map((r) => r.id));
    const lines = await collect(adapter.readPeriod(JANUARY, counted({ expected: batch }).context));
    expect(lines).toHaveLength(batch.length);
    const found = byEntry(lines);
    for (const entry of batch) {
      const line = found.get(entry.id);
      expect(line).toMatchObject({ state: "posted", account: entry.account, amount: entry.amount });
      expect(glIds.has(line?.externalId)).toBe(true);
    }
    // Without the expected entries nothing says which entry a posted line was: none are returned.
    expect(await collect(adapter.readPeriod(JANUARY, counted().context))).toEqual([]);
  });

  it("reports a voucher edited before posting as its lines with the new amounts", async () => {
    const adapter = dynamics();
    const batch = vouchers(2, "2026-01-05");
    await adapter.export(batch, counted().context);
    const [first, second] = batch;
    if (first === undefined || second === undefined) throw new Error("fixture");
    // Both lines of the voucher, or posting refuses the unbalanced document.
    expect(await editJournalLine(sandbox.url, first.id, { amount: 500 })).toBe(200);
    expect(await editJournalLine(sandbox.url, second.id, { amount: -500 })).toBe(200);
    expect((await postJournal(sandbox.url)).status).toBe(204);
    const found = byEntry(await collect(adapter.readPeriod(JANUARY, counted({ expected: batch }).context)));
    expect(found.get(first.id)).toMatchObject({ state: "posted", amount: "500.00", account: first.account });
    expect(found.get(second.id)).toMatchObject({
      state: "posted",
      amount: "-500.00",
      account: second.account,
    });
    expect(found.get(batch[2]?.id ?? "")).toMatchObject({ amount: batch[2]?.amount });
  });

  it("drops the counter-postings of a configured balancing account", async () => {
    const adapter = dynamics({ balancing_account_number: "9990" });
    const batch = entries(3, { entryDate: "2026-01-07" });
    await adapter.export(batch, counted().context);
    expect((await postJournal(sandbox.url)).status).toBe(204);
    expect(await readCollection(sandbox.url, GL_ENTRIES)).toHaveLength(6);
    const lines = await collect(adapter.readPeriod(JANUARY, counted({ expected: batch }).context));
    expect(lines.map((l) => l.entryId).sort()).toEqual(batch.map((e) => e.id).sort());
    expect(lines.every((l) => l.account === "1010")).toBe(true);
  });

  it("finds references outside the period: in the journal by reference, posted by their voucher", async () => {
    const adapter = dynamics();
    const posted = vouchers(1, "2026-03-01");
    await adapter.export(posted, counted().context);
    expect((await postJournal(sandbox.url)).status).toBe(204);
    const pending = vouchers(1, "2025-12-31");
    await adapter.export(pending, counted().context);
    const wanted = [...posted, ...pending].map((e) => e.id);
    const lines = await adapter.findByReference(
      [...wanted.map((id) => id.toUpperCase()), "not-a-uuid", "00000000-0000-4000-8000-000000000000"],
      counted({ expected: [...posted, ...pending] }).context,
    );
    const found = byEntry(lines);
    expect(found.size).toBe(4);
    for (const e of posted)
      expect(found.get(e.id)).toMatchObject({ state: "posted", postingDate: "2026-03-01" });
    for (const e of pending)
      expect(found.get(e.id)).toMatchObject({ state: "journal", postingDate: "2025-12-31" });
  });

  it("a voucher re-dated before posting leaves the period and is found posted at its new date", async () => {
    const adapter = dynamics();
    const batch = vouchers(2, "2026-01-30");
    await adapter.export(batch, counted().context);
    const [first, second] = batch;
    if (first === undefined || second === undefined) throw new Error("fixture");
    for (const e of [first, second]) {
      expect(await editJournalLine(sandbox.url, e.id, { postingDate: "2026-02-02" })).toBe(200);
    }
    expect((await postJournal(sandbox.url)).status).toBe(204);
    const inPeriod = await collect(adapter.readPeriod(JANUARY, counted({ expected: batch }).context));
    expect(inPeriod.map((l) => l.entryId).sort()).toEqual([batch[2]?.id, batch[3]?.id].sort());
    const moved = await adapter.findByReference([first.id, second.id], counted({ expected: batch }).context);
    expect(moved.map((l) => [l.entryId, l.state, l.postingDate, l.amount]).sort()).toEqual(
      [
        [first.id, "posted", "2026-02-02", first.amount],
        [second.id, "posted", "2026-02-02", second.amount],
      ].sort(),
    );
  });

  it("stops with a retryable budget_exhausted before exceeding maxRequests", async () => {
    const adapter = dynamics();
    await adapter.export(vouchers(4, "2026-01-15"), counted().context);
    const { context, requests } = counted({ maxRequests: 2 });
    const error = await integrationError(collect(adapter.readPeriod(JANUARY, context)));
    expect(error.code).toBe("budget_exhausted");
    expect(error.retryable).toBe(true);
    expect(requests.filter((p) => p === "reconcile")).toHaveLength(2);
    // Enough budget: the same read completes.
    const enough = counted({ maxRequests: 4 });
    expect(await collect(adapter.readPeriod(JANUARY, enough.context))).toHaveLength(8);
  });

  it("refuses a malformed period before sending anything", async () => {
    const { context, requests } = counted();
    const error = await integrationError(
      collect(dynamics().readPeriod({ start: "2026-02-01", end: "2026-01-31" }, context)),
    );
    expect(error.code).toBe("bad_request");
    expect(error.retryable).toBe(false);
    expect(requests).toEqual([]);
  });
});
