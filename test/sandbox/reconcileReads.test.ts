/**
 * What a reconciliation reads from the sandbox and what a person does to the books there, over raw HTTP:
 * Business Central journal lines and G/L entries by posting-date range with server-driven paging, Edm.Date
 * literals typed as OData types them, edits before posting carried into the ledger; Xledger's public
 * `updateGLImportItems` and the test-only stand-in for a deletion in the UI (src/local/sandbox/xledger/uiEdits.ts).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  SANDBOX_BC_COMPANY_ID,
  SANDBOX_BC_JOURNAL_ID,
  SANDBOX_XLEDGER_TOKEN,
  type Sandbox,
  startSandbox,
} from "../../src/local/sandbox/index.ts";
import { sandboxBearer } from "../helpers/bcJournal.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.reset());

type Body = Record<string, unknown> & {
  error?: { code: string; message: string };
  value?: Record<string, unknown>[];
  "@odata.nextLink"?: string;
};

async function bc(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url.startsWith("http") ? url : `${sandbox.url}/bc/api/v2.0/${url}`, {
    method,
    headers: {
      Authorization: await sandboxBearer(sandbox.url),
      "Content-Type": "application/json",
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text === "" ? {} : JSON.parse(text)) as Body };
}

const company = `companies(${SANDBOX_BC_COMPANY_ID})`;
const lines = `${company}/journals(${SANDBOX_BC_JOURNAL_ID})/journalLines`;
const post = `${company}/journals(${SANDBOX_BC_JOURNAL_ID})/Microsoft.NAV.post`;
const filter = (text: string) => `$filter=${encodeURIComponent(text)}`;

/** A balanced two-line document on `date`. */
async function document(doc: string, date: string, amount: number) {
  for (const [account, signed] of [
    ["1010", amount],
    ["2010", -amount],
  ] as const) {
    const res = await bc("POST", lines, {
      documentNumber: doc,
      externalDocumentNumber: randomUUID().replaceAll("-", ""),
      postingDate: date,
      accountType: "G/L Account",
      accountNumber: account,
      amount: signed,
    });
    expect(res.status).toBe(201);
  }
}

/** Every row of a collection, following @odata.nextLink at `pageSize` per page; returns rows and pages. */
async function allPages(first: string, pageSize: number) {
  const rows: Record<string, unknown>[] = [];
  let pages = 0;
  let url: string | undefined = first;
  while (url !== undefined) {
    const res = await bc("GET", url, undefined, { Prefer: `odata.maxpagesize=${pageSize}` });
    expect(res.status).toBe(200);
    rows.push(...(res.body.value ?? []));
    pages += 1;
    url = res.body["@odata.nextLink"];
  }
  return { rows, pages };
}

describe("Business Central reads by posting date", () => {
  const january = filter("postingDate ge 2026-01-01 and postingDate le 2026-01-31");

  it("filters journal lines and G/L entries by a posting-date range, paged by the server", async () => {
    await document("SYNC-JAN1", "2026-01-01", 10);
    await document("SYNC-JAN2", "2026-01-31", 20);
    await document("SYNC-DEC", "2025-12-31", 30);
    await document("SYNC-FEB", "2026-02-01", 40);
    const journal = await allPages(`${lines}?${january}`, 3);
    expect(journal.rows.map((r) => r.documentNumber)).toEqual([
      "SYNC-JAN1",
      "SYNC-JAN1",
      "SYNC-JAN2",
      "SYNC-JAN2",
    ]);
    expect(journal.pages).toBe(2);
    expect((await bc("POST", post)).status).toBe(204);
    const posted = await allPages(`${company}/generalLedgerEntries?${january}`, 3);
    expect(posted.rows.map((r) => r.postingDate)).toEqual([
      "2026-01-01",
      "2026-01-01",
      "2026-01-31",
      "2026-01-31",
    ]);
    expect(posted.pages).toBe(2);
  });

  it("types postingDate as Edm.Date: a quoted date is refused with the OData type error", async () => {
    for (const path of [lines, `${company}/generalLedgerEntries`]) {
      const res = await bc("GET", `${path}?${filter("postingDate ge '2026-01-01'")}`);
      expect(res.status).toBe(400);
      expect(res.body.error?.message).toContain(
        "A binary operator with incompatible types was detected. Found operand types 'Edm.Date' and 'Edm.String' for operator kind 'GreaterThanOrEqual'.",
      );
    }
  });

  it("posts a document as it stands after PATCH with If-Match: the ledger carries the edit", async () => {
    await document("SYNC-EDIT", "2026-01-10", 10);
    const before = await bc("GET", lines);
    for (const row of before.body.value ?? []) {
      const amount = (row.amount as number) > 0 ? 75.25 : -75.25;
      const res = await bc(
        "PATCH",
        `${lines}(${String(row.id)})`,
        { amount },
        {
          "If-Match": String(row["@odata.etag"]),
        },
      );
      expect(res.status).toBe(200);
    }
    expect((await bc("POST", post)).status).toBe(204);
    const entries = (
      await bc("GET", `${company}/generalLedgerEntries?${filter("documentNumber eq 'SYNC-EDIT'")}`)
    ).body.value;
    expect(entries?.map((e) => [e.accountNumber, e.debitAmount, e.creditAmount])).toEqual([
      ["1010", 75.25, 0],
      ["2010", 0, 75.25],
    ]);
  });
});

