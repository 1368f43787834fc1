/** createAdapter: config and credential validation (no network). */
import { describe, expect, it } from "vitest";
import { dynamicsApiRoot, dynamicsConfigSchema, dynamicsTokenUrl } from "../../src/integrations/config.ts";
import { IntegrationError } from "../../src/integrations/errors.ts";
import { createAdapter } from "../../src/integrations/registry.ts";

const bc = {
  base_url: "https://api.businesscentral.dynamics.com",
  tenant_id: "contoso.onmicrosoft.com",
  environment: "production",
  company_id: "5f3c2a10-9b1e-4d2a-8c3f-0a1b2c3d4e01",
  journal_code: "GENERAL",
};

function thrown(fn: () => unknown): IntegrationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof IntegrationError) return error;
    throw error;
  }
  throw new Error("expected createAdapter to throw");
}

describe("createAdapter", () => {
  it("builds both adapters from valid config and credentials", () => {
    const xl = createAdapter("xledger", { base_url: "https://demo.xledger.net" }, { token: "t" });
    expect([xl.type, xl.maxBatchSize]).toEqual(["xledger", 100]);
    const d = createAdapter("dynamics", bc, { client_id: "id", client_secret: "s" });
    expect([d.type, d.maxBatchSize]).toEqual(["dynamics", 100]);
  });

  it("derives BC online's API root and the Entra token URL from the config", () => {
    const config = dynamicsConfigSchema.parse(bc);
    expect(dynamicsApiRoot(config)).toBe(
      "https://api.businesscentral.dynamics.com/v2.0/contoso.onmicrosoft.com/production/api/v2.0",
    );
    expect(dynamicsTokenUrl(config)).toBe(
      "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
    );
  });

  it.each([
    ["an unknown type", "sap", {}, {}],
    ["an Xledger config without base_url", "xledger", {}, { token: "t" }],
    ["an Xledger base_url that is not http(s)", "xledger", { base_url: "ftp://x" }, { token: "t" }],
    ["an empty Xledger token", "xledger", { base_url: "https://demo.xledger.net" }, { token: "" }],
    [
      "a BC config without a journal",
      "dynamics",
      { ...bc, journal_code: undefined },
      { client_id: "i", client_secret: "s" },
    ],
    [
      "a BC company id that is not a GUID",
      "dynamics",
      { ...bc, company_id: "CRONUS" },
      { client_id: "i", client_secret: "s" },
    ],
    [
      "BC without tenant_id or token_url",
      "dynamics",
      { ...bc, tenant_id: undefined },
      { client_id: "i", client_secret: "s" },
    ],
    ["BC credentials without a secret", "dynamics", bc, { client_id: "i" }],
  ])("refuses %s with a non-retryable invalid_config error", (_l, type, config, credentials) => {
    const error = thrown(() => createAdapter(type, config, credentials));
    expect([error.code, error.retryable]).toEqual(["invalid_config", false]);
  });

  it("never echoes credential values in the error message", () => {
    const error = thrown(() => createAdapter("dynamics", bc, { client_id: "id", client_secret: 12345678 }));
    expect(error.message).toContain("client_secret");
    expect(error.message).not.toContain("12345678");
  });
});
