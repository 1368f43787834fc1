/** The fake Business Central over raw HTTP: token endpoint, OData entity sets, $batch, throttling. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  SANDBOX_BC_COMPANY_ID,
  SANDBOX_BC_JOURNAL_ID,
  type Sandbox,
  startSandbox,
} from "../../src/local/sandbox/index.ts";

let sandbox: Sandbox;
let api: string;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  api = `${sandbox.url}/bc/api/v2.0`;
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.reset());

const SCOPE = "https://api.businesscentral.dynamics.com/.default";

async function token(
  url: string,
  form: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/bc/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: "sandbox-client",
      client_secret: "sandbox-secret",
      scope: SCOPE,
      ...form,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function bearer(url = sandbox.url): Promise<string> {
  return `Bearer ${(await token(url)).body.access_token as string}`;
}

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method,
    headers: {
      Authorization: await bearer(),
      "Content-Type": "application/json",
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const linesUrl = () =>
  `${api}/companies(${SANDBOX_BC_COMPANY_ID})/journals(${SANDBOX_BC_JOURNAL_ID})/journalLines`;
/** A journal line the way the adapter writes one: our reference as 32 hex digits in externalDocumentNumber. */
const line = (ref: string) => ({
  documentNumber: `SYNC-${ref.replaceAll("-", "").slice(-15)}`,
  externalDocumentNumber: ref.replaceAll("-", ""),
  postingDate: "2026-01-31",
  accountType: "G/L Account",
  accountNumber: "1010",
  amount: 101,
  description: "x",
});

describe("fake Business Central token endpoint", () => {
  it("issues a bearer token for the sandbox client", async () => {
    const res = await token(sandbox.url);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: 3599 });
    expect(typeof res.body.access_token).toBe("string");
  });

  it.each([
    ["a wrong secret", { client_secret: "nope" }, 401, "invalid_client"],
    ["an unknown client", { client_id: "someone" }, 400, "unauthorized_client"],
    ["a wrong scope", { scope: "https://graph.microsoft.com/.default" }, 400, "invalid_scope"],
    ["another grant type", { grant_type: "password" }, 400, "unsupported_grant_type"],
  ])("refuses %s like Entra", async (_l, form, status, error) => {
    const res = await token(sandbox.url, form);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
  });

  it("expires tokens after the configured lifetime", async () => {
    const shortLived = await startSandbox({ port: 0, dynamics: { tokenTtlSeconds: 0 } });
    try {
      const res = await fetch(`${shortLived.url}/bc/api/v2.0/companies`, {
        headers: { Authorization: await bearer(shortLived.url) },
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        "Authentication_InvalidCredentials",
      );
    } finally {
      await shortLived.close();
    }
  });
});