describe("Xledger: updateGLImportItems, and the test-only stand-in for a deletion in the UI", () => {
  async function gql(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(`${sandbox.url}/xledger/graphql`, {
      method: "POST",
      headers: { Authorization: `token ${SANDBOX_XLEDGER_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as {
      data: Record<string, { edges: { clientId?: string; node: Record<string, unknown> }[] }> | null;
      errors?: { code?: string; message: string }[];
    };
  }
  async function add(ref: string) {
    const body = await gql(
      `mutation($ref: String) { addGLImportItems(inputs: [{ node: { extIdentifier: $ref, postedDate: "2026-01-31", account: { code: "1010" }, amount: "101.00" } }]) { edges { node { dbId modifiedAt } } } }`,
      { ref },
    );
    return body.data?.addGLImportItems?.edges[0]?.node as { dbId: number; modifiedAt: string };
  }
  async function items() {
    const body = await gql(
      "{ glImportItems(first: 100) { edges { node { dbId extIdentifier postedDate amount account { code } modifiedAt } } } }",
    );
    return body.data?.glImportItems?.edges.map((e) => e.node) ?? [];
  }
  const UPDATE = `mutation($inputs: [UpdateGLImportItemsInput!]!) {
    updateGLImportItems(inputs: $inputs) { edges { clientId node { dbId extIdentifier amount postedDate account { code } } } }
  }`;
  async function control(method: string, dbId: number | string) {
    const res = await fetch(`${sandbox.url}/__sandbox/xledger/glImportItems/${dbId}`, { method });
    return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
  }

  it("updateGLImportItems changes amount, account and postedDate by dbId; modifiedAt moves", async () => {
    const ref = randomUUID();
    const { dbId, modifiedAt } = await add(ref);
    // modifiedAt has whole seconds: wait into the next one so the change is visible.
    await new Promise((r) => setTimeout(r, 1_100));
    const res = await gql(UPDATE, {
      inputs: [
        {
          clientId: "a",
          node: { dbId, amount: "99.5", account: { code: "1920" }, postedDate: "2026-02-01" },
        },
      ],
    });
    expect(res.errors).toBeUndefined();
    expect(res.data?.updateGLImportItems?.edges).toEqual([
      {
        clientId: "a",
        node: {
          dbId,
          extIdentifier: ref,
          amount: "99.5",
          postedDate: "2026-02-01",
          account: { code: "1920" },
        },
      },
    ]);
    const [item] = await items();
    expect(item).toMatchObject({ dbId, extIdentifier: ref, amount: "99.5", account: { code: "1920" } });
    expect(String(item?.modifiedAt) > modifiedAt).toBe(true);
    expect(sandbox.state().xledger.received).toEqual({ [ref]: 1 });
  });

  it.each([
    [{ dbId: 1, amount: "1.00" }, "an unknown dbId"],
    [{ amount: "1,5" }, "a non-decimal amount"],
    [{ postedDate: "2026-02-30" }, "an impossible date"],
    [{ account: { code: "" } }, "an empty account"],
  ])(
    "refuses %j (%s) for the whole call and changes nothing",
    async (bad: Record<string, unknown>, _why: string) => {
      const first = await add(randomUUID());
      const second = await add(randomUUID());
      const before = await items();
      const res = await gql(UPDATE, {
        inputs: [{ node: { dbId: first.dbId, amount: "5.00" } }, { node: { dbId: second.dbId, ...bad } }],
      });
      expect(res.errors?.[0]?.code).toBe("BAD_REQUEST.INVALID_VALUE");
      expect(await items()).toEqual(before);
    },
  );

  it("re-indexes a changed extIdentifier for the equality filter", async () => {
    const { dbId } = await add("OLD-REF");
    await gql(UPDATE, { inputs: [{ node: { dbId, extIdentifier: "NEW-REF" } }] });
    const find = async (ref: string) =>
      (
        await gql(
          "query($ref: String) { glImportItems(filter: { extIdentifier: $ref }) { edges { node { dbId } } } }",
          { ref },
        )
      ).data?.glImportItems?.edges.length;
    expect(await find("OLD-REF")).toBe(0);
    expect(await find("NEW-REF")).toBe(1);
  });

  it("the DELETE control removes an item from glImportItems; the receipt stays counted", async () => {
    const keep = await add(randomUUID());
    const ref = randomUUID();
    const gone = await add(ref);
    expect((await control("DELETE", gone.dbId)).status).toBe(200);
    expect((await items()).map((i) => i.dbId)).toEqual([keep.dbId]);
    expect(sandbox.state().xledger.received[ref]).toBe(1);
    expect((await control("DELETE", gone.dbId)).status).toBe(404);
  });

  it("the control takes only DELETE: a change goes through updateGLImportItems", async () => {
    const { dbId } = await add(randomUUID());
    for (const method of ["PATCH", "POST", "GET"]) {
      const res = await control(method, dbId);
      expect(res.status).toBe(405);
      expect(res.body.error?.code).toBe("method_not_allowed");
    }
    expect((await items()).map((i) => i.dbId)).toEqual([dbId]);
  });
});
