/**
 * The fake Business Central as strict as the real one on accounts, posting, line updates and `$batch`
 * ids (sources in src/local/sandbox/dynamics/chartOfAccounts.ts, ledger.ts, batch.ts).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  SANDBOX_BC_COMPANY_ID,
  SANDBOX_BC_JOURNAL_ID,
  type Sandbox,
  startSandbox,
} from "../../src/local/sandbox/index.ts";

let sandbox: Sandbox;
let nullIds: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  nullIds = await startSandbox({ port: 0, dynamics: { batchResponseIds: "null" } });
});
afterAll(async () => {
  await sandbox.close();
  await nullIds.close();
});
beforeEach(() => {
  sandbox.reset();
  nullIds.reset();
});

const company = `companies(${SANDBOX_BC_COMPANY_ID})`;
const journal = `${company}/journals(${SANDBOX_BC_JOURNAL_ID})`;

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  on: Sandbox = sandbox,
) {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: "sandbox-client",
    client_secret: "sandbox-secret",
    scope: "https://api.businesscentral.dynamics.com/.default",
  });
  const t = await fetch(`${on.url}/bc/oauth2/v2.0/token`, { method: "POST", body: form });
  const token = ((await t.json()) as { access_token: string }).access_token;
  const res = await fetch(`${on.url}/bc/api/v2.0/${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text === "" ? {} : JSON.parse(text)) as Record<string, unknown> & {
      error?: { code: string; message: string };
      value?: Record<string, unknown>[];
    },
  };
}

const line = (fields: Record<string, unknown> = {}) => ({
  documentNumber: "SYNC-DOC1",
  externalDocumentNumber: randomUUID().replaceAll("-", ""),
  postingDate: "2026-01-31",
  accountType: "G/L Account",
  accountNumber: "1010",
  amount: 100,
  description: "x",
  ...fields,
});

describe("chart of accounts", () => {
  it("knows every four-digit G/L account 1000–9999 and no other", async () => {
    for (const account of ["1000", "5555", "9999"]) {
      expect((await call("POST", `${journal}/journalLines`, line({ accountNumber: account }))).status).toBe(
        201,
      );
    }
    for (const account of ["0999", "10000", "12A4", "999"]) {
      const res = await call("POST", `${journal}/journalLines`, line({ accountNumber: account }));
      expect([res.status, res.body.error?.code]).toEqual([400, "Application_DialogException"]);
      expect(res.body.error?.message).toContain('The "accountNumber" does not match to an Account.');
    }
  });

  it("refuses account numbers longer than Code[20] with BC's string-length error", async () => {
    const res = await call("POST", `${journal}/journalLines`, line({ accountNumber: "1".repeat(21) }));
    expect([res.status, res.body.error?.code]).toEqual([400, "Application_StringExceededLength"]);
    expect(res.body.error?.message).toContain("must be less than or equal to 20 characters");
  });

  it("admits only the account types of the APIV2 page (G/L Account..Bank Account)", async () => {
    const fixedAsset = await call("POST", `${journal}/journalLines`, line({ accountType: "Fixed Asset" }));
    expect(fixedAsset.status).toBe(400);
    const employee = await call("POST", `${journal}/journalLines`, line({ accountType: "Employee" }));
    expect(employee.status).toBe(400);
    // Customer and Vendor are admitted types, but the sandbox has none: a table-relation error.
    const customer = await call(
      "POST",
      `${journal}/journalLines`,
      line({ accountType: "Customer", accountNumber: "C001" }),
    );
    expect([customer.status, customer.body.error?.code]).toEqual([400, "Internal_InvalidTableRelation"]);
    expect(sandbox.state().dynamics.received).toEqual({});
  });

  it("checks the balancing account the same way", async () => {
    const res = await call("POST", `${journal}/journalLines`, line({ balancingAccountNumber: "77" }));
    expect([res.status, res.body.error?.code]).toEqual([400, "Application_DialogException"]);
    expect(res.body.error?.message).toContain("balancingAccountNumber");
  });
});

describe("posting a journal (Microsoft.NAV.post)", () => {
  it("books balanced documents into generalLedgerEntries with the v2.0 fields and empties the journal", async () => {
    const a = line({ amount: 250.5, accountNumber: "6300" });
    const b = line({ amount: -250.5, accountNumber: "1920" });
    for (const l of [a, b]) expect((await call("POST", `${journal}/journalLines`, l)).status).toBe(201);
    const posted = await call("POST", `${journal}/Microsoft.NAV.post`);
    expect(posted.status).toBe(204);
    expect((await call("GET", `${journal}/journalLines`)).body.value).toEqual([]);
    const entries = (await call("GET", `${company}/generalLedgerEntries`)).body.value ?? [];
    expect(
      entries.map((e) =>
        Object.keys(e)
          .filter((k) => !k.startsWith("@"))
          .sort(),
      ),
    ).toEqual([
      [
        "accountId",
        "accountNumber",
        "creditAmount",
        "debitAmount",
        "description",
        "documentNumber",
        "documentType",
        "entryNumber",
        "id",
        "lastModifiedDateTime",
        "postingDate",
      ],
      expect.any(Array),
    ]);
    expect(entries.map((e) => [e.accountNumber, e.debitAmount, e.creditAmount, e.documentNumber])).toEqual([
      ["6300", 250.5, 0, "SYNC-DOC1"],
      ["1920", 0, 250.5, "SYNC-DOC1"],
    ]);
    // Receipts are counted per reference whether the line is in the journal or posted.
    expect(Object.values(sandbox.state().dynamics.received)).toEqual([1, 1]);
  });

  it("refuses to post an out-of-balance document and books nothing", async () => {
    await call("POST", `${journal}/journalLines`, line({ amount: 100 }));
    await call("POST", `${journal}/journalLines`, line({ amount: -99.5 }));
    const res = await call("POST", `${journal}/Microsoft.NAV.post`);
    expect([res.status, res.body.error?.code]).toEqual([400, "Application_DialogException"]);
    expect(res.body.error?.message).toContain("out of balance by 0.50");
    expect((await call("GET", `${journal}/journalLines`)).body.value).toHaveLength(2);
    expect((await call("GET", `${company}/generalLedgerEntries`)).body.value).toEqual([]);
  });

  it("a line with a balancing account balances itself and posts two entries", async () => {
    await call("POST", `${journal}/journalLines`, line({ amount: 40, balancingAccountNumber: "2400" }));
    expect((await call("POST", `${journal}/Microsoft.NAV.post`)).status).toBe(204);
    const entries = (await call("GET", `${company}/generalLedgerEntries`)).body.value ?? [];
    expect(entries.map((e) => [e.accountNumber, e.debitAmount, e.creditAmount])).toEqual([
      ["1010", 40, 0],
      ["2400", 0, 40],
    ]);
  });

  it("filters generalLedgerEntries by documentNumber and postingDate, and never writes them", async () => {
    await call("POST", `${journal}/journalLines`, line({ documentNumber: "SYNC-A", amount: 1 }));
    await call("POST", `${journal}/journalLines`, line({ documentNumber: "SYNC-A", amount: -1 }));
    await call(
      "POST",
      `${journal}/journalLines`,
      line({ documentNumber: "SYNC-B", amount: 2, postingDate: "2026-02-01" }),
    );
    await call(
      "POST",
      `${journal}/journalLines`,
      line({ documentNumber: "SYNC-B", amount: -2, postingDate: "2026-02-01" }),
    );
    expect((await call("POST", `${journal}/Microsoft.NAV.post`)).status).toBe(204);
    const byDoc = await call(
      "GET",
      `${company}/generalLedgerEntries?$filter=${encodeURIComponent("documentNumber eq 'SYNC-A'")}`,
    );
    expect(byDoc.body.value?.map((e) => e.documentNumber)).toEqual(["SYNC-A", "SYNC-A"]);
    const byDate = await call(
      "GET",
      `${company}/generalLedgerEntries?$filter=${encodeURIComponent("postingDate eq 2026-02-01")}`,
    );
    expect(byDate.body.value?.map((e) => e.documentNumber)).toEqual(["SYNC-B", "SYNC-B"]);
    expect((await call("POST", `${company}/generalLedgerEntries`, {})).status).toBe(405);
  });
});

describe("journal line updates", () => {
  it("PATCH needs If-Match: missing → BadRequest_InvalidToken, stale → 409, current or * → 200", async () => {
    const created = await call("POST", `${journal}/journalLines`, line());
    const id = created.body.id as string;
    const etag = created.body["@odata.etag"] as string;
    const missing = await call("PATCH", `${journal}/journalLines(${id})`, { amount: 5 });
    expect([missing.status, missing.body.error?.code]).toEqual([400, "BadRequest_InvalidToken"]);
    const ok = await call("PATCH", `${journal}/journalLines(${id})`, { amount: 5 }, { "If-Match": etag });
    expect([ok.status, ok.body.amount]).toEqual([200, 5]);
    const stale = await call("PATCH", `${journal}/journalLines(${id})`, { amount: 6 }, { "If-Match": etag });
    expect([stale.status, stale.body.error?.code]).toEqual([409, "Request_EntityChanged"]);
    const bad = await call(
      "PATCH",
      `${journal}/journalLines(${id})`,
      { accountNumber: "42" },
      { "If-Match": "*" },
    );
    expect(bad.status).toBe(400);
  });

  it("DELETE removes the line; the receipt stays counted", async () => {
    const created = await call("POST", `${journal}/journalLines`, line());
    const id = created.body.id as string;
    expect(
      (await call("DELETE", `${journal}/journalLines(${id})`, undefined, { "If-Match": "*" })).status,
    ).toBe(204);
    expect((await call("GET", `${journal}/journalLines`)).body.value).toEqual([]);
    expect(Object.values(sandbox.state().dynamics.received)).toEqual([1]);
  });
});

describe("$batch response ids", () => {
  const ops = (withIds: boolean) =>
    [line(), line({ amount: -100 })].map((body, i) => ({
      ...(withIds ? { id: `op-${i}` } : {}),
      method: "POST",
      url: `${journal}/journalLines`,
      headers: { "Content-Type": "application/json" },
      body,
    }));

  it("echoes request ids, and answers null for a request without one (the Learn example)", async () => {
    const echoed = await call("POST", "$batch", { requests: ops(true) });
    expect((echoed.body.responses as { id: unknown }[]).map((r) => r.id)).toEqual(["op-0", "op-1"]);
    const none = await call("POST", "$batch", { requests: ops(false) });
    expect((none.body.responses as { id: unknown }[]).map((r) => r.id)).toEqual([null, null]);
  });

  it("can answer null ids for every operation, in request order", async () => {
    const res = await call("POST", "$batch", { requests: ops(true) }, {}, nullIds);
    const responses = res.body.responses as { id: unknown; body: { amount: number } }[];
    expect(responses.map((r) => [r.id, r.body.amount])).toEqual([
      [null, 100],
      [null, -100],
    ]);
  });
});