describe("fake Business Central API", () => {
  it("requires a bearer token and answers 401 with an OData error", async () => {
    const res = await fetch(`${api}/companies`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "Authentication_InvalidCredentials",
    );
  });

  it("lists companies with $top and $filter, under every API root form", async () => {
    const top = await call("GET", `${api}/companies?$top=1`);
    expect(top.body.value).toHaveLength(1);
    const filtered = await call(
      "GET",
      `${api}/companies?$filter=${encodeURIComponent("name eq 'My Company'")}`,
    );
    expect((filtered.body.value as { name: string }[]).map((c) => c.name)).toEqual(["My Company"]);
    for (const root of ["/bc/v2.0/production/api/v2.0", "/bc/v2.0/some-tenant/production/api/v2.0"]) {
      const res = await call("GET", `${sandbox.url}${root}/companies(${SANDBOX_BC_COMPANY_ID})`);
      expect(res.body.id).toBe(SANDBOX_BC_COMPANY_ID);
    }
  });

  it("finds journals by code and reports unknown companies with a BC error code", async () => {
    const res = await call(
      "GET",
      `${api}/companies(${SANDBOX_BC_COMPANY_ID})/journals?$filter=${encodeURIComponent("code eq 'GENERAL'")}`,
    );
    expect((res.body.value as { id: string }[])[0]?.id).toBe(SANDBOX_BC_JOURNAL_ID);
    const missing = await call("GET", `${api}/companies(${randomUUID()})/journals`);
    expect((missing.body.error as { code: string }).code).toBe("Internal_CompanyNotFound");
  });

  it("creates journal lines and finds them by externalDocumentNumber with eq, or and in", async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const hex = (ref: string | undefined) => (ref ?? "").replaceAll("-", "");
    for (const ref of [a, b, c]) {
      const created = await call("POST", linesUrl(), line(ref));
      expect(created.status).toBe(201);
      expect(created.headers.get("location")).toContain("/journalLines(");
      // Code fields are stored upper-cased, as BC does.
      expect(created.body.externalDocumentNumber).toBe(hex(ref).toUpperCase());
      expect(created.body.documentNumber).toBe(line(ref).documentNumber.toUpperCase());
    }
    // Lower-case literals match the upper-cased values (case-insensitive, like the adapter relies on).
    const eq = await call(
      "GET",
      `${linesUrl()}?$filter=${encodeURIComponent(`externalDocumentNumber eq '${hex(a)}'`)}`,
    );
    expect(eq.body.value).toHaveLength(1);
    const or = `externalDocumentNumber eq '${hex(a)}' or externalDocumentNumber eq '${hex(b)}'`;
    expect((await call("GET", `${linesUrl()}?$filter=${encodeURIComponent(or)}`)).body.value).toHaveLength(2);
    const inList = `externalDocumentNumber in ('${hex(b)}', '${hex(c)}', 'other')`;
    expect(
      (await call("GET", `${linesUrl()}?$filter=${encodeURIComponent(inList)}`)).body.value,
    ).toHaveLength(2);
    // /__sandbox/state keys "our reference" as the canonical lower-case uuid with dashes (docs/architecture.md §9).
    expect(sandbox.state().dynamics.received).toEqual({
      [a as string]: 1,
      [b as string]: 1,
      [c as string]: 1,
    });
  });

  it("counts 32-hex references in either case under the canonical uuid, anything else as sent", async () => {
    const ref = randomUUID();
    await call("POST", linesUrl(), line(ref));
    await call("POST", linesUrl(), {
      ...line(ref),
      externalDocumentNumber: ref.replaceAll("-", "").toUpperCase(),
    });
    await call("POST", linesUrl(), {
      ...line(ref),
      externalDocumentNumber: "",
      documentNumber: "INV-2026-001",
    });
    expect(sandbox.state().dynamics.received).toEqual({ [ref]: 2, "INV-2026-001": 1 });
  });

  it("enforces BC's Code lengths: documentNumber Code[20], externalDocumentNumber Code[35]", async () => {
    const ref = randomUUID();
    const longDoc = await call("POST", linesUrl(), { ...line(ref), documentNumber: "X".repeat(21) });
    expect([longDoc.status, (longDoc.body.error as { code: string }).code]).toEqual([
      400,
      "Application_StringExceededLength",
    ]);
    // A dashed uuid (36 characters) does not fit External Document No. either: hence the 32-hex form.
    const dashed = await call("POST", linesUrl(), { ...line(ref), externalDocumentNumber: ref });
    expect(dashed.status).toBe(400);
    expect(sandbox.state().dynamics.received).toEqual({});
  });

  it("rejects unknown properties, bad filters and too-long descriptions with 400", async () => {
    const unknown = await call("POST", linesUrl(), { ...line(randomUUID()), currencyCode: "EUR" });
    expect(unknown.status).toBe(400);
    const longText = await call("POST", linesUrl(), { ...line(randomUUID()), description: "x".repeat(101) });
    expect((longText.body.error as { code: string }).code).toBe("Application_StringExceededLength");
    const badFilter = await call(
      "GET",
      `${linesUrl()}?$filter=${encodeURIComponent("externalDocumentNumber eq")}`,
    );
    expect(badFilter.status).toBe(400);
    expect(sandbox.state().dynamics.received).toEqual({});
  });

  it("pages with Prefer: odata.maxpagesize and @odata.nextLink", async () => {
    for (let i = 0; i < 5; i++) await call("POST", linesUrl(), line(randomUUID()));
    let url: string | undefined = `${linesUrl()}?$select=id,externalDocumentNumber`;
    const sizes: number[] = [];
    while (url !== undefined) {
      const page = await call("GET", url, undefined, { Prefer: "odata.maxpagesize=2" });
      sizes.push((page.body.value as unknown[]).length);
      url = page.body["@odata.nextLink"] as string | undefined;
    }
    expect(sizes).toEqual([2, 2, 1]);
  });

  it("runs a JSON $batch and answers per operation", async () => {
    const refs = [randomUUID(), randomUUID()];
    const requests = refs.map((ref, i) => ({
      id: String(i),
      method: "POST",
      url: `companies(${SANDBOX_BC_COMPANY_ID})/journals(${SANDBOX_BC_JOURNAL_ID})/journalLines`,
      headers: { "Content-Type": "application/json" },
      body: line(ref),
    }));
    const res = await call("POST", `${api}/$batch`, { requests });
    expect(res.status).toBe(200);
    const responses = res.body.responses as {
      id: string;
      status: number;
      body: { externalDocumentNumber: string };
    }[];
    expect(responses.map((r) => [r.id, r.status])).toEqual([
      ["0", 201],
      ["1", 201],
    ]);
    expect(sandbox.state().dynamics.received).toEqual({ [refs[0] as string]: 1, [refs[1] as string]: 1 });
  });

  it("rejects a $batch of more than 100 operations and applies none of it", async () => {
    const requests = Array.from({ length: 101 }, (_, i) => ({
      id: String(i),
      method: "POST",
      url: `companies(${SANDBOX_BC_COMPANY_ID})/journals(${SANDBOX_BC_JOURNAL_ID})/journalLines`,
      body: line(randomUUID()),
    }));
    const res = await call("POST", `${api}/$batch`, { requests });
    expect(res.status).toBe(400);
    expect((res.body.error as { message: string }).message).toContain("maximum of 100");
    expect(sandbox.state().dynamics.received).toEqual({});
  });

  it("rolls a snapshot-isolated $batch back when one operation fails", async () => {
    const requests = [line(randomUUID()), { ...line(randomUUID()), postingDate: "2026-13-01" }].map(
      (body, i) => ({
        id: String(i),
        method: "POST",
        url: `companies(${SANDBOX_BC_COMPANY_ID})/journals(${SANDBOX_BC_JOURNAL_ID})/journalLines`,
        body,
      }),
    );
    const res = await call("POST", `${api}/$batch`, { requests }, { Isolation: "snapshot" });
    const statuses = (res.body.responses as { status: number }[]).map((r) => r.status);
    // Rolled back, yet the operation that ran first keeps its 201 (use-odata-batch.md, example response).
    expect(statuses).toEqual([201, 400]);
    expect(sandbox.state().dynamics.received).toEqual({});
  });

  it("throttles per client with a sliding window: 429 + Retry-After", async () => {
    const limited = await startSandbox({
      port: 0,
      dynamics: { rateLimit: { requests: 2, windowSeconds: 300 } },
    });
    try {
      const auth = await bearer(limited.url);
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${limited.url}/bc/api/v2.0/companies`, { headers: { Authorization: auth } });
        statuses.push(res.status);
        retryAfter = res.headers.get("retry-after");
        await res.body?.cancel();
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      expect(Number(retryAfter)).toBeLessThanOrEqual(300);
    } finally {
      await limited.close();
    }
  });

  it("answers BC faults: 429 with Retry-After, injected status with OData body", async () => {
    sandbox.fault({ target: "dynamics", kind: "rate_limit", retry_after: 17 });
    sandbox.fault({ target: "dynamics", kind: "status", status: 503, retry_after: 4 });
    const limited = await call("GET", `${api}/companies`);
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "17"]);
    const unavailable = await call("GET", `${api}/companies`);
    expect([unavailable.status, unavailable.headers.get("retry-after")]).toEqual([503, "4"]);
    expect(unavailable.body.error).toBeDefined();
    expect((await call("GET", `${api}/companies`)).status).toBe(200);
  });
});
