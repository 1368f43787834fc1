import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import type { Db } from "../../src/db/types.ts";
import {
  dynamicsConfigSchema,
  dynamicsCredentialsSchema,
  xledgerConfigSchema,
  xledgerCredentialsSchema,
} from "../../src/integrations/config.ts";
import { allIntegrationJsonSchemas } from "../../src/integrations/configSchema.ts";
import { openTestDb, type TestDb } from "../helpers/db.ts";

/**
 * One rule for config in SQL and in the adapters: the JSON Schema SQL evaluates is generated from
 * the zod schemas. These tests fail when the migrated copy is stale, and when the two evaluators
 * disagree on a config (a zod rule JSON Schema cannot carry, or a gap in the SQL evaluator).
 */
const zodSchemas: Record<string, z.ZodType> = {
  "xledger:config": xledgerConfigSchema,
  "xledger:credentials": xledgerCredentialsSchema,
  "dynamics:config": dynamicsConfigSchema,
  "dynamics:credentials": dynamicsCredentialsSchema,
};

const GUID = "c0000000-0000-4000-8000-000000000001";
const url = fc.constantFrom(
  "https://api.businesscentral.dynamics.com",
  "http://127.0.0.1:54321/bc/api/v2.0",
  "https://demo.xledger.net/graphql",
  "ftp://example.com",
  "https://",
  "not a url",
  "https://exa mple.com",
  "",
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const text = fc.oneof(
  fc.constantFrom("", "GENERAL", "NOK", "nok", "GENERAL-LONG-CODE", "x".repeat(10)),
  fc.string(),
);
const value = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null));
const configArb = fc.record(
  {
    base_url: fc.oneof(url, value),
    tenant_id: maybe(fc.oneof(text, value)),
    environment: maybe(text),
    token_url: maybe(url),
    company_id: maybe(fc.oneof(fc.constantFrom(GUID, GUID.toUpperCase(), "nope"), value)),
    journal_id: maybe(fc.constantFrom(GUID, "x")),
    journal_code: maybe(text),
    local_currency: maybe(text),
    transaction_source: maybe(fc.oneof(text, value)),
    token: maybe(fc.oneof(text, value)),
    client_id: maybe(text),
    client_secret: maybe(fc.oneof(text, value)),
  },
  { requiredKeys: [] },
);

describe("integration config JSON Schema", () => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await openTestDb("pglite");
    db = t.db;
  });
  afterAll(() => t.close());

  it("the migrated copy in sync_engine.integration_schema matches the zod schemas (else: npm run gen:config-schema)", async () => {
    for (const { type, kind, schema } of allIntegrationJsonSchemas()) {
      const { rows } = await db.query<{ s: unknown }>("select sync_engine.integration_schema($1, $2) as s", [
        type,
        kind,
      ]);
      expect({ type, kind, schema: rows[0]?.s }).toEqual({ type, kind, schema });
    }
  });

  it("SQL and zod accept and refuse the same values, SQL naming every field zod names", async () => {
    const cases = fc
      .sample(configArb, 400)
      .map((c) => JSON.parse(JSON.stringify(c)) as Record<string, unknown>);
    cases.push(
      { base_url: "https://demo.xledger.net" },
      {
        base_url: "http://127.0.0.1:54321/bc/api/v2.0",
        tenant_id: "t",
        company_id: GUID,
        journal_code: "GENERAL",
      },
      { base_url: "https://x.y", token_url: "https://x.y/t", company_id: GUID, journal_id: GUID },
    );
    let accepted = 0;
    for (const key of Object.keys(zodSchemas)) {
      const [type, kind] = key.split(":");
      const { rows } = await db.query<{ i: Array<{ path: string }> }>(
        "select sync_engine.json_schema_issues(sync_engine.integration_schema($1, $2), x) as i from jsonb_array_elements($3::jsonb) x",
        [type, kind, JSON.stringify(cases)],
      );
      cases.forEach((value, n) => {
        const parsed = (zodSchemas[key] as z.ZodType).safeParse(value);
        const zodPaths = parsed.success
          ? []
          : [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? "")))].sort();
        const sqlPaths = [...new Set((rows[n]?.i ?? []).map((i) => i.path.split(".")[0]))].sort();
        // Same verdict; SQL names every field zod names. (zod skips its cross-field rules once a
        // field failed, so SQL may name more.)
        expect({ key, value, valid: sqlPaths.length === 0 }).toEqual({ key, value, valid: parsed.success });
        expect(sqlPaths).toEqual(expect.arrayContaining(zodPaths));
        if (parsed.success) accepted++;
      });
    }
    // The corpus exercises both verdicts.
    expect(accepted).toBeGreaterThan(3);
  });
});
